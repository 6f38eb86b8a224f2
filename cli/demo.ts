// `nightshift demo`: one night of Nightshift on this machine. Starts a local DynamoDB, generates a few weeks of
// realistic events with planted problems, ingests them through the queue's code path, then plays last night on a
// virtual clock: each job runs at its scheduled time (rollup, hourly detection, the watchdog, the daily report) while
// the night's events keep arriving. The checks job is planted to skip its run, so the watchdog has one to catch.
// Each run starts from empty demo state under <data>/demo so it is reproducible.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDemoEvents } from '#cli/demo/generate.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type IngestResult, ingestMessages } from '#shared/events/ingest.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import { LOCK_ENTRY, lockDataDir } from '#shared/local/data-lock.ts';
import { addDays, type LocalDate, localDate, localHour, periodLabel, zonedInstant } from '#shared/time/calendar.ts';
import { localWhen } from '#shared/watchdog/judge.ts';
import { runCheckBackups, seedDemoLedger } from './checks.ts';
import { type CommandContext, type GlobalOptions, withContext } from './context.ts';
import { runDetect, runHourlyDetect } from './detect.ts';
import { printScorecard } from './print.ts';
import { progress } from './progress.ts';
import { runReport } from './report.ts';
import { runWatchdog, watchdogLines } from './watchdog.ts';

const DEMO_DAYS = 21;
const QUEUE_BATCH_CONCURRENCY = 4;

export async function runDemo(options: GlobalOptions & { persist?: boolean }): Promise<void> {
  const dataDir = join(options.data, 'demo');
  // The demo owns <data>/demo: held from before its files are cleared until it ends, so two demos never mix.
  mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  try {
    for (const entry of readdirSync(dataDir)) {
      if (entry !== LOCK_ENTRY) rmSync(join(dataDir, entry), { recursive: true, force: true });
    }
    await playDemo(options, dataDir);
  } finally {
    lock.release();
  }
}

async function playDemo(options: GlobalOptions & { persist?: boolean }, dataDir: string): Promise<void> {
  const json = options.json ?? false;
  const say = (line: string) => {
    if (!json) console.log(line);
  };
  const started = Date.now();
  const timings: Record<string, number> = {};

  // In memory by default: DynamoDB Local writes about 3x faster when it need not sync SQLite to disk.
  const summary = await withContext({ ...options, data: dataDir, inMemory: !options.persist }, async (ctx) => {
    say(`config ${ctx.configFile}: valid (${ctx.config.kpis.length} KPIs, time zone ${ctx.config.timeZone})`);
    say(
      `local DynamoDB at ${ctx.dynamoEndpoint}, ${options.persist ? `data kept in ${ctx.dataDir}` : 'in memory (--persist keeps it on disk)'}`,
    );
    say(`tables created: ${ctx.createdTables.join(', ') || 'none (already there)'}`);

    const tz = ctx.config.timeZone;
    const night = lastNight(ctx.config, ctx.now());
    const { lastDay } = night;
    /** The context on the virtual clock: `t` when the step starts, then on at real speed (runs keep real durations). */
    const at = (t: number): CommandContext => {
      const real = Date.now();
      return { ...ctx, now: () => t + (Date.now() - real) };
    };
    const hhmm = (t: number) => localWhen(t, tz).slice(0, 5);

    const data = generateDemoEvents({ lastDay, days: DEMO_DAYS, timeZone: tz, liveUntil: night.end });
    const file = join(ctx.dataDir, 'demo-events.jsonl');
    mkdirSync(ctx.dataDir, { recursive: true });
    writeFileSync(file, `${[...data.lines, ...data.live.map((e) => e.line)].join('\n')}\n`);
    say(
      `generated ${data.lines.length} messages for ${data.days[0]}..${lastDay} (${data.counts.duplicates} duplicate deliveries, ${data.counts.late} late, ${data.counts.malformed} malformed), and ${data.live.length} events of the night until ${hhmm(night.end)} -> ${file}`,
    );
    for (const i of data.incidents) say(`  planted: ${i.description}`);
    say(`  planted: the backup and data checks job does not run at ${localWhen(night.checks, tz)}`);

    // The events of the night arrive while the jobs run: before each step, those that happened by its time.
    let pending = data.live;
    let liveAccepted = 0;
    const arrive = async (t: number) => {
      const due = pending.filter((e) => e.at <= t).map((e) => e.line);
      pending = pending.filter((e) => e.at > t);
      if (due.length > 0) liveAccepted += (await ingestAsQueue(at(t), due)).accepted;
    };

    // The weeks before arrive in one go shortly before the night starts (so they count as accepted on its date).
    const t0 = Date.now();
    const loadAt = night.rollup - 10 * MIN;
    const ingest = await ingestAsQueue(at(loadAt), data.lines);
    await arrive(loadAt);
    timings.ingest = Date.now() - t0;
    say(
      `ingested: ${ingest.accepted} events stored, ${ingest.duplicates} duplicates stored once, ${ingest.rejected.length} rejected into quarantine, ${ingest.failed.length} failed`,
    );
    say(
      `\nlast night on a virtual clock: the night of ${periodLabel(night.date)} (${tz}), each job at its scheduled time`,
    );

    let t = Date.now();
    const bar = progress('rollup', data.days.length + 2);
    // The first night covers every day of data; later nights recompute only the last few (see nightlyRollup).
    await arrive(night.rollup);
    const rollupCtx = at(night.rollup + 4_000);
    const rollup = await recordRun(ctx.store, 'rollup-kpis', rollupCtx.now, () =>
      rollupPeriods(periodsForDays(data.days, ctx.config), lastDay, {
        store: ctx.store,
        config: ctx.config,
        now: rollupCtx.now,
        onDayRead: () => bar.tick(),
      }),
    );
    bar.done();
    timings.rollup = Date.now() - t;
    say(
      `${hhmm(night.rollup)}  rollup: ${rollup.values} KPI values over ${rollup.periods.length} periods from ${rollup.eventsRead} events`,
    );
    if (!json) await printScorecard(ctx, lastDay);

    t = Date.now();
    const [firstDetect, ...hourly] = night.detect;
    await arrive(firstDetect!);
    const detect = await runDetect(at(firstDetect! + 2_000), data.days[0]!, lastDay);
    timings.detect = Date.now() - t;
    say(
      `\n${hhmm(firstDetect!)}  detect (hourly; the first run after the rollup judges all ${data.days.length} days of data): ${detect.opened.length} incidents opened, ${detect.resolved.length} resolved, ${detect.open.length} still open, ${detect.alertsSent} alert mails sent`,
    );
    for (const o of detect.opened) say(`         ${o.period} opened   ${o.incident}`);
    for (const r of detect.resolved) say(`         ${r.period} resolved ${r.incident}`);

    // The hourly detection runs due before `until`: yesterday is judged already, so each is the live check of events.
    const opened = detect.opened.map((o) => ({ ...o }));
    let alertsSent = detect.alertsSent;
    const hourlyUntil = async (until: number) => {
      while (hourly.length > 0 && hourly[0]! < until) {
        const due = hourly.shift()!;
        await arrive(due);
        const run = await runHourlyDetect(at(due + 1_000));
        const newlyOpened = [...run.kpis.opened, ...run.events.opened];
        const resolved = [...run.kpis.resolved, ...run.events.resolved];
        opened.push(...newlyOpened.map((incident) => ({ incident, period: localHour(due, tz) })));
        alertsSent += run.alertsSent;
        const changes = [...newlyOpened.map((id) => `opened ${id}`), ...resolved.map((id) => `resolved ${id}`)];
        const streams = ctx.config.alerts.expectedEvents.map((e) => `"${e.event}"`).join(', ');
        say(
          `${hhmm(due)}  detect (hourly): ${changes.length ? changes.join('; ') : `nothing new, ${streams} events arriving`}`,
        );
      }
    };

    t = Date.now();
    await hourlyUntil(night.checks);
    say(`${hhmm(night.checks)}  checks: not started (planted)`);
    await hourlyUntil(night.watchdog);
    await arrive(night.watchdog);
    const watchdog = await runWatchdog(at(night.watchdog + 3_000), { expectSince: night.rollup });
    alertsSent += watchdog.alertsSent;
    say(
      `${hhmm(night.watchdog)}  watchdog (hourly; the first check after the checks' ${ctx.config.jobs.graceMinutes}-minute grace time):`,
    );
    for (const line of watchdogLines(watchdog)) say(`         ${line}`);

    // The on-call engineer reads the alert and starts the checks by hand.
    const byHand = night.watchdog + 7 * MIN;
    await arrive(byHand);
    const checksCtx = at(byHand);
    const planted = await seedDemoLedger(checksCtx);
    const checks = await runCheckBackups(checksCtx);
    alertsSent += checks.alertsSent;
    say(`${hhmm(byHand)}  checks, run by hand after the alert (backup checks need AWS and are skipped locally):`);
    if (planted) {
      say(
        `         planted in orders/payments: ${planted.mismatched.length} amount mismatches, ${planted.missingPayment.length} orders without payment, ${planted.missingOrder.length} payment without order`,
      );
    }
    for (const r of checks.results) say(`         ${r.status.toUpperCase()} ${r.checkId}: ${r.summary}`);
    for (const id of checks.incidents.opened) say(`         opened   ${id}`);
    if (checks.alertsSent > 0) say(`         ${checks.alertsSent} alert mails sent to the plan's people`);

    await hourlyUntil(night.end);
    timings.night = Date.now() - t;

    t = Date.now();
    const daily = ctx.config.reports.find((r) => r.schedule.every === 'day');
    let mail: Awaited<ReturnType<typeof runReport>> | undefined;
    if (daily && night.report !== undefined) {
      await arrive(night.report);
      const reportCtx = at(night.report + 1_000);
      mail = await recordRun(
        ctx.store,
        'plan-reports',
        reportCtx.now,
        () => runReport(reportCtx, daily.id, { date: lastDay, send: true }),
        { key: daily.id },
      );
    }
    timings.reports = Date.now() - t;
    if (mail) {
      say(
        `${hhmm(night.report!)}  ${daily!.title} for ${periodLabel(lastDay)}: ${mail.sent?.filter((m) => m.status === 'sent').length ?? 0} mails, one per recipient and role`,
      );
      say(`  outbox (.eml files): ${mail.outbox}`);
      say(`  browse them: npm run nightshift -- --data ${dataDir} inbox`);
    }

    return {
      night: night.date,
      lastDay,
      generated: data.lines.length,
      uniqueEvents: data.counts.events,
      storedEvents: rollup.eventsRead,
      accepted: ingest.accepted,
      duplicates: ingest.duplicates,
      rejected: ingest.rejected.length,
      failed: ingest.failed.length,
      liveEvents: data.live.length,
      liveAccepted,
      kpiValues: rollup.values,
      periods: rollup.periods.length,
      incidentsOpened: opened,
      incidentsResolved: detect.resolved,
      incidentsOpen: detect.open,
      alertsSent,
      skipped: { job: 'check-backups', due: new Date(night.checks).toISOString() },
      watchdog: {
        at: watchdog.at,
        findings: watchdog.findings,
        opened: watchdog.opened,
        open: watchdog.open,
        alertsSent: watchdog.alertsSent,
      },
      checksRanAt: new Date(byHand).toISOString(),
      checks: checks.results.map((r) => ({ id: r.checkId, status: r.status, figures: r.figures })),
      checkIncidentsOpened: checks.incidents.opened,
      reportsSent: mail?.sent?.filter((m) => m.status === 'sent').length ?? 0,
      outbox: mail?.outbox,
      planted: data.incidents,
      timingsMs: timings,
    };
  });
  const result = { ok: true, durationMs: Date.now() - started, ...summary };
  if (json) console.log(JSON.stringify(result));
  else say(`demo finished in ${(result.durationMs / 1000).toFixed(1)} s`);
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** The night the demo plays on a virtual clock: when each job is due (epoch ms), from the config's schedules. */
interface DemoNight {
  /** Local date of the night; the data's last full day is the day before. */
  date: LocalDate;
  lastDay: LocalDate;
  rollup: number;
  /** Hourly detection, from the first run after the rollup to the last before the report. */
  detect: number[];
  checks: number;
  /** The first hourly watchdog check after the checks' grace time has passed. */
  watchdog: number;
  /** The daily report's planning (none without a daily report). */
  report?: number;
  /** When the night's last step is due. */
  end: number;
}

/** The schedule of the night of `date`, as infra/nightly-jobs.ts sets it: each job's first due time after the rollup. */
function demoNight(config: NightshiftConfig, date: LocalDate): DemoNight {
  const tz = config.timeZone;
  const next = (time: string, after: number) => {
    const day = localDate(after, tz);
    const t = zonedInstant(day, time, tz);
    return t >= after ? t : zonedInstant(addDays(day, 1), time, tz);
  };
  const rollup = zonedInstant(date, config.jobs.rollupAt, tz);
  const checks = next(config.jobs.checksAt, rollup);
  // Detection runs hourly at the rollup's minute + 30, the watchdog hourly at the rollup's minute + 15.
  const graceOver = checks + config.jobs.graceMinutes * MIN;
  const watchdog = rollup + 15 * MIN + Math.max(0, Math.ceil((graceOver - rollup - 15 * MIN) / HOUR)) * HOUR;
  const daily = config.reports.find((r) => r.schedule.every === 'day');
  const report = daily ? next(daily.schedule.at, watchdog + 10 * MIN) : undefined;
  const end = report ?? watchdog + 10 * MIN;
  const detect: number[] = [];
  for (let t = rollup + 30 * MIN; t < end || detect.length === 0; t += HOUR) detect.push(t);
  return { date, lastDay: addDays(date, -1), rollup, detect, checks, watchdog, ...(report ? { report } : {}), end };
}

/** The most recent night whose whole schedule, through the daily report, lies in the past at `now`. */
function lastNight(config: NightshiftConfig, now: number): DemoNight {
  const today = localDate(now, config.timeZone);
  for (let back = 0; ; back++) {
    const night = demoNight(config, addDays(today, -back));
    if (night.end + 5 * MIN <= now) return night;
  }
}

/** Feeds lines in SQS-sized batches, a few at a time, as concurrent Lambda invocations would. */
async function ingestAsQueue(ctx: CommandContext, lines: string[]): Promise<IngestResult> {
  const size = ctx.config.ingest.batchSize;
  const batches: Array<Array<{ id: string; body: string }>> = [];
  for (let i = 0; i < lines.length; i += size) {
    batches.push(lines.slice(i, i + size).map((body, k) => ({ id: `line-${i + k + 1}`, body })));
  }
  const total: IngestResult = { accepted: 0, duplicates: 0, rejected: [], failed: [], lateDays: [] };
  const bar = progress('ingest', lines.length);
  // Shared by the batches: a duplicate that falls in another batch is counted as one, not stored twice.
  const seen = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: QUEUE_BATCH_CONCURRENCY }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const r = await ingestMessages(batch, { store: ctx.store, config: ctx.config, now: ctx.now, seen });
        total.accepted += r.accepted;
        total.duplicates += r.duplicates;
        total.rejected.push(...r.rejected);
        total.failed.push(...r.failed);
        bar.tick(batch.length);
      }
    }),
  );
  bar.done();
  return total;
}

// `nightshift demo`: one night of Nightshift on this machine. Starts a local DynamoDB, generates a few weeks of
// realistic events with planted problems, ingests them through the queue's code path, then plays last night on a
// virtual clock: each job runs at its scheduled time (rollup, hourly detection, the watchdog, the daily report) while
// the night's events keep arriving. The checks job is planted to skip its run, so the watchdog has one to catch.
// Each run starts from empty demo state under <data>/demo so it is reproducible.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DemoData, generateDemoEvents } from '#cli/demo/generate.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type IngestResult, ingestMessages, type StoredMessages } from '#shared/events/ingest.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { periodsForDays, type RollupSummary, rollupPeriods } from '#shared/kpi/rollup.ts';
import { LOCK_ENTRY, lockDataDir } from '#shared/local/data-lock.ts';
import { addDays, type LocalDate, localDate, localHour, periodLabel, zonedInstant } from '#shared/time/calendar.ts';
import { localWhen } from '#shared/watchdog/judge.ts';
import { runCheckBackups, seedDemoLedger } from './checks.ts';
import { type CommandContext, type GlobalOptions, withContext } from './context.ts';
import { runDetect, runHourlyDetect } from './detect.ts';
import { printJson } from './json.ts';
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
  // In memory by default: DynamoDB Local writes about 3x faster when it need not sync SQLite to disk.
  const summary = await withContext({ ...options, data: dataDir, inMemory: !options.persist }, async (ctx) => {
    say(`config ${ctx.configFile}: valid (${ctx.config.kpis.length} KPIs, time zone ${ctx.config.timeZone})`);
    say(
      `local DynamoDB at ${ctx.dynamoEndpoint}, ${options.persist ? `data kept in ${ctx.dataDir}` : 'in memory (--persist keeps it on disk)'}`,
    );
    say(`tables created: ${ctx.createdTables.join(', ') || 'none (already there)'}`);
    const demo = new DemoNightRun(ctx, lastNight(ctx.config, ctx.now()), say);
    const ingest = await demo.ingestHistory();
    const rollup = await demo.rollup(json);
    const detect = await demo.firstDetection();
    const night = await demo.theNight();
    const mail = await demo.dailyReport(dataDir);
    return {
      night: demo.night.date,
      lastDay: demo.night.lastDay,
      generated: demo.data.lines.length,
      uniqueEvents: demo.data.counts.events,
      storedEvents: rollup.eventsRead,
      accepted: ingest.accepted,
      duplicates: ingest.duplicates,
      rejected: ingest.rejected.length,
      failed: ingest.failed.length,
      liveEvents: demo.data.live.length,
      liveAccepted: demo.liveAccepted,
      kpiValues: rollup.values,
      periods: rollup.periods.length,
      incidentsOpened: demo.opened,
      incidentsResolved: detect.resolved,
      incidentsOpen: detect.open,
      alertsSent: demo.alertsSent,
      ...night,
      reportsSent: mail?.sent?.filter((m) => m.status === 'sent').length ?? 0,
      outbox: mail?.outbox,
      planted: demo.data.incidents,
      timingsMs: demo.timings,
    };
  });
  const result = { ok: true, durationMs: Date.now() - started, ...summary };
  if (json) printJson(result);
  else say(`demo finished in ${(result.durationMs / 1000).toFixed(1)} s`);
}

/**
 * One demo night, step by step on a virtual clock: each step runs at its scheduled instant, after the night's events
 * due by then have arrived, and keeps its real duration.
 */
class DemoNightRun {
  readonly data: DemoData;
  readonly timings: Record<string, number> = {};
  readonly opened: Array<{ incident: string; period: string }> = [];
  alertsSent = 0;
  liveAccepted = 0;
  /** Live events not yet arrived, oldest first. */
  private pending: DemoData['live'];
  /** Hourly detection runs still due after the first. */
  private hourly: number[];

  private readonly ctx: CommandContext;
  readonly night: DemoNight;
  private readonly say: (line: string) => void;

  constructor(ctx: CommandContext, night: DemoNight, say: (line: string) => void) {
    this.ctx = ctx;
    this.night = night;
    this.say = say;
    const tz = ctx.config.timeZone;
    this.data = generateDemoEvents({ lastDay: night.lastDay, days: DEMO_DAYS, timeZone: tz, liveUntil: night.end });
    this.pending = this.data.live;
    this.hourly = night.detect.slice(1);
    const file = join(ctx.dataDir, 'demo-events.jsonl');
    mkdirSync(ctx.dataDir, { recursive: true });
    writeFileSync(file, `${[...this.data.lines, ...this.data.live.map((e) => e.line)].join('\n')}\n`);
    const { counts, days } = this.data;
    say(
      `generated ${this.data.lines.length} messages for ${days[0]}..${night.lastDay} (${counts.duplicates} duplicate deliveries, ${counts.late} late, ${counts.malformed} malformed), and ${this.data.live.length} events of the night until ${this.hhmm(night.end)} -> ${file}`,
    );
    for (const i of this.data.incidents) say(`  planted: ${i.description}`);
    say(`  planted: the backup and data checks job does not run at ${localWhen(night.checks, tz)}`);
  }

  /** The context on the virtual clock: `t` when the step starts, then on at real speed. */
  private at(t: number): CommandContext {
    const real = Date.now();
    return { ...this.ctx, now: () => t + (Date.now() - real) };
  }

  private hhmm(t: number): string {
    return localWhen(t, this.ctx.config.timeZone).slice(0, 5);
  }

  /** The night's events that happened by `t` arrive, through the queue's code path. */
  private async arrive(t: number): Promise<void> {
    const due = this.pending.filter((e) => e.at <= t).map((e) => e.line);
    this.pending = this.pending.filter((e) => e.at > t);
    if (due.length > 0) this.liveAccepted += (await ingestAsQueue(this.at(t), due)).accepted;
  }

  private async timed<T>(step: string, work: () => Promise<T>): Promise<T> {
    const t = Date.now();
    try {
      return await work();
    } finally {
      this.timings[step] = Date.now() - t;
    }
  }

  /** The weeks before arrive in one go shortly before the night starts. */
  async ingestHistory(): Promise<IngestResult> {
    const loadAt = this.night.rollup - 10 * MIN;
    const ingest = await this.timed('ingest', async () => {
      const result = await ingestAsQueue(this.at(loadAt), this.data.lines);
      await this.arrive(loadAt);
      return result;
    });
    this.say(
      `ingested: ${ingest.accepted} events stored, ${ingest.duplicates} duplicates stored once, ${ingest.rejected.length} rejected into quarantine, ${ingest.failed.length} failed`,
    );
    this.say(
      `\nlast night on a virtual clock: the night of ${periodLabel(this.night.date)} (${this.ctx.config.timeZone}), each job at its scheduled time`,
    );
    return ingest;
  }

  /** The first night covers every day of data; later nights recompute only the last few (see nightlyRollup). */
  async rollup(quiet: boolean): Promise<RollupSummary> {
    const { ctx, night, data } = this;
    const rollup = await this.timed('rollup', async () => {
      const bar = progress('rollup', data.days.length + 2);
      await this.arrive(night.rollup);
      const rollupCtx = this.at(night.rollup + 4_000);
      const result = await recordRun(ctx.store, 'rollup-kpis', rollupCtx.now, () =>
        rollupPeriods(periodsForDays(data.days, ctx.config), night.lastDay, {
          store: ctx.store,
          config: ctx.config,
          now: rollupCtx.now,
          onDayRead: () => bar.tick(),
        }),
      );
      bar.done();
      return result;
    });
    this.say(
      `${this.hhmm(night.rollup)}  rollup: ${rollup.values} KPI values over ${rollup.periods.length} periods from ${rollup.eventsRead} events`,
    );
    if (!quiet) await printScorecard(ctx, night.lastDay);
    return rollup;
  }

  /** The first hourly detection after the rollup judges every day of data. */
  async firstDetection(): Promise<Awaited<ReturnType<typeof runDetect>>> {
    const first = this.night.detect[0]!;
    const detect = await this.timed('detect', async () => {
      await this.arrive(first);
      return runDetect(this.at(first + 2_000), this.data.days[0]!, this.night.lastDay);
    });
    this.say(
      `\n${this.hhmm(first)}  detect (hourly; the first run after the rollup judges all ${this.data.days.length} days of data): ${detect.opened.length} incidents opened, ${detect.resolved.length} resolved, ${detect.open.length} still open, ${detect.alertsSent} alert mails sent`,
    );
    for (const o of detect.opened) this.say(`         ${o.period} opened   ${o.incident}`);
    for (const r of detect.resolved) this.say(`         ${r.period} resolved ${r.incident}`);
    this.opened.push(...detect.opened);
    this.alertsSent += detect.alertsSent;
    return detect;
  }

  /** The hourly detection runs due before `until`: yesterday is judged already, so each is the live check of events. */
  private async hourlyUntil(until: number): Promise<void> {
    const tz = this.ctx.config.timeZone;
    while (this.hourly.length > 0 && this.hourly[0]! < until) {
      const due = this.hourly.shift()!;
      await this.arrive(due);
      const run = await runHourlyDetect(this.at(due + 1_000));
      const newlyOpened = [...run.kpis.opened, ...run.events.opened];
      const resolved = [...run.kpis.resolved, ...run.events.resolved];
      this.opened.push(...newlyOpened.map((incident) => ({ incident, period: localHour(due, tz) })));
      this.alertsSent += run.alertsSent;
      const changes = [...newlyOpened.map((id) => `opened ${id}`), ...resolved.map((id) => `resolved ${id}`)];
      const streams = this.ctx.config.alerts.expectedEvents.map((e) => `"${e.event}"`).join(', ');
      this.say(
        `${this.hhmm(due)}  detect (hourly): ${changes.length ? changes.join('; ') : `nothing new, ${streams} events arriving`}`,
      );
    }
  }

  /** The rest of the night: the checks job skips its run, the watchdog catches it, the on-call engineer runs it. */
  async theNight() {
    const { night } = this;
    return this.timed('night', async () => {
      await this.hourlyUntil(night.checks);
      this.say(`${this.hhmm(night.checks)}  checks: not started (planted)`);
      await this.hourlyUntil(night.watchdog);
      const watchdog = await this.watchdog();
      const byHand = night.watchdog + 7 * MIN;
      const checks = await this.checksByHand(byHand);
      await this.hourlyUntil(night.end);
      return {
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
      };
    });
  }

  private async watchdog(): Promise<Awaited<ReturnType<typeof runWatchdog>>> {
    const { night } = this;
    await this.arrive(night.watchdog);
    const watchdog = await runWatchdog(this.at(night.watchdog + 3_000), { expectSince: night.rollup });
    this.alertsSent += watchdog.alertsSent;
    this.say(
      `${this.hhmm(night.watchdog)}  watchdog (hourly; the first check after the checks' ${this.ctx.config.jobs.graceMinutes}-minute grace time):`,
    );
    for (const line of watchdogLines(watchdog)) this.say(`         ${line}`);
    return watchdog;
  }

  /** The on-call engineer reads the alert and starts the checks by hand. */
  private async checksByHand(at: number): Promise<Awaited<ReturnType<typeof runCheckBackups>>> {
    await this.arrive(at);
    const checksCtx = this.at(at);
    const planted = await seedDemoLedger(checksCtx);
    const checks = await runCheckBackups(checksCtx);
    this.alertsSent += checks.alertsSent;
    this.say(`${this.hhmm(at)}  checks, run by hand after the alert (backup checks need AWS and are skipped locally):`);
    if (planted) {
      this.say(
        `         planted in orders/payments: ${planted.mismatched.length} amount mismatches, ${planted.missingPayment.length} orders without payment, ${planted.missingOrder.length} payment without order`,
      );
    }
    for (const r of checks.results) this.say(`         ${r.status.toUpperCase()} ${r.checkId}: ${r.summary}`);
    for (const id of checks.incidents.opened) this.say(`         opened   ${id}`);
    if (checks.alertsSent > 0) this.say(`         ${checks.alertsSent} alert mails sent to the plan's people`);
    return checks;
  }

  /** The daily report, planned and sent at its scheduled time. */
  async dailyReport(dataDir: string): Promise<Awaited<ReturnType<typeof runReport>> | undefined> {
    const { ctx, night } = this;
    const daily = ctx.config.reports.find((r) => r.schedule.every === 'day');
    if (!daily || night.report === undefined) return undefined;
    const report = night.report;
    const mail = await this.timed('reports', async () => {
      await this.arrive(report);
      const reportCtx = this.at(report + 1_000);
      return recordRun(
        ctx.store,
        'plan-reports',
        reportCtx.now,
        () => runReport(reportCtx, daily.id, { date: night.lastDay, send: true }),
        { key: daily.id },
      );
    });
    this.say(
      `${this.hhmm(report)}  ${daily.title} for ${periodLabel(night.lastDay)}: ${mail.sent?.filter((m) => m.status === 'sent').length ?? 0} mails, one per recipient and role`,
    );
    this.say(`  outbox (.eml files): ${mail.outbox}`);
    this.say(`  browse them: npm run nightshift -- --data ${dataDir} inbox`);
    return mail;
  }
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
  const seen: StoredMessages = new Map();
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

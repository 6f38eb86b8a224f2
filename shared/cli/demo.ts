// `nightshift demo`: one night of Nightshift on this machine. Starts a local DynamoDB, generates a few weeks of
// realistic events with planted problems, ingests them through the queue's code path, rolls up KPIs and prints
// the scorecard. Each run starts from empty demo state under <data>/demo so it is reproducible.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDemoEvents } from '#shared/demo/generate.ts';
import { type IngestResult, ingestMessages } from '#shared/events/ingest.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import { yesterday } from '#shared/time/calendar.ts';
import { runCheckBackups, seedDemoLedger } from './checks.ts';
import { type CommandContext, type GlobalOptions, withContext } from './context.ts';
import { runDetect } from './detect.ts';
import { printScorecard } from './print.ts';
import { progress } from './progress.ts';
import { runReport } from './report.ts';

const DEMO_DAYS = 21;
const QUEUE_BATCH_CONCURRENCY = 4;

export async function runDemo(options: GlobalOptions & { persist?: boolean }): Promise<void> {
  const json = options.json ?? false;
  const say = (line: string) => {
    if (!json) console.log(line);
  };
  const dataDir = join(options.data, 'demo');
  rmSync(dataDir, { recursive: true, force: true });
  const started = Date.now();
  const timings: Record<string, number> = {};

  // In memory by default: DynamoDB Local writes about 3x faster when it need not sync SQLite to disk.
  const summary = await withContext({ ...options, data: dataDir, inMemory: !options.persist }, async (ctx) => {
    say(`config ${ctx.configFile}: valid (${ctx.config.kpis.length} KPIs, time zone ${ctx.config.timeZone})`);
    say(
      `local DynamoDB at ${ctx.dynamoEndpoint}, ${options.persist ? `data kept in ${ctx.dataDir}` : 'in memory (--persist keeps it on disk)'}`,
    );
    say(`tables created: ${ctx.createdTables.join(', ') || 'none (already there)'}`);

    const lastDay = yesterday(ctx.now(), ctx.config.timeZone);
    const data = generateDemoEvents({ lastDay, days: DEMO_DAYS, timeZone: ctx.config.timeZone });
    const file = join(ctx.dataDir, 'demo-events.jsonl');
    mkdirSync(ctx.dataDir, { recursive: true });
    writeFileSync(file, `${data.lines.join('\n')}\n`);
    say(
      `generated ${data.lines.length} messages for ${data.days[0]}..${lastDay} (${data.counts.duplicates} duplicate deliveries, ${data.counts.late} late, ${data.counts.malformed} malformed) -> ${file}`,
    );
    for (const i of data.incidents) say(`  planted: ${i.description}`);

    const t0 = Date.now();
    const ingest = await ingestAsQueue(ctx, data.lines);
    timings.ingest = Date.now() - t0;
    say(
      `ingested: ${ingest.accepted} events stored, ${ingest.duplicates} duplicates stored once, ${ingest.rejected.length} rejected into quarantine, ${ingest.failed.length} failed`,
    );

    let t = Date.now();
    const bar = progress('rollup', data.days.length + 2);
    // The first night covers every day of data; later nights recompute only the last few (see nightlyRollup).
    const rollup = await recordRun(ctx.store, 'rollup', ctx.now, () =>
      rollupPeriods(periodsForDays(data.days, ctx.config), lastDay, {
        store: ctx.store,
        config: ctx.config,
        now: ctx.now,
        onDayRead: () => bar.tick(),
      }),
    );
    bar.done();
    timings.rollup = Date.now() - t;
    say(`rolled up ${rollup.values} KPI values over ${rollup.periods.length} periods from ${rollup.eventsRead} events`);
    if (!json) await printScorecard(ctx, lastDay);

    t = Date.now();
    const detect = await runDetect(ctx, data.days[0]!, lastDay);
    timings.detect = Date.now() - t;
    say(
      `\ndetection over ${data.days.length} days: ${detect.opened.length} incidents opened, ${detect.resolved.length} resolved, ${detect.open.length} still open, ${detect.alertsSent} alert mails sent`,
    );
    for (const o of detect.opened) say(`  ${o.period} opened   ${o.incident}`);
    for (const r of detect.resolved) say(`  ${r.period} resolved ${r.incident}`);

    t = Date.now();
    const planted = await seedDemoLedger(ctx);
    const checks = await runCheckBackups(ctx);
    timings.checks = Date.now() - t;
    if (planted) {
      say(`\ndata checks (backup checks need AWS and are skipped locally):`);
      say(
        `  planted in orders/payments: ${planted.mismatched.length} amount mismatches, ${planted.missingPayment.length} orders without payment, ${planted.missingOrder.length} payment without order`,
      );
      for (const r of checks.results) say(`  ${r.status.toUpperCase()} ${r.checkId}: ${r.summary}`);
    }

    t = Date.now();
    const daily = ctx.config.reports.find((r) => r.schedule.every === 'day');
    const mail = daily
      ? await recordRun(ctx.store, 'plan-reports', ctx.now, () =>
          runReport(ctx, daily.id, { date: lastDay, send: true }),
        )
      : undefined;
    timings.reports = Date.now() - t;
    if (mail) {
      say(
        `\n${daily!.title}: ${mail.sent?.filter((m) => m.status === 'sent').length ?? 0} mails, one per recipient and role`,
      );
      say(`  outbox (.eml files): ${mail.outbox}`);
      say(`  browse them: npm run nightshift -- --data ${dataDir} inbox`);
    }

    return {
      lastDay,
      generated: data.lines.length,
      uniqueEvents: data.counts.events,
      storedEvents: rollup.eventsRead,
      accepted: ingest.accepted,
      duplicates: ingest.duplicates,
      rejected: ingest.rejected.length,
      failed: ingest.failed.length,
      kpiValues: rollup.values,
      periods: rollup.periods.length,
      incidentsOpened: detect.opened,
      incidentsResolved: detect.resolved,
      incidentsOpen: detect.open,
      alertsSent: detect.alertsSent,
      checks: checks.results.map((r) => ({ id: r.checkId, status: r.status, figures: r.figures })),
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

/** Feeds lines in SQS-sized batches, a few at a time, as concurrent Lambda invocations would. */
async function ingestAsQueue(ctx: CommandContext, lines: string[]): Promise<IngestResult> {
  const size = ctx.config.ingest.batchSize;
  const batches: Array<Array<{ id: string; body: string }>> = [];
  for (let i = 0; i < lines.length; i += size) {
    batches.push(lines.slice(i, i + size).map((body, k) => ({ id: `line-${i + k + 1}`, body })));
  }
  const total: IngestResult = { accepted: 0, duplicates: 0, rejected: [], failed: [], lateDays: [] };
  const bar = progress('ingest', lines.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: QUEUE_BATCH_CONCURRENCY }, async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const r = await ingestMessages(batch, { store: ctx.store, config: ctx.config, now: ctx.now });
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

// One night of `nightshift rollup` on a laptop, two ways, on the same data: the week and month merged from the day
// summaries earlier nights stored (rollupRange, as the deployed function does), against every day of the week and month
// read again from the raw events (what the local rollup did before: 28 days and 97,824 events for one night in a
// new user's trial). Both must store exactly the same values: distinct users and retention are merged from the users
// each day summary keeps, never summed. In-memory DynamoDB Local, started here; the example config (Asia/Shanghai).
//
// The data: the month's first D-1 days at N events a day (generated, seeded), rolled up as their nights would have;
// then day D's events and, within them, a share of late events of day D-8 (an app that was offline), which marks
// that day. The measured night is 00:30 after day D.
//
// With --history H, H days of figures before the month were counted (copies of the first day's, as nights before the
// trial would have stored them): what a rollup reads to know which names the data has had, after a year or three.
//
// Usage: node bench/rollup.ts [--events N] [--days D] [--history H] [--json]
import { parseArgs } from 'node:util';
import { loadConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { readDayFigures, saveDayFigures } from '#shared/events/day-figures.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { readKpiValues, type StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { type RollupSummary, rollupPeriods, rollupRange } from '#shared/kpi/rollup.ts';
import { LOCAL_AWS, startDynamoLocal } from '#shared/local/dynamodb-local.ts';
import { createDocumentClient, createDynamoStore, ensureTables } from '#shared/store/dynamodb.ts';
import type { StateStore } from '#shared/store/store.ts';
import { tableNames } from '#shared/store/tables.ts';
import { addDays, dateRange, granularityOf, zonedInstant } from '#shared/time/calendar.ts';
import { generateStream } from './lib/events.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '3500' },
    days: { type: 'string', default: '28' },
    history: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(args.events);
const DAYS = Number(args.days);
if (!Number.isInteger(EVENTS) || EVENTS < 10) throw new Error(`--events must be an integer of at least 10`);
if (!Number.isInteger(DAYS) || DAYS < 9 || DAYS > 30) throw new Error(`--days must be an integer from 9 to 30`);
const HISTORY = Number(args.history);
if (!Number.isInteger(HISTORY) || HISTORY < 0) throw new Error(`--history must be a whole number of days`);

const FIRST = '2026-11-01';
const LAST = addDays(FIRST, DAYS - 1);
const LATE_DAYS = 8;
const progress = (line: string) => process.stderr.write(`${line}\n`);

interface Way {
  daysRead: number;
  eventsRead: number;
  daysMerged: number;
  values: number;
  readUnits: number;
  wallSeconds: number;
  cpuSeconds: number;
}

async function measured(store: StateStore, run: () => Promise<RollupSummary>): Promise<Way> {
  const reads = store.usage().readUnits;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const s = await run();
  const used = process.cpuUsage(cpu);
  return {
    daysRead: s.daysRead,
    eventsRead: s.eventsRead,
    daysMerged: s.daysMerged,
    values: s.values,
    readUnits: Math.round(store.usage().readUnits - reads),
    wallSeconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

async function ingestDay(store: StateStore, config: NightshiftConfig, bodies: string[], arrival: number) {
  for (let i = 0; i < bodies.length; i += 500) {
    const messages = bodies.slice(i, i + 500).map((body, k) => ({ id: `m${i + k}`, body }));
    const r = await ingestMessages(messages, { store, config, now: () => arrival });
    if (r.failed.length > 0) throw new Error(`storing events failed: ${r.failed.length} messages`);
  }
}

/** Every stored value of the periods, without when it was computed. */
async function storedValues(store: StateStore, config: NightshiftConfig, periods: readonly string[]) {
  const out: Omit<StoredKpiValue, 'computedAt'>[] = [];
  for (const period of periods) {
    const g = granularityOf(period);
    for (const kpi of config.kpis) {
      for (const { computedAt: _c, ...v } of await readKpiValues(store, kpi.id, g, period, period)) out.push(v);
    }
  }
  return out;
}

/**
 * HISTORY days before `first` counted, their figures copies of `first`'s; the names item (if any) dropped, so the
 * next rollup builds it from every day's figures once, as in a data folder from before it was kept.
 */
async function countedBefore(store: StateStore, first: string) {
  const [template] = await readDayFigures(store, first, first);
  const days = dateRange(addDays(first, -HISTORY), addDays(first, -1));
  await saveDayFigures(
    store,
    days.map((day) => ({ ...template!, day })),
  );
  await store.delete('state', 'FIGURES#day', '~names');
  progress(`${days.length} days counted before ${first} (${days[0]}..${days.at(-1)})`);
}

async function main() {
  const config = loadConfig('nightshift.config.yaml');
  const local = await startDynamoLocal({});
  const client = createDocumentClient({ endpoint: local.endpoint, ...LOCAL_AWS });
  try {
    const tables = tableNames('bench-rollup');
    await ensureTables(client, tables);
    const store = createDynamoStore({ client, tables });
    const at = (day: string, time: string) => zonedInstant(day, time, config.timeZone);

    progress(`loading ${FIRST}..${addDays(LAST, -1)} at ${EVENTS} events a day, each rolled up on its night`);
    for (const [i, day] of dateRange(FIRST, addDays(LAST, -1)).entries()) {
      const stream = generateStream({ day, timeZone: config.timeZone, events: EVENTS, seed: 7000 + i });
      await ingestDay(store, config, stream.bodies, at(day, '23:59'));
      await rollupRange({ from: day, to: day }, { store, config, now: () => at(addDays(day, 1), '00:30') });
      if (i === 0 && HISTORY > 0) await countedBefore(store, day);
    }
    const last = generateStream({
      day: LAST,
      timeZone: config.timeZone,
      events: EVENTS,
      seed: 7000 + DAYS,
      lateRate: 0.01,
      lateDays: LATE_DAYS,
    });
    await ingestDay(store, config, last.bodies, at(LAST, '23:59'));
    progress(`${LAST}: ${last.stats.events} events, ${last.stats.late} of them late for ${addDays(LAST, -LATE_DAYS)}`);

    const night = () => at(addDays(LAST, 1), '00:30');
    progress('the night, merged from the day summaries (rollupRange)');
    let periods: string[] = [];
    const merged = await measured(store, async () => {
      const s = await rollupRange({ from: LAST, to: LAST }, { store, config, now: night });
      periods = s.periods;
      return s;
    });
    const mergedValues = await storedValues(store, config, periods);
    progress('the same periods, every day they need read again from the raw events');
    const reread = await measured(store, () => rollupPeriods(periods, LAST, { store, config, now: night }));
    const rereadValues = await storedValues(store, config, periods);
    const identical = JSON.stringify(mergedValues) === JSON.stringify(rereadValues);

    const result = {
      eventsPerDay: EVENTS,
      historyDays: HISTORY,
      night: LAST,
      periods,
      merged,
      reread,
      values: mergedValues.length,
      identical,
      speedup: { wall: reread.wallSeconds / merged.wallSeconds, readUnits: reread.readUnits / merged.readUnits },
    };
    if (args.json) {
      console.log(JSON.stringify(result));
    } else {
      const row = (name: string, w: Way) =>
        `  ${name.padEnd(34)} ${String(w.daysRead).padStart(4)} days read ${String(w.eventsRead).padStart(8)} events ${String(w.daysMerged).padStart(4)} merged ${String(w.readUnits).padStart(8)} RCU ${w.wallSeconds.toFixed(2).padStart(7)} s wall ${w.cpuSeconds.toFixed(2).padStart(7)} s CPU`;
      const before = HISTORY > 0 ? `, ${HISTORY} days counted before the month` : '';
      console.log(`The night after ${LAST} at ${EVENTS} events a day${before} (periods ${periods.join(', ')}):`);
      console.log(row('merged from day summaries', merged));
      console.log(row('every needed day read again', reread));
      console.log(
        `  ${reread.wallSeconds / merged.wallSeconds > 0 ? (reread.wallSeconds / merged.wallSeconds).toFixed(1) : '-'}x faster, ${(reread.readUnits / merged.readUnits).toFixed(1)}x fewer read units; the ${mergedValues.length} stored values are ${identical ? 'identical' : 'DIFFERENT'}`,
      );
    }
    if (!identical) process.exitCode = 1;
  } finally {
    client.destroy();
    await local.stop();
  }
}

await main();

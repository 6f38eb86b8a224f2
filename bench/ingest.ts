// Ingest and rollup benchmark: speed and DynamoDB cost of Nightshift's design (raw events keyed by messageId,
// written 25 per BatchWriteItem; KPIs computed nightly from the day's events) beside a naive design written here
// (a conditional idempotency record per event plus a counter update per event per KPI input, bench/lib/naive.ts).
//
//   node bench/ingest.ts [--events N] [--throughput-events N] [--ingest-events N] [--batch N] [--week]
//                        [--avg-batch N] [--concurrency N] [--naive-concurrency N] [--load-writers N]
//                        [--config FILE] [--quiet] [--json]
//
// --events: events in the rolled-up day (default 1,000,000; use a small N while developing); --throughput-events
// (default 200,000) and --ingest-events (default 20,000) size parts 1 and 2; --batch: messages per ingest batch
// (default the config's ingest.batchSize); --week also rolls up the ISO week (still one read of the day);
// --avg-batch: messages per ingest invocation assumed by the cost estimate (default 12). --json: the last stdout line
// is one JSON object; progress goes to stderr (--quiet silences it).
//
// 1. in-process throughput, one thread, no I/O: parse + validate + key + marshal (child process, own heap);
// 2. write units per 1,000 stored events through the real ingestMessages path, and the naive design's, both with
//    ReturnConsumedCapacity on an in-memory DynamoDB Local started here;
// 3. the nightly rollup of one local day of N events (default 1,000,000): read units, time, events/s and peak RSS
//    (child process, so the peak is its own). The day is loaded once into bench-output/ingest-db/ and reused;
// 4. a monthly cost estimate at 1 million events a day from the measured units (prices and assumptions printed).
// The first run with a new N loads the day (DynamoDB Local on disk writes only a few hundred items/s here: about an
// hour for 1M; an interrupted load resumes); later runs reuse it and take a few minutes.
// Figures are noisy: the machine's cores are shared, and DynamoDB Local runs on the same cores as the benchmark.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DeleteTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DEFAULT_CONFIG_FILE, loadConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { parseEventBody, type StoredEvent } from '#shared/events/envelope.ts';
import { eventItem, quarantineItem } from '#shared/events/events-store.ts';
import { type IncomingMessage, ingestMessages } from '#shared/events/ingest.ts';
import { eventPartition, LAST_STORED } from '#shared/events/keys.ts';
import { formulaLookaheadDays } from '#shared/formula/formula.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import { compileKpis, periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import { LOCAL_AWS, type LocalDynamo, startDynamoLocal } from '#shared/local/dynamodb-local.ts';
import { createDocumentClient, createDynamoStore, ensureTables } from '#shared/store/dynamodb.ts';
import type { Item, StateStore } from '#shared/store/store.ts';
import { type TableNames, tableNames } from '#shared/store/tables.ts';
import {
  addDays,
  dateRange,
  granularityOf,
  isoWeek,
  localDate,
  parseOffsetTimestamp,
  periodDays,
  zonedInstant,
} from '#shared/time/calendar.ts';
import { dynamoItemBytes, GENERATOR_VERSION, generateStream, type Stream } from './lib/events.ts';
import { type NaiveOps, naiveIngest, planNaive } from './lib/naive.ts';

class BenchError extends Error {
  override name = 'BenchError';
}

/** The local day every part of the benchmark uses (a Wednesday; the ISO week and month around it are ordinary). */
const DAY = '2026-11-18';
const TARGETS = { eventsPerSecond: 100_000, wcuPer1000: 1_050, naiveRatio: 3 };
/** The mess of a real queue in parts 1 and 2 (the demo's rates): redeliveries, malformed and late messages. */
const MESS = { duplicateRate: 0.01, malformedRate: 0.0005, lateRate: 0.003, lateDays: 6 };
const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/** us-east-1 list prices (on demand, arm64), without free tiers. */
const PRICES = {
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
  dynamoStoragePerGBMonth: 0.25,
  /** The stack turns point-in-time recovery on for both tables (infra/state-tables.ts). */
  pitrPerGBMonth: 0.2,
  sqsPerMillionRequests: 0.4,
  lambdaPerGBSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
};
const DAYS_PER_MONTH = 365 / 12;
/** DynamoDB bills ~100 bytes of index overhead per stored item. */
const ITEM_OVERHEAD_BYTES = 100;
/** One full vCPU at 1,769 MB; smaller functions get a proportional share. */
const FULL_VCPU_MB = 1769;

// ---------------------------------------------------------------------------------------------------------------
// Part 1: in-process throughput (child process)

interface ThroughputResult {
  messages: number;
  events: number;
  bytes: Stream['stats']['bytes'];
  byEvent: Record<string, number>;
  ours: PassFigures;
  naive: PassFigures;
  /** CPU microseconds per event of each stage of this design's path (medians). */
  stagesMicros: Record<string, number>;
}

interface PassFigures {
  /** Median over the timed passes: messages per wall-clock second, and per second of this thread's CPU time. */
  wallPerSecond: number;
  cpuPerSecond: number;
  passesWall: number[];
}

function messStream(config: NightshiftConfig, events: number, seed: number): Stream {
  return generateStream({ day: DAY, timeZone: config.timeZone, events, seed, ...MESS });
}

async function throughputWorker(config: NightshiftConfig, events: number, batch: number): Promise<ThroughputResult> {
  const stream = messStream(config, events, 1);
  const bodies = stream.bodies;
  const { shardsPerDay, eventRetentionDays, quarantineRetentionDays } = config.ingest;
  const now = zonedInstant(addDays(DAY, 1), '00:10', config.timeZone);
  const arrivalDay = localDate(now, config.timeZone);
  // As ingestMessages judges each line: its timestamp against when it was sent, and everything DynamoDB must store.
  const options = {
    timeZone: config.timeZone,
    maxBytes: config.ingest.maxEventBytes,
    sentAt: now,
    futureToleranceMinutes: config.ingest.futureToleranceMinutes,
    maxAgeDays: eventRetentionDays,
  };

  // This design: what ingestMessages does per batch before its writes, and what lib-dynamodb then does per item.
  const ours = (from: number, to: number): number => {
    let check = 0;
    for (let i = from; i < to; i += batch) {
      const seen = new Map<string, StoredEvent>();
      for (let j = i; j < Math.min(to, i + batch); j++) {
        const body = bodies[j]!;
        const parsed = parseEventBody(body, options);
        if (!parsed.ok) {
          const r = { sourceId: `m${j}`, reason: parsed.reason, detail: parsed.detail, body };
          check += marshall(quarantineItem(r, now, arrivalDay, quarantineRetentionDays), MARSHALL).sk!.S!.length;
          continue;
        }
        if (!seen.has(parsed.event.messageId)) seen.set(parsed.event.messageId, parsed.event);
      }
      for (const e of seen.values()) {
        check += marshall(eventItem(e, shardsPerDay, eventRetentionDays), MARSHALL).pk!.S!.length;
      }
    }
    return check;
  };

  // The naive design: the same parsing, then building and marshalling its per-event requests. Sets stand in for
  // the conditional checks DynamoDB would answer, so the same requests are built as against the real table.
  const plan = planNaive(config);
  let items = new Set<string>();
  let check = 0;
  const ops: NaiveOps = {
    async putIfAbsent(item) {
      check += Object.keys(marshall(item, MARSHALL)).length;
      const key = `${item.pk}\u0000${item.sk}`;
      if (items.has(key)) return false;
      items.add(key);
      return true;
    },
    async add(pk, sk, counts) {
      const entries = Object.entries(counts);
      const expression = `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')}`;
      const values = Object.fromEntries(entries.map(([, n], i) => [`:c${i}`, n]));
      check += expression.length + Object.keys(marshall({ pk, sk }, MARSHALL)).length;
      check += Object.keys(marshall(values, MARSHALL)).length;
    },
    async setIfBetter(pk, sk, value) {
      check += Object.keys(marshall({ pk, sk, v: value }, MARSHALL)).length;
    },
    async exists(pk, sk) {
      check += Object.keys(marshall({ pk, sk }, MARSHALL)).length;
      return items.has(`${pk}\u0000${sk}`);
    },
  };
  const naive = async (from: number, to: number): Promise<number> => {
    items = new Set();
    for (let j = from; j < to; j++) {
      const parsed = parseEventBody(bodies[j]!, options);
      if (!parsed.ok) {
        const r = { sourceId: `m${j}`, reason: parsed.reason, detail: parsed.detail, body: bodies[j]! };
        check += Object.keys(marshall(quarantineItem(r, now, arrivalDay, quarantineRetentionDays), MARSHALL)).length;
        continue;
      }
      await naiveIngest(parsed.event, plan, ops);
    }
    return check;
  };

  const timed = async (run: () => number | Promise<number>) => {
    const cpu = process.threadCpuUsage();
    const t = performance.now();
    await run();
    const wall = (performance.now() - t) / 1000;
    const used = process.threadCpuUsage(cpu);
    return { wall, cpu: (used.user + used.system) / 1e6 };
  };
  // Warm-up (JIT), then alternating timed passes over the whole stream.
  const warm = Math.min(bodies.length, 50_000);
  ours(0, warm);
  await naive(0, warm);
  const runs: Record<'ours' | 'naive', { wall: number; cpu: number }[]> = { ours: [], naive: [] };
  for (let pass = 0; pass < 3; pass++) {
    runs.ours.push(await timed(() => ours(0, bodies.length)));
    runs.naive.push(await timed(() => naive(0, bodies.length)));
  }
  const figures = (rs: { wall: number; cpu: number }[]): PassFigures => ({
    wallPerSecond: Math.round(bodies.length / median(rs.map((r) => r.wall))),
    cpuPerSecond: Math.round(bodies.length / median(rs.map((r) => r.cpu))),
    passesWall: rs.map((r) => Math.round(bodies.length / r.wall)),
  });

  // Where this design's time goes, stage by stage (CPU time of this thread, per event).
  const validBodies = bodies.filter((b) => parseEventBody(b, options).ok);
  const valid = validBodies.map((b) => parseEventBody(b, options)).flatMap((p) => (p.ok ? [p.event] : []));
  const timestamps = validBodies.map((b) => (JSON.parse(b) as { timestamp: string }).timestamp);
  const eventItems = valid.map((e) => eventItem(e, shardsPerDay, eventRetentionDays));
  const stage = (n: number, run: () => number) => {
    const samples: number[] = [];
    for (let r = 0; r < 3; r++) {
      const cpu = process.threadCpuUsage();
      check += run();
      const used = process.threadCpuUsage(cpu);
      samples.push((used.user + used.system) / n);
    }
    return Number(median(samples).toFixed(2));
  };
  const stagesMicros = {
    'JSON.parse': stage(validBodies.length, () => {
      let k = 0;
      for (const b of validBodies) k += typeof JSON.parse(b) === 'object' ? 1 : 0;
      return k;
    }),
    'timestamp (parseOffsetTimestamp)': stage(timestamps.length, () => {
      let k = 0;
      for (const t of timestamps) k += parseOffsetTimestamp(t).ok ? 1 : 0;
      return k;
    }),
    'local day (localDate, Intl)': stage(valid.length, () => {
      let k = 0;
      for (const e of valid) k += localDate(e.ts, config.timeZone).length;
      return k;
    }),
    'parseEventBody (all of the above + checks)': stage(validBodies.length, () => {
      let k = 0;
      for (const b of validBodies) k += parseEventBody(b, options).ok ? 1 : 0;
      return k;
    }),
    'key (eventItem)': stage(valid.length, () => {
      let k = 0;
      for (const e of valid) k += eventItem(e, shardsPerDay, eventRetentionDays).pk.length;
      return k;
    }),
    'marshall (util-dynamodb)': stage(eventItems.length, () => {
      let k = 0;
      for (const it of eventItems) k += marshall(it, MARSHALL).pk ? 1 : 0;
      return k;
    }),
  };
  if (check === 42) process.stderr.write(''); // keeps the work observable to the optimiser

  return {
    messages: bodies.length,
    events: stream.stats.events,
    bytes: stream.stats.bytes,
    byEvent: stream.stats.byEvent,
    ours: figures(runs.ours),
    naive: figures(runs.naive),
    stagesMicros,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Part 2: write units per 1,000 stored events (in-memory DynamoDB Local)

type WriteKind = 'events' | 'quarantine' | 'dirtyMarks' | 'statsCounter' | 'other';

interface OursWrites {
  messages: number;
  batches: number;
  storedEvents: number;
  accepted: number;
  duplicatesInBatch: number;
  rejected: number;
  failed: number;
  lateDays: number;
  writeUnits: number;
  byKind: Record<WriteKind, number>;
  wcuPer1000: number;
  seconds: number;
  item: { meanBytes: number; p95Bytes: number; maxBytes: number; over1KB: number };
}

interface NaiveWrites {
  events: number;
  writeUnits: number;
  readUnits: number;
  requests: Record<string, number>;
  conditionalFailures: number;
  newMarkers: number;
  wcuPer1000: number;
  rcuPer1000: number;
  seconds: number;
  idempotencyItemBytes: number;
  markerItemBytes: number;
}

/** A store that attributes the write units of each call (calls on one store must not overlap, as in ingestMessages). */
function attributed(store: StateStore, byKind: Record<WriteKind, number>): StateStore {
  const track = async <T>(kind: WriteKind, run: () => Promise<T>): Promise<T> => {
    const before = store.usage().writeUnits;
    try {
      return await run();
    } finally {
      byKind[kind] += store.usage().writeUnits - before;
    }
  };
  const kindOf = (items: readonly Item[]): WriteKind => {
    const pk = items[0]?.pk ?? '';
    if (pk.startsWith('EV#')) return 'events';
    if (pk.startsWith('Q#')) return 'quarantine';
    if (pk === 'DIRTY') return 'dirtyMarks';
    return 'other';
  };
  return {
    ...store,
    putMany: (table, items) => track(kindOf(items), () => store.putMany(table, items)),
    increment: (table, pk, sk, counts) => track('statsCounter', () => store.increment(table, pk, sk, counts)),
    // The one write per batch that says events were stored (what the watchdog reads): where the stats counter was.
    put: (table, item, condition) =>
      track(item.pk === LAST_STORED.pk ? 'statsCounter' : 'other', () => store.put(table, item, condition)),
    delete: (table, pk, sk) => track('other', () => store.delete(table, pk, sk)),
  };
}

async function measureOurWrites(
  client: DynamoDBDocumentClient,
  config: NightshiftConfig,
  stream: Stream,
  batch: number,
  concurrency: number,
): Promise<OursWrites> {
  const tables = tableNames('bench-ours');
  await ensureTables(client, tables);
  const now = zonedInstant(addDays(DAY, 1), '00:10', config.timeZone);
  const messages: IncomingMessage[] = stream.bodies.map((body, i) => ({ id: `sqs-${i}`, body }));
  const batches: IncomingMessage[][] = [];
  for (let i = 0; i < messages.length; i += batch) batches.push(messages.slice(i, i + batch));
  const byKind: Record<WriteKind, number> = { events: 0, quarantine: 0, dirtyMarks: 0, statsCounter: 0, other: 0 };
  const totals = { accepted: 0, duplicates: 0, rejected: 0, failed: 0, lateDays: 0, writeUnits: 0 };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      // One store per worker, as one per Lambda instance: its usage counter sees only its own requests.
      const raw = createDynamoStore({ client, tables });
      const store = attributed(raw, byKind);
      for (let b = next++; b < batches.length; b = next++) {
        const r = await ingestMessages(batches[b]!, { store, config, now: () => now });
        totals.accepted += r.accepted;
        totals.duplicates += r.duplicates;
        totals.rejected += r.rejected.length;
        totals.failed += r.failed.length;
        totals.lateDays += r.lateDays.length;
      }
      totals.writeUnits += raw.usage().writeUnits;
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  // Exactly once: the table must hold each distinct valid event once (counted outside the measured store).
  const days = [DAY, addDays(DAY, -MESS.lateDays)];
  let storedEvents = 0;
  for (const day of days) {
    for (let shard = 0; shard < config.ingest.shardsPerDay; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tables.events,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': eventPartition(day, shard) },
            Select: 'COUNT',
            ExclusiveStartKey: start,
          }),
        );
        storedEvents += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
    }
  }
  if (storedEvents !== stream.stats.events) {
    throw new BenchError(`events table holds ${storedEvents} events, expected ${stream.stats.events} (exactly once)`);
  }

  const options = { timeZone: config.timeZone, maxBytes: config.ingest.maxEventBytes };
  const sizes = stream.bodies
    .map((b) => parseEventBody(b, options))
    .flatMap((p) =>
      p.ok ? [dynamoItemBytes(eventItem(p.event, config.ingest.shardsPerDay, config.ingest.eventRetentionDays))] : [],
    )
    .sort((a, b) => a - b);
  return {
    messages: messages.length,
    batches: batches.length,
    storedEvents,
    accepted: totals.accepted,
    duplicatesInBatch: totals.duplicates,
    rejected: totals.rejected,
    failed: totals.failed,
    lateDays: totals.lateDays,
    writeUnits: totals.writeUnits,
    byKind,
    wcuPer1000: (totals.writeUnits / storedEvents) * 1000,
    seconds,
    item: {
      meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
      p95Bytes: sizes[Math.floor(sizes.length * 0.95)]!,
      maxBytes: sizes[sizes.length - 1]!,
      over1KB: sizes.filter((s) => s > 1024).length,
    },
  };
}

async function measureNaiveWrites(
  client: DynamoDBDocumentClient,
  config: NightshiftConfig,
  stream: Stream,
  concurrency: number,
): Promise<NaiveWrites> {
  const tables = tableNames('bench-naive');
  await ensureTables(client, tables);
  const TableName = tables.events;
  const plan = planNaive(config);
  const used = { write: 0, read: 0 };
  const requests: Record<string, number> = {
    idempotencyPut: 0,
    markerPut: 0,
    counterUpdate: 0,
    cohortGet: 0,
    quarantinePut: 0,
  };
  let conditionalFailures = 0;
  const units = (c: { CapacityUnits?: number } | undefined) => c?.CapacityUnits ?? 0;
  const ops: NaiveOps = {
    async putIfAbsent(item) {
      requests[item.pk.startsWith('MSG#') ? 'idempotencyPut' : 'markerPut']!++;
      try {
        const out = await client.send(
          new PutCommand({
            TableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        used.write += units(out.ConsumedCapacity);
        return true;
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
        // DynamoDB charges a failed conditional write like a write of the item; the error carries no capacity.
        conditionalFailures++;
        used.write += Math.max(1, Math.ceil(dynamoItemBytes(item) / 1024));
        return false;
      }
    },
    async add(pk, sk, counts) {
      requests.counterUpdate!++;
      const entries = Object.entries(counts);
      const out = await client.send(
        new UpdateCommand({
          TableName,
          Key: { pk, sk },
          UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#c${i}`, k])),
          ExpressionAttributeValues: Object.fromEntries(entries.map(([, n], i) => [`:c${i}`, n])),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      used.write += units(out.ConsumedCapacity);
    },
    async setIfBetter(pk, sk, value, fn) {
      requests.counterUpdate!++;
      try {
        const out = await client.send(
          new UpdateCommand({
            TableName,
            Key: { pk, sk },
            UpdateExpression: 'SET #v = :v',
            ConditionExpression: `attribute_not_exists(#v) OR #v ${fn === 'min' ? '>' : '<'} :v`,
            ExpressionAttributeNames: { '#v': 'v' },
            ExpressionAttributeValues: { ':v': value },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        used.write += units(out.ConsumedCapacity);
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
        conditionalFailures++;
        used.write += 1;
      }
    },
    async exists(pk, sk) {
      requests.cohortGet!++;
      const out = await client.send(new GetCommand({ TableName, Key: { pk, sk }, ReturnConsumedCapacity: 'TOTAL' }));
      used.read += units(out.ConsumedCapacity);
      return out.Item !== undefined;
    },
  };

  const options = { timeZone: config.timeZone, maxBytes: config.ingest.maxEventBytes };
  const now = zonedInstant(addDays(DAY, 1), '00:10', config.timeZone);
  const arrivalDay = localDate(now, config.timeZone);
  let newMarkers = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < stream.bodies.length; i = next++) {
        const body = stream.bodies[i]!;
        const parsed = parseEventBody(body, options);
        if (parsed.ok) {
          const result = await naiveIngest(parsed.event, plan, ops);
          newMarkers += result.newMarkers;
          continue;
        }
        // Rejected messages are quarantined the same way in both designs.
        requests.quarantinePut!++;
        const r = { sourceId: `sqs-${i}`, reason: parsed.reason, detail: parsed.detail, body };
        const out = await client.send(
          new PutCommand({
            TableName,
            Item: quarantineItem(r, now, arrivalDay, config.ingest.quarantineRetentionDays),
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        used.write += units(out.ConsumedCapacity);
      }
    }),
  );
  const events = stream.stats.events;
  return {
    events,
    writeUnits: used.write,
    readUnits: used.read,
    requests,
    conditionalFailures,
    newMarkers,
    wcuPer1000: (used.write / events) * 1000,
    rcuPer1000: (used.read / events) * 1000,
    seconds: (performance.now() - started) / 1000,
    idempotencyItemBytes: dynamoItemBytes({ pk: `MSG#${'f1668c7d-971f-453f-ae0c-2aa3402cf1a3'}`, sk: '-', ttl: 1e9 }),
    markerItemBytes: dynamoItemBytes({ pk: `S#${DAY}#m0#content`, sk: 'usr_1n0q3ps4', ttl: 1e9 }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Part 3: the nightly rollup of one day of N events (on-disk DynamoDB Local, loaded once)

const LOAD_MARKER = { pk: 'BENCH#load', sk: DAY };
const rollupTables = (events: number): TableNames => tableNames(`bench-rollup-${events}`);

interface LoadResult {
  reused: boolean;
  seconds: number;
  expected: { events: number; distinctUsers: number; signedUp: number };
}

async function ensureDayLoaded(
  client: DynamoDBDocumentClient,
  config: NightshiftConfig,
  events: number,
  writers: number,
): Promise<LoadResult> {
  const tables = rollupTables(events);
  const shards = config.ingest.shardsPerDay;
  let from = 0;
  let marker: Record<string, unknown> | undefined;
  try {
    marker = (await client.send(new GetCommand({ TableName: tables.state, Key: LOAD_MARKER }))).Item;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const same = marker?.events === events && marker.generator === GENERATOR_VERSION && marker.shards === shards;
  if (same && marker?.complete === true) {
    return { reused: true, seconds: 0, expected: marker.expected as LoadResult['expected'] };
  }
  if (same) {
    // An interrupted load of the same data: the items are deterministic, so carry on where it stopped.
    from = Number(marker?.loaded ?? 0);
    progress(`  resuming an interrupted load at item ${n(from)}`);
  } else {
    // Unknown or older data in these tables: start clean.
    for (const TableName of Object.values(tables)) {
      try {
        await client.send(new DescribeTableCommand({ TableName }));
        await client.send(new DeleteTableCommand({ TableName }));
        await waitUntilTableNotExists({ client, maxWaitTime: 300 }, { TableName });
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }
  }
  await ensureTables(client, tables);
  const started = performance.now();
  progress(`  generating ${n(events)} events for ${DAY}`);
  const stream = generateStream({ day: DAY, timeZone: config.timeZone, events, seed: 7 });
  const expected = { events, distinctUsers: stream.stats.distinctUsers, signedUp: stream.stats.signedUp };
  const options = { timeZone: config.timeZone, maxBytes: config.ingest.maxEventBytes };
  const items: Item[] = [];
  for (const body of stream.bodies) {
    const parsed = parseEventBody(body, options);
    if (!parsed.ok) throw new BenchError(`generated event rejected: ${parsed.detail}`);
    items.push(eventItem(parsed.event, shards, config.ingest.eventRetentionDays));
  }
  stream.bodies.length = 0;
  const saveMarker = (loaded: number, complete: boolean) =>
    client.send(
      new PutCommand({
        TableName: tables.state,
        Item: { ...LOAD_MARKER, events, generator: GENERATOR_VERSION, shards, loaded, complete, expected },
      }),
    );
  await saveMarker(from, false);
  progress(`  loading ${n(items.length - from)} events with ${writers} writers (setup, not measured; resumable)`);
  const store = createDynamoStore({ client, tables });
  const CHUNK = 500;
  let next = from;
  // Highest index below which every chunk is written: what a resumed load may skip.
  let prefix = from;
  const done = new Set<number>();
  let lastReport = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < items.length) {
        const i = next;
        next += CHUNK;
        await store.putMany('events', items.slice(i, i + CHUNK));
        done.add(i);
        while (done.has(prefix)) {
          done.delete(prefix);
          prefix = Math.min(items.length, prefix + CHUNK);
        }
        if (performance.now() - lastReport > 20_000) {
          lastReport = performance.now();
          const rate = (prefix - from) / ((lastReport - started) / 1000);
          const eta = (items.length - prefix) / Math.max(rate, 1);
          progress(`  ${n(prefix)} / ${n(items.length)} loaded (${n(rate)} items/s, ~${n(eta / 60)} min left)`);
          await saveMarker(prefix, false);
        }
      }
    }),
  );
  await saveMarker(items.length, true);
  return { reused: false, seconds: (performance.now() - started) / 1000, expected };
}

interface RollupResult {
  periods: string[];
  eventsRead: number;
  values: number;
  seconds: number;
  cpuSeconds: number;
  readUnits: number;
  writeUnits: number;
  baselineRssMB: number;
  peakRssMB: number;
  peakHeapMB: number;
  dau: number | null;
  newUsers: number | null;
}

async function rollupWorker(config: NightshiftConfig, endpoint: string, events: number, week: boolean) {
  const client = createDocumentClient({ endpoint, ...LOCAL_AWS });
  const store = createDynamoStore({ client, tables: rollupTables(events) });
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  const periods = week ? [DAY, isoWeek(DAY)] : [DAY];
  const now = zonedInstant(addDays(DAY, 1), '00:30', config.timeZone);
  const cpu = process.threadCpuUsage();
  const started = performance.now();
  const summary = await rollupPeriods(periods, DAY, { store, config, now: () => now });
  const seconds = (performance.now() - started) / 1000;
  const used = process.threadCpuUsage(cpu);
  sample();
  clearInterval(sampler);
  const usage = store.usage();
  const [dau] = await readKpiValues(store, 'dau', 'day', DAY, DAY);
  const [newUsers] = await readKpiValues(store, 'new_users', 'day', DAY, DAY);
  client.destroy();
  const result: RollupResult = {
    periods,
    eventsRead: summary.eventsRead,
    values: summary.values,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    readUnits: usage.readUnits,
    writeUnits: usage.writeUnits,
    baselineRssMB: baselineRss / 2 ** 20,
    peakRssMB: Math.max(peakRss / 2 ** 20, process.resourceUsage().maxRSS / 1024),
    peakHeapMB: peakHeap / 2 ** 20,
    dau: dau?.value ?? null,
    newUsers: newUsers?.value ?? null,
  };
  return result;
}

/** How many days of events the nightly rollup reads (nightlyRollup: yesterday and recomputeDays before it, and
 * the weeks and months they touch, each day read once), over every night of a year. */
function nightlyDaysRead(config: NightshiftConfig): { mean: number; max: number } {
  const formulas = compileKpis(config);
  const counts: number[] = [];
  for (const asOf of dateRange('2026-01-01', '2026-12-31')) {
    const days = new Set<string>();
    for (let i = 0; i <= config.jobs.recomputeDays; i++) days.add(addDays(asOf, -i));
    const read = new Set<string>();
    for (const period of periodsForDays(days, config)) {
      const g = granularityOf(period);
      for (const kpi of config.kpis) {
        if (!kpi.granularities.includes(g)) continue;
        const look = formulaLookaheadDays(formulas.get(kpi.id)!);
        const countable = periodDays(period).filter((d) => d <= addDays(asOf, -look));
        for (const d of countable) for (let k = 0; k <= look; k++) read.add(addDays(d, k));
      }
    }
    counts.push(read.size);
  }
  return { mean: counts.reduce((a, b) => a + b, 0) / counts.length, max: Math.max(...counts) };
}

// ---------------------------------------------------------------------------------------------------------------
// Part 4: monthly cost at 1 million events a day

interface Assumptions {
  eventsPerDay: number;
  /** Average messages per ingest invocation. */
  avgBatch: number;
  /** Events per SendMessageBatch from producers. */
  sendBatch: number;
  /** Round trip of one BatchWriteItem of 25 items and of one UpdateItem, in-region. */
  batchWriteMs: number;
  updateMs: number;
  /** Per-invocation overhead of the handler (runtime hand-off, logging a line). */
  invocationOverheadMs: number;
  ingestMemoryMB: number;
  rollupMemoryMB: number;
  /** Idle long polls of the event source's pollers per day (5 pollers x one 20 s poll), an upper bound. */
  idlePollsPerDay: number;
  /** Latency of one 1 MB Query page from DynamoDB; the rollup reads the day's shards concurrently. */
  queryPageMs: number;
  naiveIdempotencyDays: number;
  naiveMarkerDays: number;
}

function costModel(
  a: Assumptions,
  t: ThroughputResult,
  ours: OursWrites,
  naive: NaiveWrites,
  rollup: RollupResult,
  days: { mean: number; max: number },
  retentionDays: number,
  rollupShards: number,
) {
  const E = a.eventsPerDay;
  const month = DAYS_PER_MONTH;
  const invocationsPerDay = E / a.avgBatch;
  // Writes per event that do not depend on the batch, plus the stats counter once per invocation.
  const perEventWcu = (ours.writeUnits - ours.byKind.statsCounter) / ours.storedEvents;
  const statsPerInvocation = ours.byKind.statsCounter / ours.batches;
  const wcuPerDay = E * perEventWcu + invocationsPerDay * statsPerInvocation;
  const rollupRuPerEvent = rollup.readUnits / rollup.eventsRead;
  const eventsReadPerNight = days.mean * E;
  const rcuPerDay = eventsReadPerNight * rollupRuPerEvent;
  const storedGB = (E * retentionDays * (ours.item.meanBytes + ITEM_OVERHEAD_BYTES)) / 1e9;

  const dynamo = {
    writeUnitsPerMonth: wcuPerDay * month,
    readUnitsPerMonth: rcuPerDay * month,
    storedGB,
    writes: ((wcuPerDay * month) / 1e6) * PRICES.dynamoWritePerMillion,
    reads: ((rcuPerDay * month) / 1e6) * PRICES.dynamoReadPerMillion,
    storage: storedGB * PRICES.dynamoStoragePerGBMonth,
    pitr: storedGB * PRICES.pitrPerGBMonth,
  };

  const receivesPerInvocation = Math.ceil(a.avgBatch / 10);
  const sqsPerDay = E / a.sendBatch + invocationsPerDay * receivesPerInvocation * 2 + a.idlePollsPerDay; // receive + delete batches
  const sqs = { requestsPerMonth: sqsPerDay * month, cost: ((sqsPerDay * month) / 1e6) * PRICES.sqsPerMillionRequests };

  const ingestShare = Math.min(1, a.ingestMemoryMB / FULL_VCPU_MB);
  const cpuMsPerEvent = 1000 / t.ours.cpuPerSecond;
  const ingestMs =
    a.invocationOverheadMs +
    (a.avgBatch * cpuMsPerEvent) / ingestShare +
    Math.ceil(a.avgBatch / 25) * a.batchWriteMs +
    a.updateMs;
  const ingestGBs = invocationsPerDay * month * (Math.ceil(ingestMs) / 1000) * (a.ingestMemoryMB / 1024);
  // Rollup duration in AWS: the larger of its CPU time (Node CPU per event measured here, scaled to the function's
  // vCPU share) and its reads (1 MB Query pages, the day's shards read concurrently, at an assumed page latency).
  // The wall time against DynamoDB Local is shown too, but DynamoDB Local on disk, not the design, bounds it here.
  const rollupShare = Math.min(1, a.rollupMemoryMB / FULL_VCPU_MB);
  const cpuSecondsPerEvent = rollup.cpuSeconds / rollup.eventsRead;
  const ioSecondsPerEvent = ((ours.item.meanBytes / 2 ** 20) * (a.queryPageMs / 1000)) / Math.max(1, rollupShards);
  const rollupSeconds = (events: number, share: number) => ({
    cpuBound: (events * cpuSecondsPerEvent) / share,
    readBound: events * ioSecondsPerEvent,
    atDynamoLocalRate: (events * rollup.seconds) / rollup.eventsRead,
  });
  const perNight = rollupSeconds(eventsReadPerNight, rollupShare);
  const worstNight = rollupSeconds(days.max * E, rollupShare);
  const worstNightFullVcpu = rollupSeconds(days.max * E, 1);
  const awsSeconds = (x: { cpuBound: number; readBound: number }) => Math.max(x.cpuBound, x.readBound);
  const lambda = {
    ingestInvocationsPerMonth: invocationsPerDay * month,
    ingestMsPerInvocation: ingestMs,
    ingest:
      ingestGBs * PRICES.lambdaPerGBSecond + ((invocationsPerDay * month) / 1e6) * PRICES.lambdaPerMillionRequests,
    rollupSecondsPerNight: { ...perNight, estimate: awsSeconds(perNight) },
    rollupSecondsWorstNight: { ...worstNight, estimate: awsSeconds(worstNight) },
    rollupSecondsWorstNightAtFullVcpu: awsSeconds(worstNightFullVcpu),
    rollup: awsSeconds(perNight) * month * (a.rollupMemoryMB / 1024) * PRICES.lambdaPerGBSecond,
  };
  const total = dynamo.writes + dynamo.reads + dynamo.storage + dynamo.pitr + sqs.cost + lambda.ingest + lambda.rollup;

  const naiveStoredGB =
    (E * a.naiveIdempotencyDays * (naive.idempotencyItemBytes + ITEM_OVERHEAD_BYTES) +
      (naive.newMarkers / naive.events) * E * a.naiveMarkerDays * (naive.markerItemBytes + ITEM_OVERHEAD_BYTES)) /
    1e9;
  const naiveDynamo = {
    writeUnitsPerMonth: (naive.wcuPer1000 / 1000) * E * month,
    readUnitsPerMonth: (naive.rcuPer1000 / 1000) * E * month,
    storedGB: naiveStoredGB,
    writes: ((naive.wcuPer1000 / 1000) * E * month * PRICES.dynamoWritePerMillion) / 1e6,
    reads: ((naive.rcuPer1000 / 1000) * E * month * PRICES.dynamoReadPerMillion) / 1e6,
    storage: naiveStoredGB * PRICES.dynamoStoragePerGBMonth,
    pitr: naiveStoredGB * PRICES.pitrPerGBMonth,
  };
  return {
    assumptions: a,
    retentionDays,
    prices: PRICES,
    modelled: {
      wcuPer1000AtAvgBatch: (wcuPerDay / E) * 1000,
      invocationsPerDay,
      nightlyDaysRead: { mean: Number(days.mean.toFixed(2)), max: days.max },
      rollupReadUnitsPerEvent: rollupRuPerEvent,
    },
    thisDesign: { dynamo, sqs, lambda, total },
    naive: {
      dynamo: naiveDynamo,
      dynamoTotal: naiveDynamo.writes + naiveDynamo.reads + naiveDynamo.storage + naiveDynamo.pitr,
    },
    thisDesignDynamoTotal: dynamo.writes + dynamo.reads + dynamo.storage + dynamo.pitr,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Plumbing

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const usd = (x: number) => `$${x < 10 ? x.toFixed(2) : x.toFixed(0)}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number, d = 1) => Number(x.toFixed(d));
/** Integers from 100 up, 4 significant digits below: for the JSON of modelled figures. */
function roundDeep<T>(value: T): T {
  if (typeof value === 'number') {
    return (Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(4))) as T;
  }
  if (Array.isArray(value)) return value.map(roundDeep) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v)])) as T;
  }
  return value;
}

let quiet = false;
function progress(message: string): void {
  if (!quiet) process.stderr.write(`[bench:ingest ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const cleanups = new Set<() => Promise<void> | void>();
let stopping = false;
async function cleanUp(): Promise<void> {
  for (const c of [...cleanups].reverse()) {
    try {
      await c();
    } catch {
      // best effort: keep stopping the rest
    }
  }
  cleanups.clear();
}
function onSignal(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  progress(`${signal}: stopping DynamoDB Local and workers`);
  void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}

async function withLocal<T>(dbPath: string | undefined, run: (local: LocalDynamo) => Promise<T>): Promise<T> {
  const local = await startDynamoLocal(dbPath ? { dbPath } : {});
  const stop = () => local.stop();
  cleanups.add(stop);
  try {
    return await run(local);
  } finally {
    cleanups.delete(stop);
    await local.stop();
  }
}

/** Runs this file as a worker in a fresh Node process; its last stdout line is its JSON result. */
function runWorker<T>(args: string[]): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const kill = () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    };
    cleanups.add(kill);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      cleanups.delete(kill);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new BenchError(`worker ${args.join(' ')} failed (${signal ?? code})`));
      try {
        resolvePromise(JSON.parse(last) as T);
      } catch {
        reject(new BenchError(`worker ${args.join(' ')} printed no JSON result`));
      }
    });
  });
}

function positive(name: string, value: string): number {
  const x = Number(value);
  if (!Number.isInteger(x) || x < 1) throw new BenchError(`--${name}: expected a positive integer, got '${value}'`);
  return x;
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      events: { type: 'string', default: '1000000' },
      'throughput-events': { type: 'string', default: '200000' },
      'ingest-events': { type: 'string', default: '20000' },
      batch: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      'naive-concurrency': { type: 'string', default: '16' },
      'load-writers': { type: 'string', default: '8' },
      'avg-batch': { type: 'string', default: '12' },
      week: { type: 'boolean', default: false },
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      worker: { type: 'string' },
      endpoint: { type: 'string' },
    },
  });
  quiet = args.quiet;
  const config = loadConfig(args.config);
  const events = positive('events', args.events);
  const throughputEvents = positive('throughput-events', args['throughput-events']);
  const ingestEvents = positive('ingest-events', args['ingest-events']);
  const batch = args.batch ? positive('batch', args.batch) : config.ingest.batchSize;

  if (args.worker === 'throughput') {
    process.stdout.write(`${JSON.stringify(await throughputWorker(config, throughputEvents, batch))}\n`);
    return;
  }
  if (args.worker === 'rollup') {
    if (!args.endpoint) throw new BenchError('--worker rollup needs --endpoint');
    process.stdout.write(`${JSON.stringify(await rollupWorker(config, args.endpoint, events, args.week))}\n`);
    return;
  }
  if (args.worker) throw new BenchError(`unknown worker '${args.worker}'`);

  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const load = { cores: cpus().length, loadAverageStart: loadavg().map((x) => round(x, 2)), loadAverageEnd: [0] };
  const common = ['--config', args.config, ...(quiet ? ['--quiet'] : [])];

  progress(`1/3 in-process throughput: ${n(throughputEvents)} events, one thread (child process)`);
  const throughput = await runWorker<ThroughputResult>([
    '--worker',
    'throughput',
    '--throughput-events',
    String(throughputEvents),
    '--batch',
    String(batch),
    ...common,
  ]);

  progress(`2/3 write units: ${n(ingestEvents)} events in ${batch}-message batches, this design and naive`);
  const ingestStream = messStream(config, ingestEvents, 2);
  const { ours, naive } = await withLocal(undefined, async (local) => {
    const client = createDocumentClient({ endpoint: local.endpoint, ...LOCAL_AWS });
    try {
      const o = await measureOurWrites(client, config, ingestStream, batch, positive('concurrency', args.concurrency));
      progress(`  this design: ${n(o.writeUnits)} WCU in ${o.seconds.toFixed(1)} s; now the naive design`);
      const nv = await measureNaiveWrites(
        client,
        config,
        ingestStream,
        positive('naive-concurrency', args['naive-concurrency']),
      );
      progress(`  naive: ${n(nv.writeUnits)} WCU in ${nv.seconds.toFixed(1)} s`);
      return { ours: o, naive: nv };
    } finally {
      client.destroy();
    }
  });

  const dbPath = resolve('bench-output', 'ingest-db');
  mkdirSync(dbPath, { recursive: true });
  progress(`3/3 rollup of ${n(events)} events on ${DAY} (DynamoDB Local data in ${join('bench-output', 'ingest-db')})`);
  const { loaded, rollup } = await withLocal(dbPath, async (local) => {
    const client = createDocumentClient({ endpoint: local.endpoint, ...LOCAL_AWS });
    try {
      const l = await ensureDayLoaded(client, config, events, positive('load-writers', args['load-writers']));
      progress(l.reused ? '  reusing the day stored on disk' : `  loaded in ${l.seconds.toFixed(0)} s`);
      const r = await runWorker<RollupResult>([
        '--worker',
        'rollup',
        '--endpoint',
        local.endpoint,
        '--events',
        String(events),
        ...(args.week ? ['--week'] : []),
        ...common,
      ]);
      return { loaded: l, rollup: r };
    } finally {
      client.destroy();
    }
  });
  const rollupChecks = {
    eventsRead: rollup.eventsRead === events,
    dau: rollup.dau === loaded.expected.distinctUsers,
    newUsers: rollup.newUsers === loaded.expected.signedUp,
  };

  const assumptions: Assumptions = {
    eventsPerDay: 1_000_000,
    avgBatch: positive('avg-batch', args['avg-batch']),
    sendBatch: 10,
    batchWriteMs: 10,
    updateMs: 5,
    invocationOverheadMs: 5,
    ingestMemoryMB: 512,
    rollupMemoryMB: 1024,
    idlePollsPerDay: (5 * 86_400) / 20,
    queryPageMs: 30,
    naiveIdempotencyDays: 14,
    naiveMarkerDays: 2,
  };
  const days = nightlyDaysRead(config);
  const cost = costModel(
    assumptions,
    throughput,
    ours,
    naive,
    rollup,
    days,
    config.ingest.eventRetentionDays,
    config.ingest.shardsPerDay,
  );
  load.loadAverageEnd = loadavg().map((x) => round(x, 2));

  const wcuRatio = naive.wcuPer1000 / ours.wcuPer1000;
  const pass = {
    throughput: throughput.ours.wallPerSecond >= TARGETS.eventsPerSecond,
    throughputCpu: throughput.ours.cpuPerSecond >= TARGETS.eventsPerSecond,
    wcuPer1000: ours.wcuPer1000 <= TARGETS.wcuPer1000 && ours.item.over1KB === 0,
    wcuPer1000AtAvgBatch: cost.modelled.wcuPer1000AtAvgBatch <= TARGETS.wcuPer1000,
    naiveRatio: wcuRatio >= TARGETS.naiveRatio,
    rollupExact: rollupChecks.eventsRead && rollupChecks.dau && rollupChecks.newUsers,
    rollupWithinLambdaTimeout: cost.thisDesign.lambda.rollupSecondsWorstNight.estimate < 900,
  };

  const summary = {
    day: DAY,
    machine: load,
    targets: TARGETS,
    pass,
    throughput: {
      messages: throughput.messages,
      messageBytes: throughput.bytes,
      mix: throughput.byEvent,
      thisDesign: throughput.ours,
      naive: throughput.naive,
      ratio: round(throughput.ours.wallPerSecond / throughput.naive.wallPerSecond, 2),
      stagesMicrosPerEvent: throughput.stagesMicros,
    },
    writes: {
      thisDesign: { ...ours, wcuPer1000: round(ours.wcuPer1000, 1), seconds: round(ours.seconds) },
      naive: {
        ...naive,
        wcuPer1000: round(naive.wcuPer1000, 1),
        rcuPer1000: round(naive.rcuPer1000, 1),
        seconds: round(naive.seconds),
      },
      naiveOverThisDesign: round(wcuRatio, 2),
    },
    rollup: {
      events,
      load: { reused: loaded.reused, seconds: round(loaded.seconds) },
      ...rollup,
      seconds: round(rollup.seconds, 2),
      cpuSeconds: round(rollup.cpuSeconds, 2),
      eventsPerSecond: Math.round(rollup.eventsRead / rollup.seconds),
      readUnitsPer1000: round((rollup.readUnits / rollup.eventsRead) * 1000, 2),
      baselineRssMB: Math.round(rollup.baselineRssMB),
      peakRssMB: Math.round(rollup.peakRssMB),
      peakHeapMB: Math.round(rollup.peakHeapMB),
      checks: rollupChecks,
    },
    monthlyCost: { ...roundDeep(cost), prices: PRICES },
  };

  console.log(report(summary, throughput, ours, naive, rollup, cost, loaded, events));
  if (args.json) console.log(JSON.stringify(summary));
}

function report(
  s: {
    machine: { cores: number; loadAverageStart: number[]; loadAverageEnd: number[] };
    pass: Record<string, boolean>;
    rollup: { checks: Record<string, boolean>; periods: string[] };
  },
  t: ThroughputResult,
  ours: OursWrites,
  naive: NaiveWrites,
  rollup: RollupResult,
  cost: ReturnType<typeof costModel>,
  loaded: LoadResult,
  events: number,
): string {
  const ok = (b: boolean | undefined) => (b ? 'PASS' : 'FAIL');
  const L: string[] = [];
  const a = cost.assumptions;
  const wcuRatio = naive.wcuPer1000 / ours.wcuPer1000;
  L.push(
    `Nightshift ingest benchmark, day ${DAY} (${s.machine.cores} cores, load average ${s.machine.loadAverageStart.join(' ')} -> ${s.machine.loadAverageEnd.join(' ')}: shared machine, figures are noisy)`,
    '',
    `1. In-process ingest, one thread, no I/O: ${n(t.messages)} messages (${n(t.events)} distinct events, ~1% redelivered, 0.05% malformed),`,
    `   ${t.bytes.mean} B mean (p50 ${t.bytes.p50}, p95 ${t.bytes.p95}, max ${t.bytes.max}); mix ${Object.entries(
      t.byEvent,
    )
      .map(([k, v]) => `${k} ${((v / t.events) * 100).toFixed(1)}%`)
      .join(', ')}`,
    `                                                       msgs/s (wall)   msgs/s (CPU)   passes (wall)`,
    `   this design: parse+validate+dedupe+key+marshall  ${n(t.ours.wallPerSecond).padStart(13)} ${n(t.ours.cpuPerSecond).padStart(14)}   ${t.ours.passesWall.map(n).join(', ')}   target >= ${n(TARGETS.eventsPerSecond)}: ${ok(s.pass.throughput)} (wall) / ${ok(s.pass.throughputCpu)} (CPU)`,
    `   naive: parse+validate+build/marshall its requests${n(t.naive.wallPerSecond).padStart(13)} ${n(t.naive.cpuPerSecond).padStart(14)}   ${t.naive.passesWall.map(n).join(', ')}`,
    `   ratio this/naive ${(t.ours.wallPerSecond / t.naive.wallPerSecond).toFixed(2)}x; CPU us/event by stage: ${Object.entries(
      t.stagesMicros,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
    '',
    `2. DynamoDB write units per 1,000 stored events (ReturnConsumedCapacity, DynamoDB Local in memory), ${n(ours.storedEvents)} events:`,
    `   this design (ingestMessages, ${ours.batches} batches of <= ${Math.ceil(ours.messages / ours.batches)} messages): ${ours.wcuPer1000.toFixed(1)} WCU/1000  target <= ${n(TARGETS.wcuPer1000)}: ${ok(s.pass.wcuPer1000)}`,
    `      events ${n(ours.byKind.events)} + last-stored mark ${n(ours.byKind.statsCounter)} + quarantine ${n(ours.byKind.quarantine)} + late-day marks ${n(ours.byKind.dirtyMarks)} + other ${n(ours.byKind.other)} = ${n(ours.writeUnits)} WCU;`,
    `      ${n(ours.messages)} messages: ${n(ours.duplicatesInBatch)} duplicates within a batch (free), ${n(ours.rejected)} quarantined, ${ours.failed} failed; table holds exactly ${n(ours.storedEvents)} events`,
    `      stored item ${ours.item.meanBytes} B mean, p95 ${ours.item.p95Bytes}, max ${ours.item.maxBytes}, ${ours.item.over1KB} over 1 KB; ${ours.seconds.toFixed(1)} s`,
    `   naive (idempotency put + counter update per KPI input): ${naive.wcuPer1000.toFixed(1)} WCU/1000 (+ ${naive.rcuPer1000.toFixed(1)} RCU/1000 cohort reads), ${naive.seconds.toFixed(1)} s`,
    `      requests: ${Object.entries(naive.requests)
      .map(([k, v]) => `${k} ${n(v)}`)
      .join(', ')}; ${n(naive.conditionalFailures)} conditional failures (charged 1 WCU each)`,
    `   naive / this design: ${wcuRatio.toFixed(2)}x  target >= ${TARGETS.naiveRatio}x: ${ok(s.pass.naiveRatio)}`,
    '',
    `3. Nightly rollup of ${n(events)} events in one local day (periods ${rollup.periods.join(', ')}; DynamoDB Local on disk, ${loaded.reused ? 'reused' : `loaded in ${loaded.seconds.toFixed(0)} s`}):`,
    `   read units ${n(rollup.readUnits)} = ${((rollup.readUnits / rollup.eventsRead) * 1000).toFixed(2)} RCU/1000 events (eventually consistent Query, 8 shards concurrently)`,
    `   wall ${rollup.seconds.toFixed(1)} s = ${n(rollup.eventsRead / rollup.seconds)} events/s (bound by DynamoDB Local on disk: the rollup's own CPU was ${((rollup.cpuSeconds / rollup.seconds) * 100).toFixed(0)}% of it)`,
    `   Node CPU ${rollup.cpuSeconds.toFixed(1)} s = ${((rollup.cpuSeconds / rollup.eventsRead) * 1e6).toFixed(1)} us/event = ${n(rollup.eventsRead / rollup.cpuSeconds)} events per CPU-second (query, unmarshall, evaluate every KPI)`,
    `   peak RSS ${n(rollup.peakRssMB)} MB (${n(rollup.baselineRssMB)} MB before the rollup), peak heap ${n(rollup.peakHeapMB)} MB; ${rollup.values} values stored with ${n(rollup.writeUnits)} WCU`,
    `   exact: events read ${ok(s.rollup.checks.eventsRead)}, dau ${rollup.dau} ${ok(s.rollup.checks.dau)}, new_users ${rollup.newUsers} ${ok(s.rollup.checks.newUsers)}`,
    '',
    `4. Monthly cost at ${n(a.eventsPerDay)} events/day (${DAYS_PER_MONTH.toFixed(2)} days/month, us-east-1 on demand, no free tier):`,
    `   prices: DynamoDB $${PRICES.dynamoWritePerMillion}/M WRU, $${PRICES.dynamoReadPerMillion}/M RRU, $${PRICES.dynamoStoragePerGBMonth}/GB-month, PITR $${PRICES.pitrPerGBMonth}/GB-month; SQS $${PRICES.sqsPerMillionRequests}/M requests; Lambda arm64 $${PRICES.lambdaPerGBSecond}/GB-s, $${PRICES.lambdaPerMillionRequests}/M requests`,
    `   assumptions: ${a.avgBatch} messages per ingest invocation on average (1M/day is ~11.6 msg/s over 5 pollers with a 5 s window; measured at ${Math.ceil(ours.messages / ours.batches)}),`,
    `     producers send ${a.sendBatch} events per SendMessageBatch (one 64 KB chunk), Lambda receives and deletes in 10s plus ${n(a.idlePollsPerDay)} idle polls/day,`,
    `     BatchWriteItem ${a.batchWriteMs} ms, UpdateItem ${a.updateMs} ms, ${a.invocationOverheadMs} ms overhead per invocation; CPU scaled to the vCPU share of ${a.ingestMemoryMB} MB (ingest) / ${a.rollupMemoryMB} MB (rollup),`,
    `     arm64 as fast per core as this machine; rollup reads 1 MB Query pages in ${a.queryPageMs} ms, its shards concurrently; events stored ${n(ours.item.meanBytes)} B + ${ITEM_OVERHEAD_BYTES} B overhead for ${cost.retentionDays} days; the nightly rollup reads ${cost.modelled.nightlyDaysRead.mean} days on average (max ${cost.modelled.nightlyDaysRead.max}: month-to-date + week + recompute)`,
  );
  const d = cost.thisDesign.dynamo;
  const nd = cost.naive.dynamo;
  const lam = cost.thisDesign.lambda;
  const row = (name: string, ours: string, naive: string) =>
    `   ${name.padEnd(58)} ${ours.padStart(10)} ${naive.padStart(10)}`;
  L.push(
    row('', 'this', 'naive'),
    row(
      `DynamoDB writes (${cost.modelled.wcuPer1000AtAvgBatch.toFixed(0)} WCU/1000 at ${a.avgBatch}-msg batches; ${naive.wcuPer1000.toFixed(0)})`,
      usd(d.writes),
      usd(nd.writes),
    ),
    row(
      `DynamoDB reads (rollup ${(cost.modelled.rollupReadUnitsPerEvent * 1000).toFixed(1)} RCU/1000 x ${cost.modelled.nightlyDaysRead.mean} days/night)`,
      usd(d.reads),
      usd(nd.reads),
    ),
    row(
      `DynamoDB storage (${d.storedGB.toFixed(0)} GB vs ${nd.storedGB.toFixed(1)} GB)`,
      usd(d.storage),
      usd(nd.storage),
    ),
    row('DynamoDB point-in-time recovery', usd(d.pitr), usd(nd.pitr)),
    row('DynamoDB subtotal', usd(cost.thisDesignDynamoTotal), usd(cost.naive.dynamoTotal)),
    row(
      `SQS (${(cost.thisDesign.sqs.requestsPerMonth / 1e6).toFixed(1)} M requests)`,
      usd(cost.thisDesign.sqs.cost),
      '',
    ),
    row(
      `Lambda ingest (${(cost.thisDesign.lambda.ingestInvocationsPerMonth / 1e6).toFixed(2)} M invocations x ${cost.thisDesign.lambda.ingestMsPerInvocation.toFixed(1)} ms x ${a.ingestMemoryMB} MB)`,
      usd(cost.thisDesign.lambda.ingest),
      '',
    ),
    row(
      `Lambda rollup (${n(lam.rollupSecondsPerNight.estimate)} s/night x ${a.rollupMemoryMB} MB)`,
      usd(lam.rollup),
      '',
    ),
    row('total', usd(cost.thisDesign.total), ''),
    `   WCU/1000 modelled at ${a.avgBatch} messages per invocation: ${cost.modelled.wcuPer1000AtAvgBatch.toFixed(1)} (target <= ${n(TARGETS.wcuPer1000)}: ${ok(s.pass.wcuPer1000AtAvgBatch)}; the last-stored mark costs 1 WCU per invocation)`,
    `   nightly rollup at 1M/day reads ${n(cost.modelled.nightlyDaysRead.mean * a.eventsPerDay)} events on average: CPU-bound ${n(lam.rollupSecondsPerNight.cpuBound)} s at ${a.rollupMemoryMB} MB, read-bound ${n(lam.rollupSecondsPerNight.readBound)} s (at DynamoDB Local's rate here: ${n(lam.rollupSecondsPerNight.atDynamoLocalRate)} s)`,
    `   worst night (${cost.modelled.nightlyDaysRead.max} days read, month end): CPU-bound ${n(lam.rollupSecondsWorstNight.cpuBound)} s at ${a.rollupMemoryMB} MB (${n(lam.rollupSecondsWorstNightAtFullVcpu)} s with a full vCPU), read-bound ${n(lam.rollupSecondsWorstNight.readBound)} s; Lambda allows 900 s: ${ok(s.pass.rollupWithinLambdaTimeout)}`,
    `   naive storage: idempotency records kept ${a.naiveIdempotencyDays} days (SQS's longest retention), markers ${a.naiveMarkerDays} days; it keeps no raw events, so no recompute, weekly/monthly distincts or late fixes`,
  );
  return L.join('\n');
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench:ingest: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}

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
// 3. the last night of a month at N events a day (default 1,000,000): the 30th day stored through the real ingest
//    path, 29 day summaries (cached under bench-output/month/), read units, CPU time and peak RSS (child process);
// 4. a monthly cost estimate at 1 million events a day from the measured units (prices and assumptions printed).
// Everything runs on an in-memory DynamoDB Local: on disk it commits every item in a transaction of its own (about a
// hundred items/s on this machine), measured with `nightshift ingest` itself by bench/ingest-local.ts.
// Figures are noisy: the machine's cores are shared, and DynamoDB Local runs on the same cores as the benchmark.
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createS3Archive, createS3Client, ensureBucket } from '#shared/archive/s3.ts';
import { DEFAULT_CONFIG_FILE, loadConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { parseEventBody, type StoredEvent } from '#shared/events/envelope.ts';
import { eventPacks, forEachEventOfDay, hotDays, type PackEntry, quarantineItem } from '#shared/events/events-store.ts';
import { type IncomingMessage, ingestMessages } from '#shared/events/ingest.ts';
import { eventPartition, LAST_STORED } from '#shared/events/keys.ts';
import { LOCAL_AWS, type LocalDynamo, startDynamoLocal } from '#shared/local/dynamodb-local.ts';
import { LOCAL_S3, startS3Local } from '#shared/local/s3-local.ts';
import { createDocumentClient, createDynamoStore, ensureTables } from '#shared/store/dynamodb.ts';
import type { Item, StateStore } from '#shared/store/store.ts';
import { tableNames } from '#shared/store/tables.ts';
import { addDays, localDate, parseOffsetTimestamp, zonedInstant } from '#shared/time/calendar.ts';
import { dynamoItemBytes, generateStream, type Stream } from './lib/events.ts';
import {
  LAST_DAY,
  loadMonth,
  MONTH,
  type MonthEndResult,
  type MonthExpected,
  type MonthFiles,
  monthEndExact,
  prepareMonthFiles,
  runMonthEnd,
} from './lib/month.ts';
import { type NaiveOps, naiveIngest, planNaive } from './lib/naive.ts';

class BenchError extends Error {
  override name = 'BenchError';
}

/** The local day every part of the benchmark uses (a Wednesday; the ISO week and month around it are ordinary). */
const DAY = '2026-11-18';
const TARGETS = { eventsPerCpuSecond: 100_000, monthEndCpuSeconds: 60, monthEndRssMB: 1024, monthlyCostUsd: 15 };
/** When parts 1 and 2 ingest the day: its last half hour (events arrive during their day; late ones mark theirs). */
const ARRIVAL = (config: NightshiftConfig) => zonedInstant(DAY, '23:30', config.timeZone);
/** The mess of a real queue in parts 1 and 2 (the demo's rates): redeliveries, malformed and late messages. */
const MESS = { duplicateRate: 0.01, malformedRate: 0.0005, lateRate: 0.003, lateDays: 6 };
const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/** An item's size as DynamoDB bills it, binary attributes (packs) by their length. */
function packBytes(item: Record<string, unknown>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) {
    n += Buffer.byteLength(k) + (v instanceof Uint8Array ? v.length : dynamoItemBytes({ '': v }));
  }
  return n;
}

/** us-east-1 list prices (on demand, arm64), without free tiers. */
const PRICES = {
  dynamoWritePerMillion: 0.625,
  dynamoReadPerMillion: 0.125,
  dynamoStoragePerGBMonth: 0.25,
  /** The stack turns point-in-time recovery on for both tables (infra/state-tables.ts). */
  pitrPerGBMonth: 0.2,
  sqsPerMillionRequests: 0.4,
  s3StandardPerGBMonth: 0.023,
  s3IaPerGBMonth: 0.0125,
  s3GlacierIrPerGBMonth: 0.004,
  s3PutPer1000: 0.005,
  s3TransitionIaPer1000: 0.01,
  s3TransitionGlacierIrPer1000: 0.02,
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
  const hot = hotDays(config);
  const now = ARRIVAL(config);
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
      const entries = [...seen.values()].map((event) => ({ event, sentAt: now }));
      for (const pack of eventPacks(entries, shardsPerDay, hot)) {
        check += marshall(pack.item, MARSHALL).pk!.S!.length;
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
  // The packs ingest writes for batches of `batch` messages.
  const packEntries: PackEntry[][] = [];
  for (let i = 0; i < valid.length; i += batch) {
    packEntries.push(valid.slice(i, i + batch).map((event) => ({ event, sentAt: now })));
  }
  const packItems = packEntries.flatMap((entries) => eventPacks(entries, shardsPerDay, hot).map((p) => p.item));
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
    'pack (eventPacks: group, key, zstd)': stage(valid.length, () => {
      let k = 0;
      for (const entries of packEntries) k += eventPacks(entries, shardsPerDay, hot).length;
      return k;
    }),
    'marshall packs (util-dynamodb)': stage(valid.length, () => {
      let k = 0;
      for (const it of packItems) k += marshall(it, MARSHALL).pk ? 1 : 0;
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
  /** The items written: packs of events (billed size, as DynamoDB counts it). */
  packs: {
    count: number;
    eventsPerPack: number;
    meanBytes: number;
    p95Bytes: number;
    maxBytes: number;
    bytesPerEvent: number;
  };
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
  const now = ARRIVAL(config);
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

  // Exactly once: every read of the table must give each distinct valid event once (counted outside the measured
  // store); packs are billed by their own size.
  const days = [DAY, addDays(DAY, -MESS.lateDays)];
  const reader = createDynamoStore({ client, tables });
  let storedEvents = 0;
  for (const day of days) storedEvents += await forEachEventOfDay(reader, day, config.ingest.shardsPerDay, () => {});
  if (storedEvents !== stream.stats.events) {
    throw new BenchError(`events table holds ${storedEvents} events, expected ${stream.stats.events} (exactly once)`);
  }
  const sizes: number[] = [];
  let packedEvents = 0;
  for (const day of days) {
    for (let shard = 0; shard < config.ingest.shardsPerDay; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tables.events,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': eventPartition(day, shard) },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) {
          sizes.push(packBytes(item));
          packedEvents += Number(item.n ?? 1);
        }
        start = out.LastEvaluatedKey;
      } while (start);
    }
  }
  sizes.sort((a, b) => a - b);
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
    packs: {
      count: sizes.length,
      eventsPerPack: packedEvents / sizes.length,
      meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
      p95Bytes: sizes[Math.floor(sizes.length * 0.95)]!,
      maxBytes: sizes[sizes.length - 1]!,
      bytesPerEvent: sizes.reduce((a, b) => a + b, 0) / packedEvents,
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
  const now = ARRIVAL(config);
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
// Part 3: the last night of a month at N events a day (in-memory DynamoDB Local and s3rver, started here)

/** The prepared month, as the setup worker reports it. */
type MonthPrepared = Omit<MonthFiles, 'dir'> & { dir: string };

async function monthEndWorker(config: NightshiftConfig, endpoint: string, s3Endpoint: string): Promise<MonthEndResult> {
  const client = createDocumentClient({ endpoint, ...LOCAL_AWS });
  const store = createDynamoStore({ client, tables: tableNames('bench-month') });
  const archive = createS3Archive({
    client: createS3Client({ endpoint: s3Endpoint, ...LOCAL_S3 }),
    bucket: ARCHIVE_BUCKET,
  });
  try {
    return await runMonthEnd(store, archive, config);
  } finally {
    client.destroy();
  }
}

const ARCHIVE_BUCKET = 'bench-archive';

// ---------------------------------------------------------------------------------------------------------------
// Part 4: monthly cost at 1 million events a day, from the measured units

interface Assumptions {
  eventsPerDay: number;
  /** Average messages per ingest invocation (part 2 ran at this size). */
  avgBatch: number;
  /** Events per SendMessageBatch from producers. */
  sendBatch: number;
  /** Round trip of one BatchWriteItem of a pack and of one PutItem (the last-stored mark), in-region. */
  batchWriteMs: number;
  updateMs: number;
  /** Per-invocation overhead of the handler (runtime hand-off, logging a line). */
  invocationOverheadMs: number;
  ingestMemoryMB: number;
  rollupMemoryMB: number;
  /** Idle long polls of the event source's pollers per day (5 pollers x one 20 s poll), an upper bound. */
  idlePollsPerDay: number;
  /**
   * Days each night reads: yesterday, and yesterday again the next night (events of 23:59 that arrive after the
   * rollup mark their day): every day is read twice, an upper bound for a shop whose late events are few.
   */
  daysReadPerNight: number;
  /** Days in S3 Standard, then Standard-IA until glacierAfterDays, then Glacier Instant Retrieval (lifecycle rules). */
  standardDays: number;
  glacierAfterDays: number;
}

interface CostInputs {
  throughput: ThroughputResult;
  ours: OursWrites;
  naive: NaiveWrites;
  monthEnd: MonthEndResult;
  summaryBytesPerDay: number;
  retentionDays: number;
  hotDays: number;
}

function costModel(a: Assumptions, m: CostInputs) {
  const E = a.eventsPerDay;
  const month = DAYS_PER_MONTH;
  const { ours, monthEnd } = m;
  const invocationsPerDay = E / a.avgBatch;
  // Part 2 ran at the average batch: its units already hold the last-stored mark of each invocation.
  const wcuPerEvent = ours.writeUnits / ours.storedEvents;
  const wcuPerDay = E * wcuPerEvent;
  // The measured night read one day of E events and merged the month: every night is costed as that night, with
  // its day read `daysReadPerNight` times.
  const nightReadUnits = monthEnd.readUnits * a.daysReadPerNight;
  const nightWriteUnits = monthEnd.writeUnits * a.daysReadPerNight;
  const perItemOverhead = ITEM_OVERHEAD_BYTES / ours.packs.eventsPerPack;
  const hotGB = (E * (m.hotDays + 1) * (ours.packs.bytesPerEvent + perItemOverhead)) / 1e9;
  const summariesGB = (m.retentionDays * (m.summaryBytesPerDay + ITEM_OVERHEAD_BYTES * 10)) / 1e9;
  const storedGB = hotGB + summariesGB;
  const dynamo = {
    writeUnitsPerMonth: (wcuPerDay + nightWriteUnits) * month,
    readUnitsPerMonth: nightReadUnits * month,
    hotEventsGB: hotGB,
    summariesGB,
    storedGB,
    writes: (((wcuPerDay + nightWriteUnits) * month) / 1e6) * PRICES.dynamoWritePerMillion,
    reads: ((nightReadUnits * month) / 1e6) * PRICES.dynamoReadPerMillion,
    storage: storedGB * PRICES.dynamoStoragePerGBMonth,
    pitr: storedGB * PRICES.pitrPerGBMonth,
  };

  // S3: each read day is written again (parts and manifest), and kept `retentionDays` across the storage classes.
  const dayBytes = monthEnd.archive.bytesPut / Math.max(1, monthEnd.daysRead);
  const putsPerDayRead = monthEnd.archive.puts / Math.max(1, monthEnd.daysRead);
  const gb = (days: number) => (Math.max(0, days) * dayBytes) / 1e9;
  const standardGB = gb(Math.min(a.standardDays, m.retentionDays));
  const iaGB = gb(Math.min(a.glacierAfterDays, m.retentionDays) - a.standardDays);
  const glacierGB = gb(m.retentionDays - a.glacierAfterDays);
  const putsPerMonth = putsPerDayRead * a.daysReadPerNight * month;
  const objectsPerDay = putsPerDayRead;
  const s3 = {
    archivedBytesPerDay: dayBytes,
    bytesPerEvent: dayBytes / E,
    storedGB: standardGB + iaGB + glacierGB,
    putsPerMonth,
    storage:
      standardGB * PRICES.s3StandardPerGBMonth +
      iaGB * PRICES.s3IaPerGBMonth +
      glacierGB * PRICES.s3GlacierIrPerGBMonth,
    requests:
      (putsPerMonth / 1000) * PRICES.s3PutPer1000 +
      ((objectsPerDay * month) / 1000) * (PRICES.s3TransitionIaPer1000 + PRICES.s3TransitionGlacierIrPer1000),
  };

  const receivesPerInvocation = Math.ceil(a.avgBatch / 10);
  const sqsPerDay = E / a.sendBatch + invocationsPerDay * receivesPerInvocation * 2 + a.idlePollsPerDay; // receive + delete batches
  const sqs = { requestsPerMonth: sqsPerDay * month, cost: ((sqsPerDay * month) / 1e6) * PRICES.sqsPerMillionRequests };

  const ingestShare = Math.min(1, a.ingestMemoryMB / FULL_VCPU_MB);
  const cpuMsPerEvent = 1000 / m.throughput.ours.cpuPerSecond;
  const packsPerInvocation = Math.max(1, a.avgBatch / ours.packs.eventsPerPack);
  const ingestMs =
    a.invocationOverheadMs +
    (a.avgBatch * cpuMsPerEvent) / ingestShare +
    Math.ceil(packsPerInvocation) * a.batchWriteMs +
    a.updateMs;
  const ingestGBs = invocationsPerDay * month * (Math.ceil(ingestMs) / 1000) * (a.ingestMemoryMB / 1024);
  // The rollup's duration in AWS: its CPU at the function's vCPU share (reads overlap with it: the shards are read
  // concurrently); each night reads its day `daysReadPerNight` times and merges once.
  const rollupShare = Math.min(1, a.rollupMemoryMB / FULL_VCPU_MB);
  const nightCpu = monthEnd.dayCpuSeconds * a.daysReadPerNight + monthEnd.mergeCpuSeconds;
  const rollupSecondsPerNight = nightCpu / rollupShare;
  const lambda = {
    ingestInvocationsPerMonth: invocationsPerDay * month,
    ingestMsPerInvocation: ingestMs,
    ingestGBSecondsPerMonth: ingestGBs,
    ingest:
      ingestGBs * PRICES.lambdaPerGBSecond + ((invocationsPerDay * month) / 1e6) * PRICES.lambdaPerMillionRequests,
    rollupSecondsPerNight,
    rollupGBSecondsPerMonth: rollupSecondsPerNight * month * (a.rollupMemoryMB / 1024),
    rollup: rollupSecondsPerNight * month * (a.rollupMemoryMB / 1024) * PRICES.lambdaPerGBSecond,
  };
  const dynamoTotal = dynamo.writes + dynamo.reads + dynamo.storage + dynamo.pitr;
  const total = dynamoTotal + s3.storage + s3.requests + sqs.cost + lambda.ingest + lambda.rollup;
  return {
    assumptions: a,
    retentionDays: m.retentionDays,
    hotDays: m.hotDays,
    prices: PRICES,
    units: {
      wruPer1000Events: wcuPerEvent * 1000,
      rruPer1000EventsRead: (monthEnd.readUnits / Math.max(1, monthEnd.eventsRead)) * 1000,
      rollupWruPerNight: monthEnd.writeUnits,
      s3PutsPerDayArchived: putsPerDayRead,
      s3BytesPerEvent: dayBytes / E,
      lambdaIngestGBsPerMonth: ingestGBs,
      lambdaRollupGBsPerMonth: lambda.rollupGBSecondsPerMonth,
      sqsRequestsPerMonth: sqs.requestsPerMonth,
    },
    thisDesign: { dynamo, s3, sqs, lambda, dynamoTotal, total },
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
      config: { type: 'string', default: DEFAULT_CONFIG_FILE },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      worker: { type: 'string' },
      endpoint: { type: 'string' },
      's3-endpoint': { type: 'string' },
    },
  });
  quiet = args.quiet;
  const config = loadConfig(args.config);
  const events = positive('events', args.events);
  const throughputEvents = positive('throughput-events', args['throughput-events']);
  const ingestEvents = positive('ingest-events', args['ingest-events']);
  const avgBatch = positive('avg-batch', args['avg-batch']);
  const batch = args.batch ? positive('batch', args.batch) : config.ingest.batchSize;
  const monthCache = resolve('bench-output', 'month');

  if (args.worker === 'throughput') {
    process.stdout.write(`${JSON.stringify(await throughputWorker(config, throughputEvents, batch))}\n`);
    return;
  }
  if (args.worker === 'month-files') {
    process.stdout.write(`${JSON.stringify(prepareMonthFiles(config, events, monthCache, progress))}\n`);
    return;
  }
  if (args.worker === 'month-end') {
    if (!args.endpoint || !args['s3-endpoint'])
      throw new BenchError('--worker month-end needs --endpoint and --s3-endpoint');
    process.stdout.write(`${JSON.stringify(await monthEndWorker(config, args.endpoint, args['s3-endpoint']))}\n`);
    return;
  }
  if (args.worker) throw new BenchError(`unknown worker '${args.worker}'`);

  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const load = { cores: cpus().length, loadAverageStart: loadavg().map((x) => round(x, 2)), loadAverageEnd: [0] };
  const common = ['--config', args.config, ...(quiet ? ['--quiet'] : [])];

  progress(`1/4 in-process throughput: ${n(throughputEvents)} events, one thread (child process)`);
  const throughput = await runWorker<ThroughputResult>([
    '--worker',
    'throughput',
    '--throughput-events',
    String(throughputEvents),
    '--batch',
    String(batch),
    ...common,
  ]);

  // Write units at the batch size the cost model assumes: the packs and the last-stored mark as they will be billed.
  progress(`2/4 write units: ${n(ingestEvents)} events in ${avgBatch}-message batches, this design and naive`);
  const ingestStream = messStream(config, ingestEvents, 2);
  const { ours, naive } = await withLocal(undefined, async (local) => {
    const client = createDocumentClient({ endpoint: local.endpoint, ...LOCAL_AWS });
    try {
      const o = await measureOurWrites(
        client,
        config,
        ingestStream,
        avgBatch,
        positive('concurrency', args.concurrency),
      );
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

  progress(
    `3/4 month end at ${n(events)} events a day: 29 day summaries (cached in bench-output/month/), the 30th day stored`,
  );
  const files = await runWorker<MonthPrepared>(['--worker', 'month-files', '--events', String(events), ...common]);
  progress(files.reused ? '  reusing the summarized days' : '  summarized the month');
  const { monthEnd, loadedSeconds } = await withLocal(undefined, async (local) => {
    const s3 = await startS3Local();
    const stopS3 = () => s3.stop();
    cleanups.add(stopS3);
    const client = createDocumentClient({ endpoint: local.endpoint, ...LOCAL_AWS });
    try {
      const tables = tableNames('bench-month');
      await ensureTables(client, tables);
      await ensureBucket(createS3Client({ endpoint: s3.endpoint, ...LOCAL_S3 }), ARCHIVE_BUCKET);
      const started = performance.now();
      const stored = await loadMonth(
        createDynamoStore({ client, tables }),
        config,
        files,
        events,
        batch,
        positive('load-writers', args['load-writers']),
      );
      const loadedSeconds = (performance.now() - started) / 1000;
      progress(
        `  stored ${n(stored.stored)} events of ${LAST_DAY} and 29 summaries in ${loadedSeconds.toFixed(0)} s (setup, not measured)`,
      );
      progress(`  the night of ${LAST_DAY}: nightlyRollup in a child process`);
      const r = await runWorker<MonthEndResult>([
        '--worker',
        'month-end',
        '--endpoint',
        local.endpoint,
        '--s3-endpoint',
        s3.endpoint,
        ...common,
      ]);
      return { monthEnd: r, loadedSeconds };
    } finally {
      client.destroy();
      cleanups.delete(stopS3);
      await s3.stop();
    }
  });
  const exactChecks = monthEndExact(monthEnd, files.expected);
  const exact = Object.values(exactChecks).every(Boolean);

  const assumptions: Assumptions = {
    eventsPerDay: 1_000_000,
    avgBatch,
    sendBatch: 10,
    batchWriteMs: 10,
    updateMs: 5,
    invocationOverheadMs: 5,
    ingestMemoryMB: 512,
    rollupMemoryMB: 1769,
    idlePollsPerDay: (5 * 86_400) / 20,
    daysReadPerNight: 2,
    standardDays: 30,
    glacierAfterDays: 90,
  };
  const summaryBytesPerDay = files.summaryBytes.reduce((a, b) => a + b, 0) / Math.max(1, files.summaryBytes.length);
  // The cost model is at 1M events a day: units measured on another N are scaled per event.
  const scale = assumptions.eventsPerDay / events;
  const scaled: MonthEndResult = {
    ...monthEnd,
    readUnits: monthEnd.readUnits * scale,
    writeUnits: monthEnd.writeUnits * scale,
    dayCpuSeconds: monthEnd.dayCpuSeconds * scale,
    mergeCpuSeconds: monthEnd.mergeCpuSeconds * scale,
    eventsRead: monthEnd.eventsRead * scale,
    archive: { ...monthEnd.archive, bytesPut: monthEnd.archive.bytesPut * scale },
  };
  const cost = costModel(assumptions, {
    throughput,
    ours,
    naive,
    monthEnd: scaled,
    summaryBytesPerDay: summaryBytesPerDay * scale,
    retentionDays: config.ingest.eventRetentionDays,
    hotDays: hotDays(config),
  });
  load.loadAverageEnd = loadavg().map((x) => round(x, 2));

  const pass = {
    throughputCpu: throughput.ours.cpuPerSecond >= TARGETS.eventsPerCpuSecond,
    exactlyOnce: ours.storedEvents === ingestStream.stats.events && ours.failed === 0,
    monthEndCpu: monthEnd.cpuSeconds <= TARGETS.monthEndCpuSeconds,
    monthEndMemory: monthEnd.peakRssMB <= TARGETS.monthEndRssMB,
    monthEndExact: exact,
    monthlyCost: cost.thisDesign.total <= TARGETS.monthlyCostUsd,
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
      stagesMicrosPerEvent: throughput.stagesMicros,
    },
    writes: {
      thisDesign: { ...ours, wcuPer1000: round(ours.wcuPer1000, 1), seconds: round(ours.seconds) },
      naive: { ...naive, wcuPer1000: round(naive.wcuPer1000, 1), rcuPer1000: round(naive.rcuPer1000, 1) },
      naiveOverThisDesign: round(naive.wcuPer1000 / ours.wcuPer1000, 2),
    },
    month: {
      eventsPerDay: events,
      reused: files.reused,
      loadSeconds: round(loadedSeconds),
      summaryBytesPerDay: Math.round(summaryBytesPerDay),
      expected: files.expected,
      got: monthEnd.got,
      checks: exactChecks,
    },
    monthlyCost: roundDeep(cost),
    monthEnd: {
      cpuSeconds: round(monthEnd.cpuSeconds, 2),
      dayCpuSeconds: round(monthEnd.dayCpuSeconds, 2),
      mergeCpuSeconds: round(monthEnd.mergeCpuSeconds, 2),
      wallSeconds: round(monthEnd.wallSeconds, 2),
      peakRssMB: Math.round(monthEnd.peakRssMB),
      baselineRssMB: Math.round(monthEnd.baselineRssMB),
      daysRead: monthEnd.daysRead,
      daysMerged: monthEnd.daysMerged,
      eventsRead: monthEnd.eventsRead,
      readUnits: Math.round(monthEnd.readUnits),
      writeUnits: Math.round(monthEnd.writeUnits),
      archive: monthEnd.archive,
      exact,
    },
    monthlyCostUsd: round(cost.thisDesign.total, 2),
  };

  console.log(report(summary, throughput, ours, naive, monthEnd, cost, events));
  if (args.json) console.log(JSON.stringify(summary));
}

function report(
  s: {
    machine: { cores: number; loadAverageStart: number[]; loadAverageEnd: number[] };
    pass: Record<string, boolean>;
    month: { checks: Record<string, boolean>; expected: MonthExpected; summaryBytesPerDay: number; reused: boolean };
  },
  t: ThroughputResult,
  ours: OursWrites,
  naive: NaiveWrites,
  m: MonthEndResult,
  cost: ReturnType<typeof costModel>,
  events: number,
): string {
  const ok = (b: boolean | undefined) => (b ? 'PASS' : 'FAIL');
  const a = cost.assumptions;
  const c = cost.thisDesign;
  const L: string[] = [
    `Nightshift ingest benchmark (${s.machine.cores} cores, load average ${s.machine.loadAverageStart.join(' ')} -> ${s.machine.loadAverageEnd.join(' ')}: shared machine, figures are noisy)`,
    '',
    `1. In-process ingest, one thread, no I/O: ${n(t.messages)} messages (${n(t.events)} distinct events, ~1% redelivered, 0.05% malformed), ${t.bytes.mean} B mean`,
    `   this design (parse, validate, dedupe, pack + zstd, marshal): ${n(t.ours.cpuPerSecond)} events per CPU-second (wall ${n(t.ours.wallPerSecond)}/s)  target >= ${n(TARGETS.eventsPerCpuSecond)}: ${ok(s.pass.throughputCpu)}`,
    `   naive (a conditional put and counter updates per event): ${n(t.naive.cpuPerSecond)} per CPU-second`,
    `   CPU us/event by stage: ${Object.entries(t.stagesMicros)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
    '',
    `2. DynamoDB write units through ingestMessages at ${Math.ceil(ours.messages / ours.batches)} messages per batch (DynamoDB Local, ReturnConsumedCapacity), ${n(ours.storedEvents)} events:`,
    `   ${ours.wcuPer1000.toFixed(1)} WRU per 1,000 events: packs ${n(ours.byKind.events)} + last-stored mark ${n(ours.byKind.statsCounter)} + quarantine ${n(ours.byKind.quarantine)} + late-day marks ${n(ours.byKind.dirtyMarks)} + other ${n(ours.byKind.other)} WRU`,
    `   ${n(ours.packs.count)} packs of ${ours.packs.eventsPerPack.toFixed(1)} events, ${ours.packs.meanBytes} B mean (p95 ${ours.packs.p95Bytes}, max ${ours.packs.maxBytes}) = ${ours.packs.bytesPerEvent.toFixed(0)} B per event stored`,
    `   exactly once: every read gives each of the ${n(ours.storedEvents)} distinct events once (${n(ours.duplicatesInBatch)} duplicates in a batch, ${n(ours.rejected)} quarantined, ${ours.failed} failed): ${ok(s.pass.exactlyOnce)}`,
    `   naive: ${naive.wcuPer1000.toFixed(1)} WRU/1000 (+ ${naive.rcuPer1000.toFixed(1)} RRU/1000), ${(naive.wcuPer1000 / ours.wcuPer1000).toFixed(1)}x this design`,
    '',
    `3. The last night of ${MONTH} at ${n(events)} events a day (nightlyRollup at 00:30 on the 1st, child process; DynamoDB Local in memory, s3rver):`,
    `   read ${n(m.eventsRead)} events of ${LAST_DAY} (${m.daysRead} days read), archived them (${m.archive.puts} PUTs, ${(m.archive.bytesPut / 1e6).toFixed(1)} MB), merged ${m.daysMerged} day summaries (${(s.month.summaryBytesPerDay / 1e6).toFixed(2)} MB each) into ${m.values} values`,
    `   CPU ${m.cpuSeconds.toFixed(1)} s (day ${m.dayCpuSeconds.toFixed(1)} s, merge and store ${m.mergeCpuSeconds.toFixed(1)} s), wall ${m.wallSeconds.toFixed(1)} s, peak RSS ${n(m.peakRssMB)} MB (${n(m.baselineRssMB)} before)  targets <= ${TARGETS.monthEndCpuSeconds} s: ${ok(s.pass.monthEndCpu)}, <= ${TARGETS.monthEndRssMB} MB: ${ok(s.pass.monthEndMemory)}`,
    `   ${n(m.readUnits)} RRU, ${n(m.writeUnits)} WRU; exact against the generated events (${s.month.reused ? 'cached' : 'counted now'}): ${Object.entries(
      s.month.checks,
    )
      .map(([k, v]) => `${k} ${ok(v)}`)
      .join(', ')}`,
    `   month: new users ${m.got.month.newUsers} (expected ${s.month.expected.month.newUsers}), viewers ${m.got.month.viewers} (${s.month.expected.month.viewers}), orders ${m.got.month.orders} (${s.month.expected.month.orders})`,
    '',
    `4. Monthly cost at ${n(a.eventsPerDay)} events a day, ${cost.retentionDays} days kept (us-east-1 on demand, no free tier; units above scaled per event to 1M/day):`,
    `   DynamoDB writes  ${usd(c.dynamo.writes).padStart(8)}  ${cost.units.wruPer1000Events.toFixed(0)} WRU/1000 events + ${n(cost.units.rollupWruPerNight)} WRU per nightly read`,
    `   DynamoDB reads   ${usd(c.dynamo.reads).padStart(8)}  ${cost.units.rruPer1000EventsRead.toFixed(1)} RRU/1000 events read (with the 30 summaries), ${a.daysReadPerNight} days read a night`,
    `   DynamoDB storage ${usd(c.dynamo.storage).padStart(8)}  ${c.dynamo.hotEventsGB.toFixed(2)} GB of events (${cost.hotDays + 1} days) + ${c.dynamo.summariesGB.toFixed(2)} GB of day summaries (${cost.retentionDays} days)`,
    `   DynamoDB PITR    ${usd(c.dynamo.pitr).padStart(8)}`,
    `   S3 archive       ${usd(c.s3.storage + c.s3.requests).padStart(8)}  ${c.s3.storedGB.toFixed(1)} GB (${(c.s3.bytesPerEvent).toFixed(0)} B/event; Standard ${a.standardDays} d, IA to ${a.glacierAfterDays} d, Glacier IR after), ${n(c.s3.putsPerMonth)} PUTs`,
    `   SQS              ${usd(c.sqs.cost).padStart(8)}  ${(c.sqs.requestsPerMonth / 1e6).toFixed(1)} M requests (${a.sendBatch} events per send, receive and delete in 10s)`,
    `   Lambda ingest    ${usd(c.lambda.ingest).padStart(8)}  ${(c.lambda.ingestInvocationsPerMonth / 1e6).toFixed(2)} M invocations x ${c.lambda.ingestMsPerInvocation.toFixed(1)} ms x ${a.ingestMemoryMB} MB = ${n(c.lambda.ingestGBSecondsPerMonth)} GB-s`,
    `   Lambda rollup    ${usd(c.lambda.rollup).padStart(8)}  ${c.lambda.rollupSecondsPerNight.toFixed(0)} s a night x ${a.rollupMemoryMB} MB = ${n(c.lambda.rollupGBSecondsPerMonth)} GB-s`,
    `   total            ${usd(c.total).padStart(8)}  target <= $${TARGETS.monthlyCostUsd}: ${ok(s.pass.monthlyCost)}`,
  ];
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

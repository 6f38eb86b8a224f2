// Property-based tests of ingest, an input boundary: whatever lines a batch holds (arbitrary JSON, strings and bytes,
// deep nesting, numbers DynamoDB cannot hold, duplicates), every valid event is stored exactly once, every other line
// is quarantined with a reason, the counts add up, and a run killed partway then retried leaves what a clean run does.

import { isDeepStrictEqual } from 'node:util';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parseEventBody, REJECT_REASONS, type RejectReason, type StoredEvent } from '#shared/events/envelope.ts';
import { countQuarantine, dirtyDays, eventItem, forEachEventOfDay } from '#shared/events/events-store.ts';
import { type IncomingMessage, type IngestResult, ingestMessages } from '#shared/events/ingest.ts';
import { eventPartition, quarantinePartition } from '#shared/events/keys.ts';
import { collect, type Item, PutManyError, type StateStore } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { killedAfter, withWrites } from '../support/killable.ts';

const config = exampleConfig(); // Asia/Shanghai, 8 shards per day, 60 min future tolerance, 400 days kept
const NOW = Date.parse('2026-11-23T02:00:00+08:00');
const TODAY = '2026-11-23';
/** Valid events lie in the three days before NOW: these local days hold them. */
const DAYS = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'];
const STORAGE_REASONS: RejectReason[] = [
  'unstorable_number',
  'unstorable_string',
  'bad_property_name',
  'too_deep',
  'item_too_large',
];

// --- Arbitraries ---------------------------------------------------------------------------------------------

/** Property values DynamoDB stores as sent. */
const { value: storableValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.integer({ min: -1e8, max: 1e8 }).map((cents) => cents / 100),
    fc.string({ maxLength: 12 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('value'), { maxKeys: 3 }),
  ),
}));

interface PoolEvent {
  messageId: string;
  event: string;
  userId?: string;
  timestamp: string;
  properties: Record<string, unknown>;
}

const poolEvent = (i: number) =>
  fc
    .record({
      event: fc.constantFrom('Page Viewed', 'Order Completed', 'Signed Up', 'Survey Answered'),
      userId: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
      minutesAgo: fc.integer({ min: 0, max: 3 * 24 * 60 }),
      properties: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), storableValue, { maxKeys: 4 }),
    })
    .map(({ event, userId, minutesAgo, properties }): PoolEvent => {
      const e: PoolEvent = {
        messageId: `ev-${i}`,
        event,
        timestamp: new Date(NOW - minutesAgo * 60_000).toISOString(),
        properties,
      };
      if (userId !== undefined) e.userId = userId;
      return e;
    });

/** A well-formed envelope whose content cannot be stored (or whose time is out of bounds): the reason it must get. */
const oddLine = (i: number): fc.Arbitrary<{ body: string; reason: RejectReason }> => {
  const envelope = (properties: string, timestamp = '2026-11-22T10:00:00+08:00') =>
    `{"messageId":"odd-${i}","event":"Order Completed","timestamp":"${timestamp}","properties":${properties}}`;
  return fc.oneof(
    fc
      .constantFrom('1e999', '-1e999', '1.7976931348623157e308', '9007199254740993', '1e-200', '-5e-324', '1e40')
      .map((n) => ({ body: envelope(`{"revenue":${n}}`), reason: 'unstorable_number' as const })),
    // properties is level 1: an array nested n deep inside it reaches level n + 1, past DynamoDB's 32 from n = 31.
    fc
      .oneof(fc.integer({ min: 31, max: 300 }), fc.constant(100_000))
      .map((n) => ({ body: envelope(`{"x":${'['.repeat(n)}${']'.repeat(n)}}`), reason: 'too_deep' as const })),
    fc
      .constantFrom('{"":1}', '{"constructor":"Ferrari"}', '{"a":[{"__proto__":1}]}')
      .map((properties) => ({ body: envelope(properties), reason: 'bad_property_name' as const })),
    fc.constant({ body: envelope('{"name":"\\ud83d!"}'), reason: 'unstorable_string' as const }),
    fc.constant({ body: envelope('{}', '9999-12-31T23:00:00Z'), reason: 'future_timestamp' as const }),
    fc.constant({ body: envelope('{}', '2020-01-01T00:00:00Z'), reason: 'expired_timestamp' as const }),
  );
};

/** Lines that are no event at all: arbitrary strings, bytes, JSON values and nesting. */
const junkLine: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc
    .jsonValue({ maxDepth: 3 })
    .filter((v) => !(typeof v === 'object' && v !== null && 'messageId' in v))
    .map((v) => JSON.stringify(v) ?? 'null'),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.constantFrom('{"messageId":"m","event":"x"}', '{"messageId":"m","timestamp":"2026-11-22T10:00:00"}', ''),
);

type Line =
  | { kind: 'valid'; event: number }
  | { kind: 'odd'; body: string; reason: RejectReason }
  | { kind: 'junk'; body: string };

interface Scenario {
  pool: PoolEvent[];
  lines: Line[];
  /** Where the lines are cut into batches (indexes). */
  cuts: number[];
}

const scenario = (maxLines: number): fc.Arbitrary<Scenario> =>
  fc
    .integer({ min: 1, max: 12 })
    .chain((poolSize) =>
      fc.record({
        pool: fc.tuple(...Array.from({ length: poolSize }, (_, i) => poolEvent(i))),
        lines: fc.array(
          fc.oneof(
            { arbitrary: fc.nat(poolSize - 1).map((event): Line => ({ kind: 'valid', event })), weight: 3 },
            {
              arbitrary: fc
                .nat(1000)
                .chain((i) => oddLine(i))
                .map((o): Line => ({ kind: 'odd', ...o })),
              weight: 1,
            },
            { arbitrary: junkLine.map((body): Line => ({ kind: 'junk', body })), weight: 1 },
          ),
          { minLength: 1, maxLength: maxLines },
        ),
        cuts: fc.uniqueArray(fc.nat(maxLines), { maxLength: 3 }),
      }),
    )
    // Random duplicates: some lines delivered twice, somewhere else in the stream.
    .chain((s) =>
      fc.array(fc.tuple(fc.nat(s.lines.length - 1), fc.nat(s.lines.length)), { maxLength: 4 }).map((dups) => {
        const lines = [...s.lines];
        for (const [from, to] of dups) lines.splice(to, 0, lines[from]!);
        return { ...s, lines };
      }),
    );

// --- Helpers -------------------------------------------------------------------------------------------------

const bodyOf = (s: Scenario, line: Line) => (line.kind === 'valid' ? JSON.stringify(s.pool[line.event]) : line.body);

function batchesOf(s: Scenario): IncomingMessage[][] {
  const messages = s.lines.map((line, i) => ({ id: `line-${i}`, body: bodyOf(s, line) }));
  const cuts = [...new Set([0, ...s.cuts.filter((c) => c > 0 && c < messages.length), messages.length])].sort(
    (a, b) => a - b,
  );
  return cuts.slice(1).map((end, k) => messages.slice(cuts[k], end));
}

async function storedEvents(store: StateStore): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const day of DAYS) await forEachEventOfDay(store, day, config.ingest.shardsPerDay, (e) => out.push(e));
  return out.sort((a, b) => a.messageId.localeCompare(b.messageId));
}

/** Every event and quarantine item as stored, attribute for attribute. */
async function everything(store: StateStore): Promise<Item[]> {
  const partitions = [
    ...DAYS.flatMap((d) => Array.from({ length: config.ingest.shardsPerDay }, (_, s) => eventPartition(d, s))),
    ...[...DAYS, '2026-11-24'].map(quarantinePartition),
  ];
  return (await Promise.all(partitions.map((pk) => collect(store.query('events', pk))))).flat();
}

function total(results: IngestResult[]) {
  return {
    accepted: results.reduce((n, r) => n + r.accepted, 0),
    duplicates: results.reduce((n, r) => n + r.duplicates, 0),
    rejected: results.flatMap((r) => r.rejected),
    failed: results.flatMap((r) => r.failed),
  };
}

// --- Properties ----------------------------------------------------------------------------------------------

describe('ingest: every line accounted for, whatever the batch holds', () => {
  test.prop([scenario(40), fc.boolean()], { numRuns: 25 })(
    'every valid event is stored exactly once, every other line is quarantined with a reason, and the counts add up',
    async (s, oneRun) => {
      const { store } = await freshStore('prop');
      // One run (a file read in batches) knows what it stored; separate deliveries (the queue) do not.
      const seen = oneRun ? new Map<string, string>() : undefined;
      const results: IngestResult[] = [];
      for (const batch of batchesOf(s)) {
        results.push(await ingestMessages(batch, { store, config, now: () => NOW, ...(seen ? { seen } : {}) }));
      }
      const t = total(results);

      // Each line ends in exactly one outcome, and nothing is left to retry.
      expect(t.failed).toEqual([]);
      expect(t.accepted + t.duplicates + t.rejected.length).toBe(s.lines.length);
      const rejectedIds = t.rejected.map((r) => r.id);
      expect(new Set(rejectedIds).size).toBe(rejectedIds.length);
      const expectedRejected = s.lines.flatMap((line, i) => (line.kind === 'valid' ? [] : [`line-${i}`]));
      expect(rejectedIds.sort()).toEqual(expectedRejected.sort());
      const reasonOf = new Map(t.rejected.map((r) => [r.id, r]));
      s.lines.forEach((line, i) => {
        const r = reasonOf.get(`line-${i}`);
        if (line.kind === 'odd') expect(r?.reason).toBe(line.reason);
        if (line.kind === 'junk') {
          expect(REJECT_REASONS).toContain(r?.reason);
          expect(r?.reason).not.toBe('store_rejected');
          expect(r?.detail.length).toBeGreaterThan(0);
        }
      });

      // Every valid event stored once, as sent.
      const used = [...new Set(s.lines.flatMap((l) => (l.kind === 'valid' ? [l.event] : [])))];
      const expected = used
        .map((k) => s.pool[k]!)
        .map((e) => ({
          messageId: e.messageId,
          event: e.event,
          ...(e.userId === undefined ? {} : { userId: e.userId }),
          ts: Date.parse(e.timestamp),
          properties: JSON.parse(JSON.stringify(e.properties)),
        }))
        .sort((a, b) => a.messageId.localeCompare(b.messageId));
      const stored = await storedEvents(store);
      expect(stored.map(({ day: _day, ...e }) => e)).toEqual(expected);
      if (seen) expect(t.accepted).toBe(used.length);
      else expect(t.accepted).toBeGreaterThanOrEqual(used.length);

      // One quarantine item per distinct rejected line.
      const distinctRejected = new Set(s.lines.flatMap((l) => (l.kind === 'valid' ? [] : [l.body])));
      const quarantined = Object.values(await countQuarantine(store, TODAY)).reduce((a, b) => a + b, 0);
      expect(quarantined).toBe(distinctRejected.size);
    },
  );

  test.prop(
    [
      fc.oneof(
        fc.jsonValue({ maxDepth: 4 }),
        fc.constantFrom(1e-200, 2 ** 60, -(2 ** 53), 1e-130, 9007199254740991, { '': 1 }, { constructor: 'x' }),
        fc.constant(JSON.parse('{"a":{"__proto__":{}}}')),
        fc.integer({ min: 28, max: 40 }).map((n) => {
          let v: unknown = 1;
          for (let i = 0; i < n; i++) v = [v];
          return v;
        }),
      ),
    ],
    { numRuns: 150 },
  )(
    'the envelope and DynamoDB agree: what it accepts is stored as sent, what it calls unstorable DynamoDB refuses',
    async (value) => {
      const { store } = await shared();
      const messageId = `agree-${++agreeSeq}`;
      const body = JSON.stringify({
        messageId,
        event: 'x',
        timestamp: '2026-11-22T10:00:00Z',
        properties: { v: value },
      });
      const parsed = parseEventBody(body, { timeZone: config.timeZone, maxBytes: config.ingest.maxEventBytes });
      const properties = JSON.parse(body).properties;
      const event: StoredEvent = {
        messageId,
        event: 'x',
        ts: Date.parse('2026-11-22T10:00:00Z'),
        day: '2026-11-22',
        properties,
      };
      const item = eventItem(event, 1, 1);
      const written = await store.putMany('events', [item]).then(
        () => true,
        (error: unknown) => {
          expect(error).toBeInstanceOf(PutManyError);
          expect((error as PutManyError).refused).toHaveLength(1);
          return false;
        },
      );
      if (parsed.ok) {
        expect(written).toBe(true);
        expect((await store.get('events', item.pk, item.sk))?.p).toEqual(properties);
      } else if (parsed.reason !== 'unstorable_string') {
        // Unpaired surrogates DynamoDB Local keeps; the service's handling is not documented, so ingest refuses them.
        expect(STORAGE_REASONS).toContain(parsed.reason);
        expect(written).toBe(false);
      }
    },
  );

  test.prop(
    [
      fc.oneof(
        fc.string({ unit: 'binary' }),
        fc.json(),
        junkLine,
        fc
          .nat(1000)
          .chain((i) => oddLine(i))
          .map((o) => o.body),
        fc
          .jsonValue({ maxDepth: 5 })
          .map((properties) =>
            JSON.stringify({ messageId: 'm', event: 'x', timestamp: '2026-11-22T10:00:00Z', properties }),
          ),
      ),
    ],
    { numRuns: 400 },
  )('parsing any line returns an event DynamoDB can store as sent, or a named reason; it never throws', (line) => {
    const parsed = parseEventBody(line, {
      timeZone: config.timeZone,
      maxBytes: config.ingest.maxEventBytes,
      sentAt: NOW,
      futureToleranceMinutes: 60,
      maxAgeDays: 400,
    });
    if (!parsed.ok) expect(REJECT_REASONS).toContain(parsed.reason);
    else expect(storableAsSent(parsed.event.properties)).toBe(true);
  });
});

/**
 * DynamoDB's rules, written out here rather than taken from ingest: the AWS SDK must marshal the value and read it
 * back unchanged, containers may nest 32 levels with the item as the first, map keys are non-empty, and no number is
 * smaller in magnitude than 1E-130.
 */
function storableAsSent(properties: Record<string, unknown>): boolean {
  const rulesHold = (v: unknown, level: number): boolean => {
    if (typeof v === 'number') return v === 0 || Math.abs(v) >= 1e-130;
    if (typeof v !== 'object' || v === null) return true;
    if (level > 32) return false;
    return Object.entries(v).every(([k, x]) => (Array.isArray(v) || k !== '') && rulesHold(x, level + 1));
  };
  if (!rulesHold(properties, 2)) return false;
  try {
    const back = unmarshall(
      marshall({ p: properties }, { removeUndefinedValues: true, convertClassInstanceToMap: false }),
    );
    return JSON.stringify(back.p) === JSON.stringify(properties);
  } catch {
    return false;
  }
}

let agreeSeq = 0;
let sharedStore: Promise<{ store: StateStore }> | undefined;
const shared = () => {
  sharedStore ??= freshStore('agree');
  return sharedStore;
};

describe('ingest: killed partway and retried, the same as a clean run', () => {
  test.prop(
    [scenario(30), fc.nat(40), fc.boolean(), fc.constantFrom('file', 'queue'), fc.integer({ min: 1, max: 30 * 60 })],
    { numRuns: 20 },
  )('same stored events, same quarantine items, same figures', async (s, writes, applyLast, mode, minutesLater) => {
    // Queue messages keep the time they were sent through redeliveries; a file's lines, the time it was written.
    const batches = batchesOf(s).map((batch) =>
      batch.map((m, i) => ({ ...m, sentAt: mode === 'queue' ? NOW - 60_000 + i : NOW - 3_600_000 })),
    );
    const later = NOW + minutesLater * 60_000;
    const deps = (store: StateStore, now: number, seen?: Map<string, string>) => ({
      store,
      config,
      now: () => now,
      ...(seen ? { seen } : {}),
    });

    const crashed = (await freshStore('crash')).store;
    const k = killedAfter(crashed, writes, applyLast);
    let inFlight = 0;
    const firstRun = (async () => {
      const seen = mode === 'file' ? new Map<string, string>() : undefined;
      for (; inFlight < batches.length; inFlight++) await ingestMessages(batches[inFlight]!, deps(k.store, NOW, seen));
      return 'done' as const;
    })();
    await Promise.race([firstRun, k.killed]);
    // Later: the whole file again (`nightshift ingest` re-run), or what SQS redelivers (the batch in flight on).
    const retrySeen = mode === 'file' ? new Map<string, string>() : undefined;
    const retryResults: IngestResult[] = [];
    for (const batch of batches.slice(mode === 'file' ? 0 : Math.min(inFlight, batches.length - 1))) {
      retryResults.push(await ingestMessages(batch, deps(crashed, later, retrySeen)));
    }

    // A clean run: every line read or delivered once.
    const clean = (await freshStore('clean')).store;
    const cleanSeen = mode === 'file' ? new Map<string, string>() : undefined;
    const cleanResults: IngestResult[] = [];
    for (const batch of batches) cleanResults.push(await ingestMessages(batch, deps(clean, NOW, cleanSeen)));

    expect(total(retryResults).failed).toEqual([]);
    expect(await everything(crashed)).toEqual(await everything(clean));
    for (const day of [...DAYS, '2026-11-24']) {
      expect(await countQuarantine(crashed, day)).toEqual(await countQuarantine(clean, day));
    }
    // What a re-run of the file prints matches a clean run: unique events, duplicates, each line once.
    if (mode === 'file') {
      const [a, b] = [total(retryResults), total(cleanResults)];
      expect([a.accepted, a.duplicates, a.rejected.length]).toEqual([b.accepted, b.duplicates, b.rejected.length]);
    }
  });
});

/**
 * A store as a process sees it until `kill -9` while several writes are in flight: the first `answered` writes go
 * through; every write started after them is applied or not as `applied` says (whatever its order) and never answers.
 */
function killedWithWritesInFlight(store: StateStore, answered: number, applied: readonly boolean[]) {
  let n = 0;
  const applying: Promise<unknown>[] = [];
  let onKill!: () => void;
  const killed = new Promise<'killed'>((resolve) => {
    onKill = () => resolve('killed');
  });
  const write = <T>(run: () => Promise<T>): Promise<T> => {
    const k = n++;
    if (k < answered) return run();
    if (applied[(k - answered) % applied.length]) applying.push(run().catch(() => undefined));
    // Every write already started is in flight with this one: the process dies once they have all begun.
    setTimeout(onKill, 0);
    return new Promise<never>(() => {});
  };
  return {
    store: withWrites(store, write),
    /** Resolves once the process is dead and what it applied is in the table. */
    killed: killed.then(async () => {
      await Promise.all(applying);
      return 'killed' as const;
    }),
  };
}

describe('ingest: killed with several write requests in flight and retried, the same as a clean run', () => {
  // A history of many days: one pack a day, 25 packs a request, requests sent together; the late days marked after.
  const history = fc.record({
    days: fc.integer({ min: 26, max: 80 }),
    events: fc.integer({ min: 30, max: 160 }),
    copies: fc.uniqueArray(fc.nat(159), { maxLength: 6 }),
    cuts: fc.uniqueArray(fc.nat(170), { maxLength: 2 }),
  });

  test.prop(
    [history, fc.nat(6), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.constantFrom('file', 'queue')],
    {
      numRuns: 15,
    },
  )('same stored events, same late-day marks, same counts', async (h, answered, applied, mode) => {
    const day = (i: number) => addDays('2026-11-22', -(i % h.days));
    const lines = Array.from({ length: h.events }, (_, i) =>
      JSON.stringify({ messageId: `h-${i}`, event: 'Order Completed', timestamp: `${day(i)}T1${i % 10}:00:00+08:00` }),
    );
    for (const i of h.copies) if (i < lines.length) lines.splice((i * 7) % lines.length, 0, lines[i]!);
    const messages = lines.map((body, i) => ({ id: `history.jsonl:${i + 1}`, body, sentAt: NOW - 3_600_000 }));
    const cuts = [...new Set([0, ...h.cuts.filter((c) => c > 0 && c < messages.length), messages.length])].sort(
      (a, b) => a - b,
    );
    const batches = cuts.slice(1).map((end, k) => messages.slice(cuts[k], end));
    const deps = (store: StateStore, seen?: Map<string, string>) => ({
      store,
      config,
      now: () => NOW,
      ...(seen ? { seen } : {}),
    });

    const crashed = (await freshStore('inflight')).store;
    const k = killedWithWritesInFlight(crashed, answered, applied);
    let inFlight = 0;
    const firstRun = (async () => {
      const seen = mode === 'file' ? new Map<string, string>() : undefined;
      for (; inFlight < batches.length; inFlight++) await ingestMessages(batches[inFlight]!, deps(k.store, seen));
      return 'done' as const;
    })();
    await Promise.race([firstRun, k.killed]);
    const retrySeen = mode === 'file' ? new Map<string, string>() : undefined;
    const retried: IngestResult[] = [];
    for (const batch of batches.slice(mode === 'file' ? 0 : Math.min(inFlight, batches.length - 1))) {
      retried.push(await ingestMessages(batch, deps(crashed, retrySeen)));
    }

    const clean = (await freshStore('inflight-clean')).store;
    const cleanSeen = mode === 'file' ? new Map<string, string>() : undefined;
    const cleanResults: IngestResult[] = [];
    for (const batch of batches) cleanResults.push(await ingestMessages(batch, deps(clean, cleanSeen)));

    const days = [...new Set(Array.from({ length: h.events }, (_, i) => day(i)))];
    const items = async (store: StateStore) =>
      (
        await Promise.all(
          days.flatMap((d) =>
            Array.from({ length: config.ingest.shardsPerDay }, (_, s) =>
              collect(store.query('events', eventPartition(d, s))),
            ),
          ),
        )
      ).flat();
    const marked = async (store: StateStore) => (await dirtyDays(store)).map((d) => d.day).sort();
    expect(total(retried).failed).toEqual([]);
    expect(await items(crashed)).toEqual(await items(clean));
    expect(await marked(crashed)).toEqual(await marked(clean));
    expect(await marked(clean)).toEqual([...days].sort());
    const ids: string[] = [];
    for (const d of days) await forEachEventOfDay(clean, d, config.ingest.shardsPerDay, (e) => ids.push(e.messageId));
    expect(ids.sort()).toEqual(Array.from({ length: h.events }, (_, i) => `h-${i}`).sort());
    if (mode === 'file') {
      const [a, b] = [total(retried), total(cleanResults)];
      expect([a.accepted, a.duplicates, a.rejected.length]).toEqual([b.accepted, b.duplicates, b.rejected.length]);
    }
  });
});

// --- messageIds reused by other events -----------------------------------------------------------------------

/** The same instant written in another offset: '2026-11-22T02:00:00.000Z' at +08:00 is '2026-11-22T10:00:00+08:00'. */
function inOffset(iso: string, minutes: number): string {
  const local = new Date(Date.parse(iso) + minutes * 60_000).toISOString().slice(0, 19);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** An object with its keys in another order (deeply), as another serializer may write it. */
function reordered(value: unknown, seed: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => reordered(v, seed));
  const entries = Object.entries(value);
  const turned = [
    ...entries.slice(seed % Math.max(1, entries.length)),
    ...entries.slice(0, seed % Math.max(1, entries.length)),
  ];
  return Object.fromEntries(turned.reverse().map(([k, v]) => [k, reordered(v, seed + 1)]));
}

/** How a line writes its event: as sent first, or resent by another client (keys, offset, extra fields changed). */
interface Writing {
  seed: number;
  offsetMinutes: number;
  extras: boolean;
}

const writeLine = (e: PoolEvent, w: Writing): string => {
  const envelope: Record<string, unknown> = { ...e, timestamp: inOffset(e.timestamp, w.offsetMinutes) };
  if (w.extras) Object.assign(envelope, { sentAt: new Date(NOW + w.seed).toISOString(), context: { retry: w.seed } });
  return JSON.stringify(reordered(envelope, w.seed));
};

/** What a resend repeats, independently of ingest's own fingerprint: name, user, instant and properties, deep-equal. */
const sameContent = (a: PoolEvent, b: PoolEvent) =>
  isDeepStrictEqual(
    {
      event: a.event,
      userId: a.userId,
      ts: Date.parse(a.timestamp),
      properties: JSON.parse(JSON.stringify(a.properties)),
    },
    {
      event: b.event,
      userId: b.userId,
      ts: Date.parse(b.timestamp),
      properties: JSON.parse(JSON.stringify(b.properties)),
    },
  );

/** Events of a few messageIds, several per id: a line resends one, or reuses its id for another. */
const reuseScenario = fc
  .record({
    ids: fc.integer({ min: 1, max: 4 }),
    variants: fc.array(fc.tuple(fc.nat(3), poolEvent(0)), { minLength: 1, maxLength: 8 }),
  })
  .chain(({ ids, variants }) => {
    const pool = variants.map(([id, e]) => ({ ...e, messageId: `reused-${id % ids}` }));
    const writing = fc.record({
      seed: fc.nat(20),
      offsetMinutes: fc.constantFrom(0, 480, -300, 330),
      extras: fc.boolean(),
    });
    return fc.record({
      pool: fc.constant(pool),
      lines: fc.array(fc.tuple(fc.nat(pool.length - 1), writing), { minLength: 1, maxLength: 30 }),
      cuts: fc.uniqueArray(fc.nat(30), { maxLength: 3 }),
      oneBatch: fc.boolean(),
    });
  });

describe('ingest: a messageId reused by another event is no duplicate', () => {
  test.prop([reuseScenario], { numRuns: 25 })(
    'every line is stored once, counted as a duplicate of the first event of its id, or quarantined as reused_message_id naming that first line',
    async ({ pool, lines, cuts, oneBatch }) => {
      const { store } = await freshStore('reuse');
      const messages = lines.map(([k, w], i) => ({ id: `line-${i}`, body: writeLine(pool[k]!, w) }));
      const ends = oneBatch
        ? [messages.length]
        : [...new Set([...cuts.filter((c) => c > 0 && c < messages.length), messages.length])].sort((a, b) => a - b);
      // One run (a file in chunks, one serve) remembers what it stored; a single queue batch compares within itself.
      const seen = oneBatch ? undefined : new Map<string, string>();
      const results: IngestResult[] = [];
      let from = 0;
      for (const end of ends) {
        results.push(
          await ingestMessages(messages.slice(from, end), { store, config, now: () => NOW, ...(seen ? { seen } : {}) }),
        );
        from = end;
      }
      const t = total(results);

      // The first line of each messageId decides its event; every later line is a resend of it or a reuse.
      const firstOf = new Map<string, { line: number; event: PoolEvent }>();
      lines.forEach(([k], i) => {
        const e = pool[k]!;
        if (!firstOf.has(e.messageId)) firstOf.set(e.messageId, { line: i, event: e });
      });
      const reuses = lines.flatMap(([k], i) => {
        const first = firstOf.get(pool[k]!.messageId)!;
        return sameContent(first.event, pool[k]!) ? [] : [i];
      });

      expect(t.failed).toEqual([]);
      expect(t.accepted + t.duplicates + t.rejected.length).toBe(lines.length);
      expect(t.accepted).toBe(firstOf.size);
      expect(t.duplicates).toBe(lines.length - firstOf.size - reuses.length);
      expect(t.rejected.map((r) => r.id).sort()).toEqual(reuses.map((i) => `line-${i}`).sort());
      for (const r of t.rejected) {
        const line = Number(r.id.slice('line-'.length));
        const first = firstOf.get(pool[lines[line]![0]]!.messageId)!;
        expect(r.reason).toBe('reused_message_id');
        expect(r.detail).toContain(`(line-${first.line})`);
      }
      // Stored: the first event of each messageId, once.
      const stored = await storedEvents(store);
      expect(stored.map((e) => [e.messageId, e.event, e.ts])).toEqual(
        [...firstOf.values()]
          .map(({ event: e }) => [e.messageId, e.event, Date.parse(e.timestamp)])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
    },
  );
});

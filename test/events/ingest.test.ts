import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '#shared/events/envelope.ts';
import {
  countQuarantine,
  dirtyDays,
  forEachEventOfDay,
  PACK_EVENTS,
  readQuarantine,
  unpack,
} from '#shared/events/events-store.ts';
import { type IncomingMessage, ingestMessages } from '#shared/events/ingest.ts';
import { eventPartition } from '#shared/events/keys.ts';
import { collect, type Item, PutManyError, type StateStore } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const config = exampleConfig(); // Asia/Shanghai, 8 shards per day
const NOW = Date.parse('2026-11-23T02:00:00+08:00');
const now = () => NOW;

let seq = 0;
function msg(event: Record<string, unknown>): IncomingMessage {
  return { id: `sqs-${++seq}`, body: JSON.stringify(event) };
}
function track(messageId: string, timestamp: string, extra: Record<string, unknown> = {}) {
  return { messageId, event: 'Page Viewed', userId: 'u_1', timestamp, properties: {}, ...extra };
}
/** Whether an item of the events table stores the event with this messageId (in a pack or alone). */
function holds(item: Item, messageId: string): boolean {
  if (item.z === undefined) return item.sk === messageId;
  let found = false;
  unpack(item, '', (e) => {
    found ||= e.messageId === messageId;
  });
  return found;
}

async function eventsOf(store: Parameters<typeof forEachEventOfDay>[0], day: string): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  await forEachEventOfDay(store, day, config.ingest.shardsPerDay, (e) => out.push(e));
  return out.sort((a, b) => a.messageId.localeCompare(b.messageId));
}

describe('ingesting events exactly once', () => {
  it('a duplicate inside a batch and a redelivered batch are stored once', async () => {
    const { store } = await freshStore();
    const batch = [
      msg(track('m1', '2026-11-22T10:00:00+08:00')),
      msg(track('m2', '2026-11-22T11:00:00+08:00')),
      msg(track('m1', '2026-11-22T10:00:00+08:00')),
    ];
    const first = await ingestMessages(batch, { store, config, now });
    const again = await ingestMessages(batch, { store, config, now });
    expect(first).toMatchObject({ accepted: 2, duplicates: 1, failed: [], rejected: [] });
    expect(again.failed).toEqual([]);
    expect((await eventsOf(store, '2026-11-22')).map((e) => e.messageId)).toEqual(['m1', 'm2']);
  });

  it('events at 23:59:59 and 00:00:00 Shanghai time, sent with other offsets, land on their local days', async () => {
    const { store } = await freshStore();
    await ingestMessages(
      [
        msg(track('late-evening', '2026-11-22T15:59:59Z')), // 23:59:59 in Shanghai
        msg(track('midnight', '2026-11-22T08:00:00-08:00')), // 00:00:00 on the 23rd in Shanghai
        msg(track('la-afternoon', '2026-11-21T23:59:59-08:00')), // 15:59:59 on the 22nd in Shanghai
      ],
      { store, config, now },
    );
    expect((await eventsOf(store, '2026-11-22')).map((e) => e.messageId)).toEqual(['la-afternoon', 'late-evening']);
    expect((await eventsOf(store, '2026-11-23')).map((e) => e.messageId)).toEqual(['midnight']);
  });

  it('malformed messages are quarantined with reasons and their neighbours are stored', async () => {
    const { store } = await freshStore();
    const bad = [
      { id: 'not-json', body: '{"messageId": "x",' },
      { id: 'array', body: '[1,2]' },
      msg({ event: 'Signed Up', timestamp: '2026-11-22T10:00:00+08:00' }),
      msg(track('no-offset', '2026-11-22T10:00:00')),
      msg(track('bad-date', '2026-02-30T10:00:00Z')),
      msg({ messageId: 'no-event', timestamp: '2026-11-22T10:00:00Z' }),
      { id: 'huge', body: JSON.stringify(track('huge', '2026-11-22T10:00:00Z', { pad: 'x'.repeat(262_144) })) },
    ];
    const good = [msg(track('ok-1', '2026-11-22T09:00:00+08:00')), msg(track('ok-2', '2026-11-22T09:30:00+08:00'))];
    const result = await ingestMessages([good[0]!, ...bad, good[1]!], { store, config, now });

    expect(result.accepted).toBe(2);
    expect(result.failed).toEqual([]);
    expect(Object.fromEntries(result.rejected.map((r) => [r.id, r.reason]))).toMatchObject({
      'not-json': 'not_json',
      array: 'not_an_object',
      [bad[2]!.id]: 'missing_message_id',
      [bad[3]!.id]: 'timestamp_without_offset',
      [bad[4]!.id]: 'bad_timestamp',
      [bad[5]!.id]: 'missing_event',
      huge: 'too_large',
    });
    expect((await eventsOf(store, '2026-11-22')).map((e) => e.messageId)).toEqual(['ok-1', 'ok-2']);

    const quarantined = await readQuarantine(store, '2026-11-23');
    expect(quarantined).toHaveLength(7);
    expect(quarantined.find((q) => q.reason === 'timestamp_without_offset')?.detail).toContain('no UTC offset');
    expect(quarantined.every((q) => typeof q.ttl === 'number' && q.ttl > NOW / 1000)).toBe(true);
    expect(await countQuarantine(store, '2026-11-23')).toMatchObject({ not_json: 1, too_large: 1 });
  });

  it('only a store failure asks the queue to redeliver, and only for the messages it affects', async () => {
    const { store } = await freshStore();
    let eventWrites = 0;
    const flaky: StateStore = {
      ...store,
      async putMany(table, items) {
        // The second write request (of 25 packs) fails as a throttled write would after its retries.
        if (table === 'events' && items[0]?.pk.startsWith('EV#') && ++eventWrites === 2) throw new Error('throttled');
        return store.putMany(table, items);
      },
    };
    // Two events a day over 30 days: 30 packs, the first 25 (m00..m49) in one request, the last 5 in another.
    const days = Array.from({ length: 30 }, (_, d) => addDays('2026-11-22', d - 29));
    const batch = Array.from({ length: 60 }, (_, i) =>
      msg(track(`m${String(i).padStart(2, '0')}`, `${days[Math.floor(i / 2)]}T10:00:00+08:00`)),
    );
    const result = await ingestMessages([...batch, { id: 'junk', body: 'junk' }], { store: flaky, config, now });

    expect(result.failed).toEqual(batch.slice(50, 60).map((m) => m.id));
    expect(result.accepted).toBe(50);
    expect(result.rejected.map((r) => r.id)).toEqual(['junk']);
    const stored = await Promise.all(days.map((d) => eventsOf(store, d)));
    expect(stored.flat().map((e) => e.messageId)).toEqual(
      batch.slice(0, 50).map((_, i) => `m${String(i).padStart(2, '0')}`),
    );
  });

  it('an event of a day the next night would not read marks that day for recomputation', async () => {
    const { store } = await freshStore();
    // Arriving on the 23rd: the next night reads the 23rd (and recomputeDays before it); earlier days need a mark.
    const result = await ingestMessages(
      [
        msg(track('today', '2026-11-23T01:00:00+08:00')),
        msg(track('recent', '2026-11-21T10:00:00+08:00')),
        msg(track('old', '2026-11-01T10:00:00+08:00')),
      ],
      { store, config, now },
    );
    expect(result.lateDays).toEqual(['2026-11-01', '2026-11-21']);
    expect((await dirtyDays(store)).map((d) => d.day)).toEqual(['2026-11-01', '2026-11-21']);

    const { store: windowed } = await freshStore();
    const recompute3 = { ...config, jobs: { ...config.jobs, recomputeDays: 3 } };
    const late = await ingestMessages(
      [msg(track('recent', '2026-11-21T10:00:00+08:00')), msg(track('old', '2026-11-01T10:00:00+08:00'))],
      { store: windowed, config: recompute3, now },
    );
    expect(late.lateDays).toEqual(['2026-11-01']);
  });

  it('keeps user ids, properties and the anonymous id of a visitor without a user id', async () => {
    const { store } = await freshStore();
    await ingestMessages(
      [
        msg({
          messageId: 'o1',
          event: 'Order Completed',
          userId: 'u_9',
          timestamp: '2026-11-22T12:00:00+08:00',
          properties: { revenue: 129, department: 'market' },
        }),
        msg({ messageId: 'v1', event: 'Page Viewed', anonymousId: 'anon-7', timestamp: '2026-11-22T12:00:00+08:00' }),
      ],
      { store, config, now },
    );
    const events = await eventsOf(store, '2026-11-22');
    expect(events[0]).toEqual({
      messageId: 'o1',
      event: 'Order Completed',
      userId: 'u_9',
      ts: Date.parse('2026-11-22T04:00:00Z'),
      day: '2026-11-22',
      properties: { revenue: 129, department: 'market' },
    });
    expect(events[1]?.userId).toBe('anon-7');
  });
});

/** A raw line: the properties are JSON text, so literals JSON.parse turns into Infinity reach ingest as sent. */
function rawLine(id: string, messageId: string, propertiesJson: string, timestamp = '2026-11-22T10:00:00+08:00') {
  return {
    id,
    body: `{"messageId":"${messageId}","event":"Order Completed","userId":"u_1","timestamp":"${timestamp}","properties":${propertiesJson}}`,
  };
}
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

describe('few items and requests for many events (DynamoDB Local on disk commits each item on its own)', () => {
  const itemsOfDay = async (store: StateStore, day: string) => {
    const shards = Array.from({ length: config.ingest.shardsPerDay }, (_, s) => eventPartition(day, s));
    return (await Promise.all(shards.map((pk) => collect(store.query('events', pk))))).flat();
  };

  it('a thousand events of one day in one batch are one item', async () => {
    const { store } = await freshStore();
    const batch = Array.from({ length: 1000 }, (_, i) => msg(track(`k${i}`, '2026-11-22T10:00:00+08:00')));

    const result = await ingestMessages(batch, { store, config, now });

    expect(result.accepted).toBe(1000);
    expect(await itemsOfDay(store, '2026-11-22')).toHaveLength(1);
    expect(await eventsOf(store, '2026-11-22')).toHaveLength(1000);
  });

  it('the packs of a batch of 30 days go to DynamoDB 25 to a request, not one request a pack', async () => {
    const { store } = await freshStore();
    const requests: number[] = [];
    const counted: StateStore = {
      ...store,
      async putMany(table, items) {
        if (items[0]?.pk.startsWith('EV#')) requests.push(items.length);
        return store.putMany(table, items);
      },
    };
    const days = Array.from({ length: 30 }, (_, d) => addDays('2026-11-22', -d));
    const batch = days.flatMap((day) => [
      msg(track(`${day}-a`, `${day}T10:00:00+08:00`)),
      msg(track(`${day}-b`, `${day}T11:00:00+08:00`)),
    ]);

    const result = await ingestMessages(batch, { store: counted, config, now });

    expect(result.accepted).toBe(60);
    expect(requests).toEqual([25, 5]);
  });
});

describe('every line accounted for: lines JSON accepts but DynamoDB cannot store', () => {
  it('Infinity, numbers past 2^53 or DynamoDB range, nesting past 32 levels or 100,000 deep, names the SDK cannot write are quarantined by name, and the 200 events around them are stored', async () => {
    const { store } = await freshStore();
    const good = Array.from({ length: 200 }, (_, i) =>
      msg(track(`ok-${String(i).padStart(3, '0')}`, '2026-11-22T09:00:00+08:00')),
    );
    const odd = [
      rawLine('infinity', 'inf', '{"revenue":1e999}'),
      rawLine('max-double', 'max', '{"revenue":1.7976931348623157e308}'),
      rawLine('unsafe-integer', 'big', '{"orderId":12345678901234567890}'),
      rawLine('underflow', 'tiny', '{"ratio":1e-200}'),
      rawLine('forty-deep', 'deep40', `{"x":${nested(40)}}`),
      rawLine('hundred-thousand-deep', 'deep1e5', `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`),
      rawLine('empty-name', 'empty', '{"":1}'),
      rawLine('constructor', 'constructor', '{"team":{"constructor":"Ferrari"}}'),
      rawLine('proto', 'proto', '{"__proto__":{"admin":true}}'),
      rawLine('half-emoji', 'surrogate', '{"name":"\\ud83d"}'),
    ];
    // One odd line in each of the first write chunks of 25, as in the report that lost 100 events.
    const batch = [...good];
    for (const [k, line] of odd.entries()) batch.splice(k * 26 + 3, 0, line);

    const result = await ingestMessages(batch, { store, config, now });

    expect(result.failed).toEqual([]);
    expect(result.accepted).toBe(200);
    expect(Object.fromEntries(result.rejected.map((r) => [r.id, r.reason]))).toEqual({
      infinity: 'unstorable_number',
      'max-double': 'unstorable_number',
      'unsafe-integer': 'unstorable_number',
      underflow: 'unstorable_number',
      'forty-deep': 'too_deep',
      'hundred-thousand-deep': 'too_deep',
      'empty-name': 'bad_property_name',
      constructor: 'bad_property_name',
      proto: 'bad_property_name',
      'half-emoji': 'unstorable_string',
    });
    expect(result.rejected.find((r) => r.id === 'infinity')?.detail).toMatch(
      /^properties\.revenue is a number too large/,
    );
    expect(result.rejected.find((r) => r.id === 'forty-deep')?.detail).toMatch(/nests deeper than the 31 levels/);
    expect(await eventsOf(store, '2026-11-22')).toHaveLength(200);
    expect(await countQuarantine(store, '2026-11-23')).toEqual({
      unstorable_number: 4,
      too_deep: 2,
      unstorable_string: 1,
      bad_property_name: 3,
    });
  });

  it('properties nested exactly as deep as DynamoDB allows are stored as sent', async () => {
    const { store } = await freshStore();
    const result = await ingestMessages([rawLine('l1', 'deep30', nested(30))], { store, config, now });
    expect(result).toMatchObject({ accepted: 1, rejected: [], failed: [] });
    expect((await eventsOf(store, '2026-11-22'))[0]?.properties).toEqual(JSON.parse(nested(30)));
  });

  it('a timestamp more than ingest.futureToleranceMinutes after the message was sent is quarantined as future_timestamp', async () => {
    const { store } = await freshStore();
    const c = { ...config, ingest: { ...config.ingest, futureToleranceMinutes: 60 } };
    const sentAt = Date.parse('2026-11-23T01:00:00+08:00');
    const lines = [
      { ...msg(track('fast-clock', '2026-11-23T01:59:00+08:00')), sentAt },
      { ...msg(track('tomorrow', '2026-11-24T01:00:00+08:00')), sentAt },
      { ...msg(track('year-9999', '9999-12-31T23:00:00Z')), sentAt },
      // Delivered an hour after it was sent, and judged against when it was sent, as on every redelivery.
      { ...msg(track('redelivered', '2026-11-23T02:30:00+08:00')), sentAt },
    ];

    const result = await ingestMessages(lines, { store, config: c, now });

    expect(result.accepted).toBe(1);
    expect(result.rejected.map((r) => [r.id, r.reason])).toEqual([
      [lines[1]!.id, 'future_timestamp'],
      [lines[2]!.id, 'future_timestamp'],
      [lines[3]!.id, 'future_timestamp'],
    ]);
    expect(result.rejected[0]?.detail).toContain('is 1 d 0 h after the message was sent; at most 60 min is accepted');
    expect((await eventsOf(store, '2026-11-23')).map((e) => e.messageId)).toEqual(['fast-clock']);
  });

  it('a timestamp older than ingest.eventRetentionDays is quarantined as expired_timestamp: it would expire on arrival', async () => {
    const { store } = await freshStore();
    const result = await ingestMessages(
      [msg(track('old', '2025-01-01T10:00:00+08:00')), msg(track('epoch', '1970-01-01T00:00:00Z'))],
      { store, config, now },
    );
    expect(result.rejected.map((r) => r.reason)).toEqual(['expired_timestamp', 'expired_timestamp']);
    expect(result.rejected[0]?.detail).toContain('past the 400 days events are kept');
    expect(result.lateDays).toEqual([]);
  });

  it('an event whose item would pass DynamoDB’s 400 KB is quarantined as item_too_large, not failed with its chunk', async () => {
    const { store } = await freshStore();
    // The schema caps lines at 256 KB, under which no item reaches 400 KB; the guard holds if the cap is ever raised.
    const c = { ...config, ingest: { ...config.ingest, maxEventBytes: 1_000_000 } };
    const big = msg(track('big', '2026-11-22T10:00:00+08:00', { properties: { digits: Array(220_000).fill(7) } }));
    const result = await ingestMessages([msg(track('small', '2026-11-22T10:00:00+08:00')), big], {
      store,
      config: c,
      now,
    });
    expect(result).toMatchObject({ accepted: 1, failed: [], rejected: [{ id: big.id, reason: 'item_too_large' }] });
    expect(result.rejected[0]?.detail).toMatch(/would take \d+ bytes, past DynamoDB's 409600/);
  });
});

describe('every line accounted for: retries and redeliveries', () => {
  it('a quarantined line redelivered, later and on another day, stays one item under the day it was sent', async () => {
    const { store } = await freshStore();
    const sentAt = Date.parse('2026-11-22T23:50:00+08:00');
    const batch = [
      { id: 'a', body: 'not json', sentAt },
      { id: 'b', body: 'not json', sentAt },
      { id: 'c', body: '{"messageId":"x"}', sentAt },
      { ...msg(track('ok', '2026-11-22T23:00:00+08:00')), sentAt },
    ];
    for (const at of [sentAt + 60_000, sentAt + 3_600_000, sentAt + 86_400_000]) {
      const r = await ingestMessages(batch, { store, config, now: () => at });
      expect(r).toMatchObject({ accepted: 1, duplicates: 0, failed: [] });
      expect(r.rejected.map((x) => x.id)).toEqual(['a', 'b', 'c']);
    }
    expect(await countQuarantine(store, '2026-11-22')).toEqual({ not_json: 1, missing_event: 1 });
    expect(await readQuarantine(store, '2026-11-23')).toEqual([]);
  });

  it('a duplicate in a later batch of the same run is counted as a duplicate, not stored again', async () => {
    const { store } = await freshStore();
    const seen = new Map<string, string>();
    const first = await ingestMessages([msg(track('m1', '2026-11-22T10:00:00+08:00'))], { store, config, now, seen });
    const second = await ingestMessages(
      [msg(track('m1', '2026-11-22T10:00:00+08:00')), msg(track('m2', '2026-11-22T10:00:00+08:00'))],
      { store, config, now, seen },
    );
    expect([first.accepted, second.accepted, second.duplicates]).toEqual([1, 1, 1]);
    expect((await eventsOf(store, '2026-11-22')).map((e) => e.messageId)).toEqual(['m1', 'm2']);
  });

  it('an event two batches of the same run store at the same time is counted once stored and once a duplicate', async () => {
    const { store } = await freshStore();
    const seen = new Map<string, string>();
    const batch = () => [msg(track('m1', '2026-11-22T10:00:00+08:00'))];

    const results = await Promise.all([
      ingestMessages(batch(), { store, config, now, seen }),
      ingestMessages(batch(), { store, config, now, seen }),
    ]);

    // Whichever finishes second counts the duplicate.
    expect(results.map((r) => [r.accepted, r.duplicates]).sort()).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('an event DynamoDB refuses although the envelope let it through is quarantined as store_rejected; its pack is written', async () => {
    const { store } = await freshStore();
    // Stands in for a DynamoDB rule the envelope does not know: an item holding m07 gains an attribute name DynamoDB refuses.
    const strict: StateStore = {
      ...store,
      putMany: (table, items) =>
        store.putMany(
          table,
          items.map((item) => (holds(item, 'm07') ? { ...item, p: { '': 'refused' } } : item)),
        ),
    };
    const batch = Array.from({ length: 25 }, (_, i) =>
      msg(track(`m${String(i).padStart(2, '0')}`, '2026-11-22T10:00:00+08:00')),
    );
    const result = await ingestMessages(batch, { store: strict, config, now });

    expect(result).toMatchObject({
      accepted: 24,
      failed: [],
      rejected: [{ id: batch[7]!.id, reason: 'store_rejected' }],
    });
    expect(result.rejected[0]?.detail).toMatch(/^DynamoDB refused the event: .*attribute name/i);
    expect(await eventsOf(store, '2026-11-22')).toHaveLength(24);
    expect(await countQuarantine(store, '2026-11-23')).toEqual({ store_rejected: 1 });
  });

  it('the events of a pack a write leaves unprocessed after its retries are the only ones the queue redelivers', async () => {
    const { store } = await freshStore();
    // The adapter's contract when DynamoDB keeps throttling part of a request: it says which items it did not write.
    const throttled: StateStore = {
      ...store,
      async putMany(table, items) {
        const kept = items.filter((item) => holds(item, 'm0003') || holds(item, 'm0011'));
        await store.putMany(
          table,
          items.filter((item) => !kept.includes(item)),
        );
        if (kept.length > 0) throw new PutManyError(table, [], kept);
      },
    };
    // Two packs: the day's first PACK_EVENTS events (m0000 onwards, both throttled ones among them) and the rest.
    const count = PACK_EVENTS + 5;
    const batch = Array.from({ length: count }, (_, i) =>
      msg(track(`m${String(i).padStart(4, '0')}`, '2026-11-22T10:00:00+08:00')),
    );
    const result = await ingestMessages(batch, { store: throttled, config, now });

    expect(result.failed).toEqual(batch.slice(0, PACK_EVENTS).map((m) => m.id));
    expect(result.accepted).toBe(count - PACK_EVENTS);
    expect(await eventsOf(store, '2026-11-22')).toHaveLength(count - PACK_EVENTS);
  });
});

describe('a messageId reused by a different event', () => {
  // A new user's trial: a bogus $5,000 order sent under the messageId of a real page view was counted among the
  // duplicates and dropped without a word.
  const pageView = { ...track('pv-77', '2026-11-22T10:00:00+08:00'), properties: { path: '/pricing' } };
  const bogusOrder = {
    messageId: 'pv-77',
    event: 'Order Completed',
    userId: 'u_1',
    timestamp: '2026-11-22T10:05:00+08:00',
    properties: { revenue: 5000, profit: 1000 },
  };

  it('in one batch: the first is stored, the other is quarantined as reused_message_id naming the first, not a duplicate', async () => {
    const { store } = await freshStore();
    const first = { id: 'history.jsonl:12', body: JSON.stringify(pageView) };
    const reuse = { id: 'history.jsonl:4711', body: JSON.stringify(bogusOrder) };

    const result = await ingestMessages([first, reuse], { store, config, now });

    expect(result).toMatchObject({ accepted: 1, duplicates: 0, failed: [] });
    expect(result.rejected).toEqual([
      {
        id: 'history.jsonl:4711',
        reason: 'reused_message_id',
        detail:
          'messageId pv-77 already carried another event, "Page Viewed" at 2026-11-22T02:00:00.000Z (history.jsonl:12); this line\'s "Order Completed" differs in its event name, timestamp and properties, so it is no resend: the first is kept, this one is not stored; send it with a messageId of its own',
      },
    ]);
    expect(await eventsOf(store, '2026-11-22')).toEqual([expect.objectContaining({ event: 'Page Viewed' })]);
    expect(await countQuarantine(store, '2026-11-23')).toEqual({ reused_message_id: 1 });
  });

  it('in a later batch of the same run (a file read in chunks, one serve): the same, naming the line stored first', async () => {
    const { store } = await freshStore();
    const seen = new Map<string, string>();
    await ingestMessages([{ id: 'a.jsonl:1', body: JSON.stringify(pageView) }], { store, config, now, seen });

    const later = await ingestMessages([{ id: 'a.jsonl:900', body: JSON.stringify(bogusOrder) }], {
      store,
      config,
      now,
      seen,
    });

    expect(later).toMatchObject({ accepted: 0, duplicates: 0 });
    expect(later.rejected).toEqual([
      expect.objectContaining({
        id: 'a.jsonl:900',
        reason: 'reused_message_id',
        detail: expect.stringContaining('another event, "Page Viewed" at 2026-11-22T02:00:00.000Z (a.jsonl:1)'),
      }),
    ]);
    expect((await eventsOf(store, '2026-11-22')).map((e) => e.event)).toEqual(['Page Viewed']);
  });

  it('a resend written differently is a duplicate: keys in another order, the same instant in another offset, 129.0 for 129, a new sentAt and context', async () => {
    const { store } = await freshStore();
    const seen = new Map<string, string>();
    const original = {
      messageId: 'o-1',
      event: 'Order Completed',
      userId: 'u_9',
      timestamp: '2026-11-22T12:00:00+08:00',
      properties: { revenue: 129, department: 'market', items: [{ sku: 'a', qty: 1 }] },
    };
    const resend =
      '{"context":{"ip":"10.0.0.1"},"sentAt":"2026-11-22T05:00:09Z","properties":{"items":[{"qty":1,"sku":"a"}],' +
      '"department":"market","revenue":129.0},"timestamp":"2026-11-22T04:00:00Z","userId":"u_9","event":"Order Completed","messageId":"o-1"}';

    const inBatch = await ingestMessages([msg(original), { id: 'r', body: resend }], { store, config, now, seen });
    const inLaterBatch = await ingestMessages([{ id: 'r2', body: resend }], { store, config, now, seen });

    expect(inBatch).toMatchObject({ accepted: 1, duplicates: 1, rejected: [] });
    expect(inLaterBatch).toMatchObject({ accepted: 0, duplicates: 1, rejected: [] });
  });

  it('what differs is named: only the properties of a reuse that kept the name, user and time', async () => {
    const { store } = await freshStore();
    const order = { ...bogusOrder, timestamp: '2026-11-22T10:00:00+08:00' };
    const changed = { ...order, properties: { revenue: 50, profit: 10 } };

    const result = await ingestMessages([msg(order), msg(changed)], { store, config, now });

    expect(result.rejected[0]?.detail).toContain('this line\'s "Order Completed" differs in its properties, so');
  });
});

describe('a value a KPI formula adds up, sent as text', () => {
  // The example config's ROI sums "Order Completed".profit and "Marketing Spend".amount.
  const order = (messageId: string, profit: unknown) => ({
    messageId,
    event: 'Order Completed',
    userId: 'u_1',
    timestamp: '2026-11-22T10:00:00+08:00',
    properties: { revenue: 100, profit },
  });

  it('is quarantined as not_a_number with the plain number to send, so the event counts in no term of the KPI', async () => {
    const { store } = await freshStore();
    const lines = [
      { id: 'orders.csv:2', body: JSON.stringify(order('c1', 30)) },
      { id: 'orders.csv:3', body: JSON.stringify(order('c2', '1,250.00')) },
      { id: 'orders.csv:4', body: JSON.stringify(order('c3', '$99.00')) },
      { id: 'orders.csv:5', body: JSON.stringify(order('c4', true)) },
    ];

    const result = await ingestMessages(lines, { store, config, now });

    expect(result.accepted).toBe(1);
    expect(result.rejected.map((r) => [r.id, r.reason])).toEqual([
      ['orders.csv:3', 'not_a_number'],
      ['orders.csv:4', 'not_a_number'],
      ['orders.csv:5', 'not_a_number'],
    ]);
    expect(result.rejected[0]?.detail).toBe(
      'properties.profit is the text "1,250.00", not a number, and sum("Order Completed".profit) (KPI roi) adds up numbers: stored, this event would count in its KPIs\' counts but not in that sum; send the number 1250.00 (in JSON without quotes; in CSV without currency sign or thousands separators) (message c2)',
    );
    expect(result.rejected[1]?.detail).toContain('send the number 99.00');
    expect((await eventsOf(store, '2026-11-22')).map((e) => e.messageId)).toEqual(['c1']);
  });

  it('a property no formula adds up, a missing or null one, or a text on another event is stored as sent', async () => {
    const { store } = await freshStore();
    const lines = [
      msg({ ...order('k1', 30), properties: { revenue: '100.00', profit: 30 } }),
      msg({ ...order('k2', 30), properties: { revenue: 100 } }),
      msg({ ...order('k3', null) }),
      msg({ ...order('k4', 30), event: 'Refund Issued', properties: { profit: '-30' } }),
    ];

    const result = await ingestMessages(lines, { store, config, now });

    expect(result).toMatchObject({ accepted: 4, rejected: [] });
  });
});

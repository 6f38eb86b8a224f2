import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '#shared/events/envelope.ts';
import { dirtyDays, forEachEventOfDay, readIngestStats, readQuarantine } from '#shared/events/events-store.ts';
import { type IncomingMessage, ingestMessages } from '#shared/events/ingest.ts';
import type { StateStore } from '#shared/store/store.ts';
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
    const stats = await readIngestStats(store, '2026-11-23');
    expect(stats).toMatchObject({ accepted: 2, rejected: 7, byReason: { not_json: 1, too_large: 1 } });
  });

  it('only a store failure asks the queue to redeliver, and only for the messages it affects', async () => {
    const { store } = await freshStore();
    let eventWrites = 0;
    const flaky: StateStore = {
      ...store,
      async putMany(table, items) {
        // The second chunk of 25 events fails as a throttled write would after its retries.
        if (table === 'events' && items[0]?.pk.startsWith('EV#') && ++eventWrites === 2) throw new Error('throttled');
        return store.putMany(table, items);
      },
    };
    const batch = Array.from({ length: 60 }, (_, i) =>
      msg(track(`m${String(i).padStart(2, '0')}`, '2026-11-22T10:00:00+08:00')),
    );
    const result = await ingestMessages([...batch, { id: 'junk', body: 'junk' }], { store: flaky, config, now });

    expect(result.failed).toEqual(batch.slice(25, 50).map((m) => m.id));
    expect(result.accepted).toBe(35);
    expect(result.rejected.map((r) => r.id)).toEqual(['junk']);
    expect(await eventsOf(store, '2026-11-22')).toHaveLength(35);
  });

  it('an event older than the recompute window marks its day for recomputation', async () => {
    const { store } = await freshStore();
    const result = await ingestMessages(
      [msg(track('recent', '2026-11-21T10:00:00+08:00')), msg(track('old', '2026-11-01T10:00:00+08:00'))],
      { store, config, now },
    );
    expect(result.lateDays).toEqual(['2026-11-01']);
    expect((await dirtyDays(store)).map((d) => d.day)).toEqual(['2026-11-01']);
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

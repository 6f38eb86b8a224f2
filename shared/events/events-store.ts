// Reading and writing events, quarantined messages, ingest statistics and late-day marks: all in the events table,
// so the ingest function needs no access to the state table.
import { randomUUID } from 'node:crypto';
import type { Item, StateStore } from '#shared/store/store.ts';
import type { RejectReason, StoredEvent } from './envelope.ts';
import { DIRTY_DAYS_PARTITION, eventPartition, ingestStatsPartition, quarantinePartition, shardOf } from './keys.ts';

const DAY_SECONDS = 86_400;
/** Raw bodies kept in quarantine are cut to this, so one item stays well under DynamoDB's 400 KB. */
export const QUARANTINE_BODY_LIMIT = 64 * 1024;

/** Item layout with short attribute names: the write cost is per KB of item, so names are part of the price. */
export function eventItem(e: StoredEvent, shards: number, retentionDays: number): Item {
  const item: Item = {
    pk: eventPartition(e.day, shardOf(e.messageId, shards)),
    sk: e.messageId,
    e: e.event,
    t: e.ts,
    p: e.properties,
    ttl: Math.floor(e.ts / 1000) + retentionDays * DAY_SECONDS,
  };
  if (e.userId !== undefined) item.u = e.userId;
  return item;
}

export function fromEventItem(item: Item, day: string): StoredEvent {
  const e: StoredEvent = {
    messageId: item.sk,
    event: item.e as string,
    ts: item.t as number,
    day,
    properties: (item.p as Record<string, unknown> | undefined) ?? {},
  };
  if (typeof item.u === 'string') e.userId = item.u;
  return e;
}

/**
 * Calls `onEvent` for every stored event of a local day, reading the day's shards concurrently page by page,
 * so memory stays at a few pages whatever the day's volume.
 */
export async function forEachEventOfDay(
  store: StateStore,
  day: string,
  shards: number,
  onEvent: (event: StoredEvent) => void,
): Promise<number> {
  let n = 0;
  await Promise.all(
    Array.from({ length: shards }, async (_, shard) => {
      for await (const item of store.query('events', eventPartition(day, shard))) {
        onEvent(fromEventItem(item, day));
        n++;
      }
    }),
  );
  return n;
}

export interface Rejected {
  sourceId: string;
  reason: RejectReason;
  detail: string;
  body: string;
}

export function quarantineItem(r: Rejected, receivedAt: number, arrivalDay: string, retentionDays: number): Item {
  return {
    pk: quarantinePartition(arrivalDay),
    sk: `${new Date(receivedAt).toISOString()}#${r.sourceId}`,
    reason: r.reason,
    detail: r.detail,
    body: r.body.length > QUARANTINE_BODY_LIMIT ? r.body.slice(0, QUARANTINE_BODY_LIMIT) : r.body,
    truncated: r.body.length > QUARANTINE_BODY_LIMIT,
    ttl: Math.floor(receivedAt / 1000) + retentionDays * DAY_SECONDS,
  };
}

export async function readQuarantine(store: StateStore, arrivalDay: string, limit = 100): Promise<Item[]> {
  const out: Item[] = [];
  for await (const item of store.query('events', quarantinePartition(arrivalDay), { limit })) out.push(item);
  return out;
}

export interface IngestStats {
  accepted: number;
  rejected: number;
  byReason: Partial<Record<RejectReason, number>>;
}

export async function addIngestStats(store: StateStore, arrivalDay: string, stats: IngestStats): Promise<void> {
  const counts: Record<string, number> = { accepted: stats.accepted, rejected: stats.rejected };
  for (const [reason, n] of Object.entries(stats.byReason)) counts[`rejected_${reason}`] = n ?? 0;
  await store.increment('events', ingestStatsPartition, arrivalDay, counts);
}

export async function readIngestStats(store: StateStore, arrivalDay: string): Promise<IngestStats> {
  const item = await store.get('events', ingestStatsPartition, arrivalDay);
  const byReason: IngestStats['byReason'] = {};
  for (const [k, v] of Object.entries(item ?? {})) {
    if (k.startsWith('rejected_') && typeof v === 'number') byReason[k.slice(9) as RejectReason] = v;
  }
  return { accepted: Number(item?.accepted ?? 0), rejected: Number(item?.rejected ?? 0), byReason };
}

/** A day that received late events since its last rollup; `mark` changes every time it is marked again. */
export interface DirtyDay {
  day: string;
  mark: string;
}

export async function markDaysDirty(store: StateStore, days: Iterable<string>, now: number): Promise<void> {
  const mark = randomUUID();
  await store.putMany(
    'events',
    [...days].map((day) => ({ pk: DIRTY_DAYS_PARTITION, sk: day, markedAt: now, mark })),
  );
}

export async function dirtyDays(store: StateStore): Promise<DirtyDay[]> {
  const out: DirtyDay[] = [];
  for await (const item of store.query('events', DIRTY_DAYS_PARTITION)) {
    out.push({ day: item.sk, mark: String(item.mark) });
  }
  return out;
}

/**
 * Clears a day's mark after a rollup that read it, unless events arrived for it again meanwhile (they re-marked it
 * after the rollup had read the day): then the mark stays for the next rollup. Returns whether it was cleared.
 */
export async function clearDirtyDay(store: StateStore, dirty: DirtyDay): Promise<boolean> {
  return store.delete('events', DIRTY_DAYS_PARTITION, dirty.day, { ifEquals: { mark: dirty.mark } });
}

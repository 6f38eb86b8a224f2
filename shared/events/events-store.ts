// Reading and writing events, quarantined messages, the last-stored mark and late-day marks: all in the events
// table, so the ingest function needs no access to the state table.
//
// Events are stored in packs: the distinct events of one ingest batch and local day, compressed together into one item
// (zstd, ~90 bytes an event). DynamoDB bills a write per 1 KB of item, so a 280-byte event stored alone pays for
// 1 KB; a pack of a dozen pays for one or two. A pack is keyed by its messageIds, so a redelivered batch overwrites
// its own pack; a message redelivered in another batch lands in another pack, and every read of a day keeps one
// event per messageId: each figure counts an event once however often it was delivered.
import { createHash, randomUUID } from 'node:crypto';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import type { Item, StateStore } from '#shared/store/store.ts';
import type { RejectReason, StoredEvent } from './envelope.ts';
import {
  DIRTY_DAYS_PARTITION,
  eventPartition,
  LAST_STORED,
  PACK_PREFIX,
  quarantinePartition,
  shardOf,
} from './keys.ts';

const DAY_SECONDS = 86_400;
/** Raw bodies kept in quarantine are cut to this, so one item stays well under DynamoDB's 400 KB. */
export const QUARANTINE_BODY_LIMIT = 64 * 1024;
const QUARANTINE_DETAIL_LIMIT = 1000;

export { itemBytes, MAX_ITEM_BYTES } from '#shared/store/item-size.ts';

/**
 * Events in one pack at most. A Lambda batch (100 messages) makes one pack a day; a file read in chunks of thousands
 * makes packs of hundreds, so a history of 13 weeks is a few hundred items rather than ten thousand (DynamoDB Local on
 * disk commits each item on its own, a few hundred a second). A pack of 1,000 short events is about 90 KB.
 */
export const PACK_EVENTS = 1000;
/** Uncompressed bytes of one pack at most: compressed, it stays under DynamoDB's 400 KB whatever the events hold. */
const PACK_BYTES = 300 * 1024;
/** SQS keeps a message at most 14 days: a redelivery arrives within them. */
const SQS_MAX_RETENTION_DAYS = 14;

/**
 * Days an event stays in DynamoDB after it was sent: long enough that a redelivery finds it there (deduplicated by
 * its pack key) and that the nightly rollup reads each recomputed day from DynamoDB alone. Older days are read from
 * the S3 archive, merged with any late events still in DynamoDB.
 */
export function hotDays(config: Pick<NightshiftConfig, 'jobs'>): number {
  return Math.max(SQS_MAX_RETENTION_DAYS + 1, config.jobs.recomputeDays + 2);
}

/**
 * When a pack expires (epoch seconds): `hot` days after the UTC day of the latest of its events' timestamps and
 * send times, rounded up to a day so a retry a few minutes later writes the same item.
 */
export function packExpiry(latest: number, hot: number): number {
  return (Math.floor(latest / 1000 / DAY_SECONDS) + 1 + hot) * DAY_SECONDS;
}

/** One event and when it was sent (epoch ms), as a pack holds it. */
export interface PackEntry {
  event: StoredEvent;
  sentAt: number;
}

/**
 * Packs of the given distinct events: by local day, in the order given, at most PACK_EVENTS events and PACK_BYTES each.
 * Returns each pack's item and the indexes of the entries it holds.
 */
export function eventPacks(
  entries: readonly PackEntry[],
  shards: number,
  hot: number,
): Array<{ item: Item; members: number[] }> {
  const byDay = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const list = byDay.get(e.event.day);
    if (list) list.push(i);
    else byDay.set(e.event.day, [i]);
  });
  const out: Array<{ item: Item; members: number[] }> = [];
  for (const [day, indexes] of byDay) {
    let members: number[] = [];
    let lines: string[] = [];
    let bytes = 0;
    const flush = () => {
      if (members.length === 0) return;
      out.push({ item: packItem(day, members, lines, entries, shards, hot), members });
      members = [];
      lines = [];
      bytes = 0;
    };
    for (const i of indexes) {
      const line = packLine(entries[i]!.event);
      if (members.length >= PACK_EVENTS || (members.length > 0 && bytes + line.length * 3 > PACK_BYTES)) flush();
      members.push(i);
      lines.push(line);
      bytes += line.length * 3;
    }
    flush();
  }
  return out;
}

function packItem(
  day: string,
  members: number[],
  lines: string[],
  entries: readonly PackEntry[],
  shards: number,
  hot: number,
): Item {
  const ids = members.map((i) => entries[i]!.event.messageId);
  const key = createHash('sha256').update(ids.join('\n')).digest('base64url').slice(0, 27);
  let latest = 0;
  for (const i of members) latest = Math.max(latest, entries[i]!.event.ts, entries[i]!.sentAt);
  return {
    pk: eventPartition(day, shardOf(key, shards)),
    sk: `${PACK_PREFIX}${key}`,
    n: members.length,
    z: zstdCompressSync(Buffer.from(lines.join('\n'))),
    ttl: packExpiry(latest, hot),
  };
}

/** An event as one line of a pack: [messageId, event, userId or null, ts, properties]; the day is the partition's. */
function packLine(e: StoredEvent): string {
  return JSON.stringify([e.messageId, e.event, e.userId ?? null, e.ts, e.properties]);
}

/** The events of a pack item (its day from the partition key). */
export function unpack(item: Item, day: string, onEvent: (event: StoredEvent) => void): void {
  const text = zstdDecompressSync(item.z as Uint8Array).toString();
  let from = 0;
  while (from < text.length) {
    let to = text.indexOf('\n', from);
    if (to < 0) to = text.length;
    const [messageId, event, userId, ts, properties] = JSON.parse(text.slice(from, to)) as [
      string,
      string,
      string | null,
      number,
      Record<string, unknown>,
    ];
    const e: StoredEvent = { messageId, event, ts, day, properties };
    if (userId !== null) e.userId = userId;
    onEvent(e);
    from = to + 1;
  }
}

/**
 * One event as an item of its own, keyed by messageId: the layout before packs (still read), and how the envelope's
 * storability rules are checked against DynamoDB itself.
 */
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
 * Calls `onEvent` once for every distinct event (by messageId) stored for a local day, in packs or alone, reading the
 * day's shards concurrently page by page. Returns the number of distinct events. `seen`: messageIds already
 * delivered (skipped), to which this call adds its own.
 */
export async function forEachEventOfDay(
  store: StateStore,
  day: string,
  shards: number,
  onEvent: (event: StoredEvent) => void,
  seen = new Set<string>(),
): Promise<number> {
  const before = seen.size;
  const once = (e: StoredEvent) => {
    if (seen.has(e.messageId)) return;
    seen.add(e.messageId);
    onEvent(e);
  };
  await Promise.all(
    Array.from({ length: shards }, async (_, shard) => {
      for await (const item of store.query('events', eventPartition(day, shard))) {
        if (item.z !== undefined) unpack(item, day, once);
        else once(fromEventItem(item, day));
      }
    }),
  );
  return seen.size - before;
}

export interface Rejected {
  sourceId: string;
  reason: RejectReason;
  detail: string;
  body: string;
}

/**
 * The quarantine's key of a body: a hash of its content, so a redelivery (or a resend) of the same line overwrites
 * one item rather than adding another.
 */
export function quarantineKey(body: string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/**
 * A rejected line as kept for inspection, under the local day it was first sent (`sentAt`, the same on every
 * redelivery) and keyed by its content: retries and redeliveries leave one item per distinct line and day.
 */
export function quarantineItem(r: Rejected, sentAt: number, sentDay: string, retentionDays: number): Item {
  const truncated = r.body.length > QUARANTINE_BODY_LIMIT;
  return {
    pk: quarantinePartition(sentDay),
    sk: quarantineKey(r.body),
    reason: r.reason,
    // Storable whatever the line held: no unpaired surrogates (one may be cut in half at the limit), bounded size.
    detail: r.detail.slice(0, QUARANTINE_DETAIL_LIMIT).toWellFormed(),
    body: (truncated ? r.body.slice(0, QUARANTINE_BODY_LIMIT) : r.body).toWellFormed(),
    truncated,
    source: r.sourceId.slice(0, 512).toWellFormed(),
    sentAt,
    ttl: Math.floor(sentAt / 1000) + retentionDays * DAY_SECONDS,
  };
}

/** A quarantined line as kept for inspection. */
export interface QuarantinedLine {
  /** The local day it was first sent: the day it is filed under. */
  sentDay: string;
  /** What carried it: 'history.jsonl:12' for a line of a file, 'http:<request>#<call>' for a call, or a queue message id. */
  source: string;
  reason: RejectReason;
  detail: string;
  /** The line as received (cut to QUARANTINE_BODY_LIMIT characters when `truncated`). */
  body: string;
  truncated: boolean;
  /** When it was first sent, epoch ms. */
  sentAt: number;
}

/**
 * Every line quarantined on the given local days (by the day each was first sent), in day order and then by source,
 * a file's lines in line order. One per distinct line and day: copies of a line share one.
 */
export async function quarantinedLines(store: StateStore, sentDays: readonly string[]): Promise<QuarantinedLine[]> {
  const days = await Promise.all(
    sentDays.map(async (day) => {
      const out: QuarantinedLine[] = [];
      for await (const item of store.query('events', quarantinePartition(day))) {
        out.push({
          sentDay: day,
          source: String(item.source ?? ''),
          reason: String(item.reason) as RejectReason,
          detail: String(item.detail ?? ''),
          body: String(item.body ?? ''),
          truncated: item.truncated === true,
          sentAt: Number(item.sentAt),
        });
      }
      return out.sort((a, b) => compareSources(a.source, b.source));
    }),
  );
  return days.flat();
}

/** 'a.jsonl:9' before 'a.jsonl:10': a source's trailing number compares as a number. */
function compareSources(a: string, b: string): number {
  const [x, y] = [/^(.*?)(\d+)$/.exec(a), /^(.*?)(\d+)$/.exec(b)];
  if (x && y && x[1] === y[1]) return Number(x[2]) - Number(y[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function readQuarantine(store: StateStore, sentDay: string, limit = 100): Promise<Item[]> {
  const out: Item[] = [];
  for await (const item of store.query('events', quarantinePartition(sentDay), { limit })) out.push(item);
  return out;
}

/** Distinct lines quarantined on a local day (by the day they were first sent), by reason. */
export async function countQuarantine(store: StateStore, sentDay: string): Promise<Record<string, number>> {
  const byReason: Record<string, number> = {};
  for await (const item of store.query('events', quarantinePartition(sentDay), { attributes: ['reason'] })) {
    const reason = String(item.reason);
    byReason[reason] = (byReason[reason] ?? 0) + 1;
  }
  return byReason;
}

/**
 * Notes that events were stored at `at`. One small overwrite per batch: the watchdog reads it to tell a silent queue,
 * and a redelivery changes nothing but the time, so nothing here counts twice.
 */
export async function markStored(store: StateStore, at: number): Promise<void> {
  await store.put('events', { ...LAST_STORED, at });
}

/** When events were last stored (epoch ms), if ever. */
export async function lastStoredAt(store: StateStore): Promise<number | undefined> {
  const item = await store.get('events', LAST_STORED.pk, LAST_STORED.sk);
  return typeof item?.at === 'number' ? item.at : undefined;
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

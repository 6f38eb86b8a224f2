// Exactly-once ingestion of a batch of messages: every line ends stored, a duplicate of one stored, or quarantined
// with its reason, whatever else its batch holds. Valid events are stored in packs keyed by their messageIds (every
// read keeps one event per messageId) and quarantined lines by their content, so a redelivery overwrites the same
// items; only a write that may succeed later asks for a retry. A line whose messageId another event already carries
// (same id, other content) is no resend: the first is kept and this one quarantined as `reused_message_id`.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type Item, PutManyError, type StateStore } from '#shared/store/store.ts';
import { addDays, localDate } from '#shared/time/calendar.ts';
import { parseEventBody, type RejectReason, type StoredEvent } from './envelope.ts';
import {
  eventItem,
  eventPacks,
  hotDays,
  itemBytes,
  MAX_ITEM_BYTES,
  markDaysDirty,
  markStored,
  quarantineItem,
  type Rejected,
} from './events-store.ts';
import { numberReadsOf } from './number-reads.ts';

/** One message from the queue (or one line of a file): `id` is what a retry is reported against. */
export interface IncomingMessage {
  id: string;
  body: string;
  /**
   * When the message was first sent (SQS `SentTimestamp`), the same on every redelivery: its timestamp is judged
   * against it and, if quarantined, it is filed under its local day. @default now
   */
  sentAt?: number;
}

export interface IngestResult {
  /** Distinct events stored by this call. */
  accepted: number;
  /** Messages whose event another message of this call (or of the run, see `seen`) stored: stored once. */
  duplicates: number;
  /** Quarantined, with the reason. */
  rejected: Array<{ id: string; reason: RejectReason; detail: string }>;
  /** Message ids whose write failed for a reason that may pass: the queue must redeliver them. */
  failed: string[];
  /** Days outside the next nightly rollup's window that received events: marked for recomputation. */
  lateDays: string[];
}

export interface IngestDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
  /**
   * The messageIds stored earlier in the same run (a file read in many batches, the requests of one `serve`), each
   * with what its event was: a message with one of them counts as a duplicate and is not written again, or, when its
   * content differs, is quarantined as `reused_message_id`. Stored messageIds are added to it.
   */
  seen?: StoredMessages;
}

/** messageId -> `seenValue(event, source)` of the event stored under it. */
export type StoredMessages = Map<string, string>;

/**
 * An event item is at most 1.5 times its JSON line (a list of one-digit numbers is the worst case) plus its keys, so
 * a line of fewer characters than this (at most 270 KB of UTF-8) cannot make an item past DynamoDB's 400 KB.
 */
const SIZE_CHECK_CHARS = 90_000;

interface Copy {
  id: string;
  body: string;
  sentAt: number;
}

/** One distinct event of the batch and every message that carried it. */
interface Entry {
  event: StoredEvent;
  copies: Copy[];
}

interface Line extends Rejected {
  sentAt: number;
}

export async function ingestMessages(messages: readonly IncomingMessage[], deps: IngestDeps): Promise<IngestResult> {
  const { store, config } = deps;
  const now = deps.now();
  const { entries, rejected, seenBefore } = sortMessages(messages, deps, now);
  const events = await storeEvents(store, config, entries);
  const lines = await quarantineLines(store, config, [...rejected, ...events.refused]);

  const lateDays = lateDaysOf(
    events.stored.map((e) => e.event.day),
    localDate(now, config.timeZone),
    config.jobs.recomputeDays,
  );
  if (lateDays.length > 0) await markDaysDirty(store, lateDays, now);
  if (events.stored.length > 0) await markStored(store, now);
  // A call running alongside (the local server's next request) may have stored the same messageId meanwhile: one of
  // the two counts it as a duplicate. (Both events are stored then, however they differ; a read keeps one.)
  let storedMeanwhile = 0;
  if (deps.seen) {
    for (const e of events.stored) {
      if (deps.seen.has(e.event.messageId)) storedMeanwhile++;
      else deps.seen.set(e.event.messageId, seenValue(e.event, e.copies[0]!.id));
    }
  }

  return {
    accepted: events.stored.length - storedMeanwhile,
    duplicates: seenBefore + storedMeanwhile + events.stored.reduce((n, e) => n + e.copies.length - 1, 0),
    rejected: lines.quarantined.map((r) => ({ id: r.sourceId, reason: r.reason, detail: r.detail })),
    failed: [...events.failed, ...lines.failed],
    lateDays,
  };
}

/**
 * Each message parsed once: a distinct event to store (its copies in the batch ride along), a duplicate of one stored
 * earlier in the run, or a line to quarantine with its reason.
 */
function sortMessages(
  messages: readonly IncomingMessage[],
  deps: IngestDeps,
  now: number,
): { entries: Entry[]; rejected: Line[]; seenBefore: number } {
  const { config } = deps;
  const { shardsPerDay, eventRetentionDays, futureToleranceMinutes } = config.ingest;
  const options = {
    timeZone: config.timeZone,
    maxBytes: config.ingest.maxEventBytes,
    futureToleranceMinutes,
    maxAgeDays: eventRetentionDays,
    numberReads: numberReadsOf(config),
  };
  const byMessageId = new Map<string, Entry>();
  const rejected: Line[] = [];
  let seenBefore = 0;
  for (const m of messages) {
    const sentAt = m.sentAt ?? now;
    const parsed = parseEventBody(m.body, { ...options, sentAt });
    if (!parsed.ok) {
      rejected.push({ sourceId: m.id, reason: parsed.reason, detail: parsed.detail, body: m.body, sentAt });
      continue;
    }
    const { event } = parsed;
    const copy = { id: m.id, body: m.body, sentAt };
    const entry = byMessageId.get(event.messageId);
    if (entry) {
      const first = entry.copies[0]!;
      const differs = first.body === m.body ? [] : differences(fingerprint(entry.event), fingerprint(event));
      if (differs.length > 0) {
        const detail = reuseDetail(event, { source: first.id, event: entry.event.event, ts: entry.event.ts }, differs);
        rejected.push({ sourceId: m.id, reason: 'reused_message_id', detail, body: m.body, sentAt });
        continue;
      }
      // BatchWriteItem refuses two writes of one key in a request; the first copy wins, both acknowledge together.
      entry.copies.push(copy);
      continue;
    }
    const earlier = deps.seen?.get(event.messageId);
    if (earlier !== undefined) {
      const stored = parseSeenValue(earlier);
      const differs = differences(stored.fingerprint, fingerprint(event));
      if (differs.length > 0) {
        const detail = reuseDetail(event, stored, differs);
        rejected.push({ sourceId: m.id, reason: 'reused_message_id', detail, body: m.body, sentAt });
      } else seenBefore++;
      continue;
    }
    if (m.body.length > SIZE_CHECK_CHARS) {
      const bytes = itemBytes(eventItem(event, shardsPerDay, eventRetentionDays));
      if (bytes > MAX_ITEM_BYTES) {
        const detail = `stored, the event would take ${bytes} bytes, past DynamoDB's ${MAX_ITEM_BYTES} (message ${event.messageId})`;
        rejected.push({ sourceId: m.id, reason: 'item_too_large', detail, body: m.body, sentAt });
        continue;
      }
    }
    byMessageId.set(event.messageId, { event, copies: [copy] });
  }
  return { entries: [...byMessageId.values()], rejected, seenBefore };
}

const packEntry = (e: Entry) => ({ event: e.event, sentAt: e.copies[0]!.sentAt });

/** Writes the events in packs: each is stored, left for the queue to retry, or refused by DynamoDB for good. */
async function storeEvents(
  store: StateStore,
  config: NightshiftConfig,
  entries: Entry[],
): Promise<{ stored: Entry[]; failed: string[]; refused: Line[] }> {
  const stored: Entry[] = [];
  const failed: string[] = [];
  const refused: Line[] = [];
  const shards = config.ingest.shardsPerDay;
  const hot = hotDays(config);
  type Pack = { item: Item; members: number[] };
  const settle = (pack: Pack, o: PutOutcome) => {
    for (const e of pack.members.map((i) => entries[i]!)) {
      if (o === 'written') stored.push(e);
      else if (o === 'unwritten') failed.push(...e.copies.map((c) => c.id));
      else {
        // DynamoDB refused what the envelope let through: quarantined, never retried.
        const detail = `DynamoDB refused the event: ${o.refused} (message ${e.event.messageId})`;
        for (const c of e.copies) {
          refused.push({ sourceId: c.id, reason: 'store_rejected', detail, body: c.body, sentAt: c.sentAt });
        }
      }
    }
  };
  // Packs go 25 to a request, several requests in flight, and are settled in their order whatever order the requests
  // end in. A pack DynamoDB refuses is written again one event a pack, so only the event it cannot store is left out.
  const write = async (packs: Pack[]): Promise<PutOutcome[]> => {
    const outcomes: PutOutcome[] = [];
    const indexes = packs.map((_, k) => k);
    await inParallel(chunksOf(indexes, WRITE_ITEMS), async (ks) => {
      const written = await putAll(
        store,
        ks.map((k) => packs[k]!.item),
      );
      for (const [j, k] of ks.entries()) outcomes[k] = written[j]!;
    });
    return outcomes;
  };
  const packs = eventPacks(entries.map(packEntry), shards, hot);
  const outcomes = await write(packs);
  const singles: Pack[] = [];
  for (const [k, pack] of packs.entries()) {
    const o = outcomes[k]!;
    if (typeof o !== 'object' || pack.members.length === 1) settle(pack, o);
    else
      for (const i of pack.members)
        singles.push({ ...eventPacks([packEntry(entries[i]!)], shards, hot)[0]!, members: [i] });
  }
  const again = await write(singles);
  for (const [k, pack] of singles.entries()) settle(pack, again[k]!);
  return { stored, failed, refused };
}

/** Items of one BatchWriteItem request (DynamoDB's most), and how many such requests one call has in flight. */
const WRITE_ITEMS = 25;
const WRITES_IN_FLIGHT = 4;

function chunksOf<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/** Runs `work` on every group, at most WRITES_IN_FLIGHT at a time. */
async function inParallel<T>(groups: readonly T[], work: (group: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < groups.length) await work(groups[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(WRITES_IN_FLIGHT, groups.length) }, worker));
}

/**
 * Quarantines the lines: one item per distinct line and day, so copies of a line and redeliveries share it. A line
 * whose quarantine write may still pass is left for the queue to retry.
 */
async function quarantineLines(
  store: StateStore,
  config: NightshiftConfig,
  rejected: Line[],
): Promise<{ quarantined: Line[]; failed: string[] }> {
  const quarantine = new Map<string, Item>();
  const lineKeys = rejected.map((r) => {
    const item = quarantineItem(
      r,
      r.sentAt,
      localDate(r.sentAt, config.timeZone),
      config.ingest.quarantineRetentionDays,
    );
    const key = keyOf(item);
    if (!quarantine.has(key)) quarantine.set(key, item);
    return key;
  });
  const notQuarantined = new Set<string>();
  if (quarantine.size > 0) {
    const keys = [...quarantine.keys()];
    const outcome = await putAll(store, [...quarantine.values()]);
    outcome.forEach((o, k) => {
      if (o !== 'written') notQuarantined.add(keys[k]!);
    });
  }
  const failed: string[] = [];
  const quarantined = rejected.filter((r, k) => {
    if (!notQuarantined.has(lineKeys[k]!)) return true;
    failed.push(r.sourceId);
    return false;
  });
  return { quarantined, failed };
}

type PutOutcome = 'written' | 'unwritten' | { refused: string };

const keyOf = (item: Item) => `${item.pk}\u0000${item.sk}`;

/** Writes items and says, item by item, whether each was written, may be retried, or was refused for good. */
async function putAll(store: StateStore, items: Item[]): Promise<PutOutcome[]> {
  try {
    await store.putMany('events', items);
    return items.map(() => 'written');
  } catch (error) {
    if (!(error instanceof PutManyError)) return items.map(() => 'unwritten');
    const refused = new Map(error.refused.map((r) => [keyOf(r.item), r.message]));
    const unwritten = new Set(error.unwritten.map(keyOf));
    return items.map((item) => {
      const message = refused.get(keyOf(item));
      if (message !== undefined) return { refused: message };
      return unwritten.has(keyOf(item)) ? 'unwritten' : 'written';
    });
  }
}

/** The parts of an event a resend repeats, each as a hash: what the event is, whose, when, and its properties. */
const FIELDS = ['event name', 'user', 'timestamp', 'properties'] as const;
type Field = (typeof FIELDS)[number];

/**
 * What an event is, as a resend repeats it: its name, user, instant and properties (keys in any order, numbers as
 * read). Not the rest of the line (an SDK stamps `sentAt` and `context` anew on a retry) and not how the timestamp was
 * written (`+08:00` or `Z`). One short hash per part, so a run remembers millions of them and can say which differ.
 */
export function fingerprint(e: StoredEvent): string {
  return [fnv(e.event), fnv(e.userId ?? ''), e.ts.toString(36), fnv(canonicalJson(e.properties))].join(' ');
}

/** The parts of two fingerprints that differ, in FIELDS order. */
function differences(a: string, b: string): Field[] {
  if (a === b) return [];
  const [x, y] = [a.split(' '), b.split(' ')];
  return FIELDS.filter((_, i) => x[i] !== y[i]);
}

/** What a run keeps of an event it stored: its fingerprint, the line (or request) that carried it, and its name. */
export function seenValue(e: StoredEvent, source: string): string {
  return `${fingerprint(e)}\n${source}\n${e.event}`;
}

/** The first event of a messageId, as the detail of a reuse names it. */
interface FirstCarrier {
  source: string;
  event: string;
  ts: number;
}

function parseSeenValue(value: string): FirstCarrier & { fingerprint: string } {
  const [fingerprint = '', source = '', ...name] = value.split('\n');
  const ts = Number.parseInt(fingerprint.split(' ')[2] ?? '', 36);
  return { fingerprint, source, event: name.join('\n'), ts };
}

function reuseDetail(e: StoredEvent, first: FirstCarrier, differs: readonly Field[]): string {
  const what = differs.length === 1 ? differs[0]! : `${differs.slice(0, -1).join(', ')} and ${differs.at(-1)}`;
  const name = (n: string) => JSON.stringify(n.length > 60 ? `${n.slice(0, 60)}…` : n);
  const when = Number.isFinite(first.ts) ? ` at ${new Date(first.ts).toISOString()}` : '';
  return `messageId ${e.messageId.slice(0, 100)} already carried another event, ${name(first.event)}${when} (${first.source.slice(0, 200)}); this line's ${name(e.event)} differs in its ${what}, so it is no resend: the first is kept, this one is not stored; send it with a messageId of its own`;
}

/** JSON with every object's keys sorted: two serialisations of one value give one text. */
function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** FNV-1a over UTF-16 units, as 7 base-36 digits or fewer: enough to tell two events apart that share a messageId. */
function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

/**
 * Event days the next nightly rollup would not recompute: it reads the arrival day (then yesterday) and the
 * `recomputeDays` before it, and every marked day.
 */
function lateDaysOf(days: string[], arrivalDay: string, recomputeDays: number): string[] {
  const oldestRecomputed = addDays(arrivalDay, -recomputeDays);
  return [...new Set(days.filter((d) => d < oldestRecomputed))].sort();
}

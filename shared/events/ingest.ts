// Exactly-once ingestion of a batch of messages: valid events are stored keyed by messageId (a redelivery overwrites
// the same item), invalid ones go to quarantine with their reason, and only store failures ask for a retry.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, localDate } from '#shared/time/calendar.ts';
import { parseEventBody, type RejectReason, type StoredEvent } from './envelope.ts';
import { addIngestStats, eventItem, markDaysDirty, quarantineItem, type Rejected } from './events-store.ts';

/** One message from the queue (or one line of a file): `id` is what a retry is reported against. */
export interface IncomingMessage {
  id: string;
  body: string;
}

export interface IngestResult {
  accepted: number;
  /** Same messageId more than once in this batch: stored once. */
  duplicates: number;
  rejected: Array<{ id: string; reason: RejectReason; detail: string }>;
  /** Message ids whose write failed: the queue must redeliver them. */
  failed: string[];
  /** Days older than the nightly recompute window that received events: marked for recomputation. */
  lateDays: string[];
}

export interface IngestDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
}

const WRITE_CHUNK = 25;

export async function ingestMessages(messages: readonly IncomingMessage[], deps: IngestDeps): Promise<IngestResult> {
  const { store, config } = deps;
  const now = deps.now();
  const options = { timeZone: config.timeZone, maxBytes: config.ingest.maxEventBytes };
  const byMessageId = new Map<string, { event: StoredEvent; ids: string[] }>();
  const rejected: Rejected[] = [];
  let duplicates = 0;

  for (const m of messages) {
    const parsed = parseEventBody(m.body, options);
    if (!parsed.ok) {
      rejected.push({ sourceId: m.id, reason: parsed.reason, detail: parsed.detail, body: m.body });
      continue;
    }
    const seen = byMessageId.get(parsed.event.messageId);
    if (seen) {
      // BatchWriteItem refuses two writes of one key in a request; the first copy wins, both acknowledge together.
      seen.ids.push(m.id);
      duplicates++;
    } else {
      byMessageId.set(parsed.event.messageId, { event: parsed.event, ids: [m.id] });
    }
  }

  const failed: string[] = [];
  const valid = [...byMessageId.values()];
  const items = valid.map((v) => eventItem(v.event, config.ingest.shardsPerDay, config.ingest.eventRetentionDays));
  for (let i = 0; i < items.length; i += WRITE_CHUNK) {
    try {
      await store.putMany('events', items.slice(i, i + WRITE_CHUNK));
    } catch {
      for (const v of valid.slice(i, i + WRITE_CHUNK)) failed.push(...v.ids);
    }
  }

  const arrivalDay = localDate(now, config.timeZone);
  if (rejected.length > 0) {
    const retention = config.ingest.quarantineRetentionDays;
    try {
      await store.putMany(
        'events',
        rejected.map((r) => quarantineItem(r, now, arrivalDay, retention)),
      );
    } catch {
      failed.push(...rejected.map((r) => r.sourceId));
    }
  }

  const failedSet = new Set(failed);
  const stored = valid.filter((v) => !v.ids.some((id) => failedSet.has(id)));
  const lateDays = lateDaysOf(
    stored.map((v) => v.event.day),
    arrivalDay,
    config.jobs.recomputeDays,
  );
  if (lateDays.length > 0) await markDaysDirty(store, lateDays, now);

  const quarantined = rejected.filter((r) => !failedSet.has(r.sourceId));
  const byReason: Partial<Record<RejectReason, number>> = {};
  for (const r of quarantined) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  await addIngestStats(store, arrivalDay, { accepted: stored.length, rejected: quarantined.length, byReason });

  return {
    accepted: stored.length,
    duplicates,
    rejected: quarantined.map((r) => ({ id: r.sourceId, reason: r.reason, detail: r.detail })),
    failed,
    lateDays,
  };
}

/** Event days before the window the nightly rollup recomputes anyway (yesterday and `recomputeDays` before it). */
function lateDaysOf(days: string[], arrivalDay: string, recomputeDays: number): string[] {
  const oldestRecomputed = addDays(arrivalDay, -1 - recomputeDays);
  return [...new Set(days.filter((d) => d < oldestRecomputed))].sort();
}

// Where the HTTP ingestion API puts what it accepts. In AWS the events queue, in front of ingest-events; on a laptop
// the store itself through `ingestMessages`, the queue consumer's own code path. Calls the API refused are quarantined
// in the events table either way, keyed by their content like every quarantined line.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import type { EventQueue } from '#shared/queue/events-queue.ts';
import type { Item, StateStore } from '#shared/store/store.ts';
import { localDate } from '#shared/time/calendar.ts';
import { quarantineItem } from './events-store.ts';
import type { EventSink, QuarantinedCall } from './http-api.ts';
import { ingestMessages, type StoredMessages } from './ingest.ts';

export interface SinkDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
}

/**
 * Stores events as the events queue's consumer does: exactly once by messageId, problems quarantined. An event the
 * sink stored before (a batch sent again) is counted as a duplicate and not written again; another event under a
 * messageId it stored is quarantined (`reused_message_id`).
 */
export function storeSink(deps: SinkDeps): EventSink {
  const seen: StoredMessages = new Map();
  return {
    async deliver(messages) {
      const result = await ingestMessages(messages, { ...deps, seen });
      return { failed: result.failed, rejected: result.rejected, duplicates: result.duplicates };
    },
    quarantine: (calls) => quarantineCalls(deps.store, calls, deps.config),
  };
}

/** Sends events to the events queue (ingest-events stores them); only quarantines are written here. */
export function queueSink(deps: { queue: EventQueue; store: StateStore; config: NightshiftConfig }): EventSink {
  return {
    async deliver(messages) {
      const result = await deps.queue.send(messages);
      if (result.refused.length === 0) return { failed: result.failed, rejected: [] };
      // SQS refused these as invalid: they are kept in quarantine, not sent again.
      const byId = new Map(messages.map((m) => [m.id, m]));
      const refused = result.refused.map((r) => {
        const m = byId.get(r.id)!;
        const detail = `SQS refused the event: ${r.message}`;
        return { sourceId: r.id, reason: 'store_rejected' as const, detail, body: m.body, sentAt: m.sentAt ?? 0 };
      });
      await quarantineCalls(deps.store, refused, deps.config);
      return {
        failed: result.failed,
        rejected: refused.map((r) => ({ id: r.sourceId, reason: r.reason, detail: r.detail })),
      };
    },
    quarantine: (calls) => quarantineCalls(deps.store, calls, deps.config),
  };
}

/** Writes quarantine items, one per distinct call and day (a resent call overwrites its own); throws when it cannot. */
export async function quarantineCalls(
  store: StateStore,
  calls: readonly QuarantinedCall[],
  config: NightshiftConfig,
): Promise<void> {
  const items = new Map<string, Item>();
  for (const c of calls) {
    const item = quarantineItem(
      c,
      c.sentAt,
      localDate(c.sentAt, config.timeZone),
      config.ingest.quarantineRetentionDays,
    );
    items.set(`${item.pk}\u0000${item.sk}`, item);
  }
  await store.putMany('events', [...items.values()]);
}

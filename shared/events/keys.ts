// Where events live in the events table: packs of events (see events-store.ts), each local day spread over N
// partitions so a busy day stays under a partition's 1,000 writes/s, and a redelivered pack overwrites its own item.

export function shardOf(messageId: string, shards: number): number {
  // FNV-1a: stable across runtimes and releases, which the item key depends on.
  let h = 0x811c9dc5;
  for (let i = 0; i < messageId.length; i++) {
    h ^= messageId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

export const eventPartition = (day: string, shard: number) => `EV#${day}#${shard}`;
/** Sort keys of packs start with this; an item of one event (the layout before packs) is keyed by its messageId. */
export const PACK_PREFIX = 'P#';
/** Quarantined lines of a local day (the day each was first sent), keyed by a hash of the line. */
export const quarantinePartition = (sentDay: string) => `Q#${sentDay}`;
/** Days that received events after the next nightly rollup's window; that rollup recomputes them. */
export const DIRTY_DAYS_PARTITION = 'DIRTY';
/** When events were last stored: the watchdog's sign of a live queue. */
export const LAST_STORED = { pk: 'STATS#ingest', sk: 'last-stored' } as const;

// Is the events queue silent? The ingest function may only write the events table, where every batch that stores
// events notes the time (one small overwrite, so a redelivery counts nothing twice). Silence is the time since then,
// counted at most from when the watchdog started watching; one read an hour and no change to the ingest path.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { lastStoredAt } from '#shared/events/events-store.ts';
import type { StateStore } from '#shared/store/store.ts';
import { localWhen } from './judge.ts';

export const WATCHDOG_PK = 'WATCHDOG';

export interface QueueSilence {
  /** Epoch ms events were last stored, if ever. */
  lastStoredAt?: number;
  /** The same in words, local time: '10:45 on 22 Nov', or 'never'. */
  lastStored: string;
  /** Epoch ms from which nothing is known to have been stored. */
  quietSince: number;
  silentMinutes: number;
  limitMinutes: number;
  anomalous: boolean;
  /** Silence relative to the limit, capped at 2 (one escalation at most). */
  magnitude: number;
  summary: string;
}

/** Judges the events queue at `now`; a deployment is not blamed for silence before `watchingSince`. */
export async function checkQueueSilence(
  store: StateStore,
  config: NightshiftConfig,
  now: number,
  watchingSince: number,
): Promise<QueueSilence> {
  const last = await lastStoredAt(store);
  const quietSince = Math.min(now, Math.max(last ?? watchingSince, watchingSince));
  const limit = config.monitoring.queueSilenceMinutes;
  const silentMinutes = Math.floor((now - quietSince) / 60_000);
  const anomalous = silentMinutes >= limit;
  const lastStored = last === undefined ? 'never' : localWhen(last, config.timeZone);
  return {
    ...(last === undefined ? {} : { lastStoredAt: last }),
    lastStored,
    quietSince,
    silentMinutes,
    limitMinutes: limit,
    anomalous,
    magnitude: Math.min(silentMinutes / limit, 2),
    summary: anomalous
      ? `No events accepted for ${silentMinutes} minutes (limit ${limit}, monitoring.queueSilenceMinutes)`
      : `Events arriving: last stored ${lastStored}`,
  };
}

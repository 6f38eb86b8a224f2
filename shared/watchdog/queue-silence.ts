// Is the events queue silent? The ingest function may only write the events table, where it already counts accepted
// events per arrival day (`STATS#ingest`). The watchdog keeps the count it saw last in the state table: when the count
// has not grown for `monitoring.queueSilenceMinutes`, nothing was accepted in that time. One or two reads an hour and
// no change to the ingest path; silence is noticed within the limit plus one watchdog interval.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { readIngestStats } from '#shared/events/events-store.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dayRange, localDate } from '#shared/time/calendar.ts';

export const WATCHDOG_PK = 'WATCHDOG';
const SNAPSHOT_SK = 'ingest';

interface Snapshot {
  /** Arrival day (local) the count is of. */
  day: string;
  accepted: number;
  /** Epoch ms from which no event is known to have been accepted. */
  quietSince: number;
  checkedAt: number;
}

export interface QueueSilence {
  acceptedToday: number;
  /** Epoch ms from which nothing is known to have been accepted (conservative: the check that saw the last growth). */
  quietSince: number;
  silentMinutes: number;
  limitMinutes: number;
  anomalous: boolean;
  /** Silence relative to the limit, capped at 2 (one escalation at most). */
  magnitude: number;
  summary: string;
}

async function readSnapshot(store: StateStore): Promise<Snapshot | undefined> {
  const item = await store.get('state', WATCHDOG_PK, SNAPSHOT_SK);
  if (!item || typeof item.day !== 'string') return undefined;
  return {
    day: item.day,
    accepted: Number(item.accepted ?? 0),
    quietSince: Number(item.quietSince ?? 0),
    checkedAt: Number(item.checkedAt ?? 0),
  };
}

/**
 * When events were last known to arrive, from the ingest counters. Without an earlier snapshot: now when events
 * arrived today (when exactly is unknown), else the start of today when yesterday had some, else `watchingSince`.
 */
async function quietSinceAt(
  store: StateStore,
  config: NightshiftConfig,
  now: number,
  today: string,
  acceptedToday: number,
  watchingSince: number,
  previous: Snapshot | undefined,
): Promise<number> {
  const tz = config.timeZone;
  if (!previous) {
    if (acceptedToday > 0) return now;
    const yesterday = await readIngestStats(store, addDays(today, -1));
    return yesterday.accepted > 0 ? Math.max(dayRange(today, tz).start, watchingSince) : watchingSince;
  }
  let grew = previous.day === today ? acceptedToday > previous.accepted : acceptedToday > 0;
  if (!grew && previous.day !== today) {
    // Events accepted between the last check and midnight are counted on the earlier day.
    grew = (await readIngestStats(store, previous.day)).accepted > previous.accepted;
  }
  return grew ? now : previous.quietSince;
}

/** Judges the events queue at `now` and remembers what it saw for the next check. */
export async function checkQueueSilence(
  store: StateStore,
  config: NightshiftConfig,
  now: number,
  watchingSince: number,
): Promise<QueueSilence> {
  const today = localDate(now, config.timeZone);
  const acceptedToday = (await readIngestStats(store, today)).accepted;
  const previous = await readSnapshot(store);
  const quietSince = Math.min(
    now,
    await quietSinceAt(store, config, now, today, acceptedToday, watchingSince, previous),
  );
  await store.put('state', {
    pk: WATCHDOG_PK,
    sk: SNAPSHOT_SK,
    day: today,
    accepted: acceptedToday,
    quietSince,
    checkedAt: now,
  });

  const limit = config.monitoring.queueSilenceMinutes;
  const silentMinutes = Math.floor((now - quietSince) / 60_000);
  const anomalous = silentMinutes >= limit;
  return {
    acceptedToday,
    quietSince,
    silentMinutes,
    limitMinutes: limit,
    anomalous,
    magnitude: Math.min(silentMinutes / limit, 2),
    summary: anomalous
      ? `No events accepted for ${silentMinutes} minutes (limit ${limit}, monitoring.queueSilenceMinutes)`
      : `Events arriving: ${acceptedToday} accepted today`,
  };
}

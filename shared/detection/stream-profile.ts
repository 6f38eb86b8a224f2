// What an expected event stream normally looks like: when it first arrived (nothing is judged before that) and its
// hour-of-day rhythm (average events per local hour), learned from the whole days detection has read.
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dayRange, type LocalDate, localParts } from '#shared/time/calendar.ts';

const PROFILE_PK = 'STREAM';
const HOUR_MS = 3_600_000;
/** Whole days of history (holidays not counted) before the rhythm joins the fixed `maxSilenceHours` rule. */
export const RHYTHM_MIN_DAYS = 7;
/** The rhythm follows the last few weeks: each new day weighs at least 1/28 of the average. */
const RHYTHM_WINDOW_DAYS = 28;

export interface StreamProfile {
  event: string;
  /** Epoch ms of the earliest event of the stream seen by detection. */
  firstSeen?: number;
  /** The last whole local day folded into `hourly` (each day is folded once). */
  foldedThrough?: LocalDate;
  /** Whole days folded into `hourly`. */
  days: number;
  /** Average events per local hour of day (24 entries), over the days folded. */
  hourly: number[];
}

export function emptyProfile(event: string): StreamProfile {
  return { event, days: 0, hourly: new Array<number>(24).fill(0) };
}

export async function readProfile(store: StateStore, event: string): Promise<StreamProfile> {
  const item = await store.get('state', PROFILE_PK, event);
  if (!item) return emptyProfile(event);
  const { pk: _pk, sk: _sk, ...profile } = item;
  return profile as unknown as StreamProfile;
}

export async function writeProfile(store: StateStore, profile: StreamProfile): Promise<void> {
  await store.put('state', { pk: PROFILE_PK, sk: profile.event, ...profile });
}

/** The earliest of the profile's first-seen instant and `times` (sorted). */
export function withFirstSeen(profile: StreamProfile, times: readonly number[]): StreamProfile {
  const first = times[0];
  if (first === undefined || (profile.firstSeen !== undefined && profile.firstSeen <= first)) return profile;
  return { ...profile, firstSeen: first };
}

/**
 * Folds a whole local day's events (sorted times) into the profile. A day is folded once, and only when the stream
 * had already arrived before it began: the partial first day would teach the rhythm a silence that never was. A day
 * in `holidays` keeps its own hours and is not learned either.
 */
export function foldDay(
  profile: StreamProfile,
  day: LocalDate,
  times: readonly number[],
  timeZone: string,
  holidays: readonly LocalDate[] = [],
): StreamProfile {
  const seen = withFirstSeen(profile, times);
  if (seen.foldedThrough !== undefined && day <= seen.foldedThrough) return seen;
  if (seen.firstSeen === undefined || seen.firstSeen >= dayRange(day, timeZone).start || holidays.includes(day)) {
    return { ...seen, foldedThrough: day };
  }
  const counts = new Array<number>(24).fill(0);
  for (const t of times) counts[localParts(t, timeZone).hour]! += 1;
  const days = seen.days + 1;
  const weight = Math.max(1 / days, 1 / RHYTHM_WINDOW_DAYS);
  const hourly = seen.hourly.map((h, i) => h + weight * (counts[i]! - h));
  return { ...seen, foldedThrough: day, days, hourly };
}

/** Whether the profile has seen enough whole days for its rhythm to judge silences. */
export function hasRhythm(profile: StreamProfile): boolean {
  return profile.days >= RHYTHM_MIN_DAYS;
}

/** Events the rhythm expects between two instants: the hourly averages, pro rata for partial hours. */
export function expectedEvents(profile: StreamProfile, from: number, to: number, timeZone: string): number {
  let total = 0;
  let t = from;
  while (t < to) {
    const p = localParts(t, timeZone);
    const hourEnd = t - ((p.minute * 60 + p.second) * 1000 + (t % 1000)) + HOUR_MS;
    const end = Math.min(to, hourEnd);
    total += (profile.hourly[p.hour] ?? 0) * ((end - t) / HOUR_MS);
    t = end;
  }
  return total;
}

/** The local days before `day` the profile still has to fold, oldest first (at most `max`). */
export function daysToFold(profile: StreamProfile, day: LocalDate, max: number): LocalDate[] {
  const out: LocalDate[] = [];
  for (let d = day; out.length < max && (profile.foldedThrough === undefined || d > profile.foldedThrough); ) {
    out.unshift(d);
    d = addDays(d, -1);
  }
  return out;
}

// What an expected event stream normally looks like: when it first arrived (nothing is judged before that) and its
// hour-of-day rhythms (average events per local hour), one for weekdays, one for Saturdays and one for Sundays, learned
// from the whole days detection has read. A business's weekend is often a tenth of its weekdays: one rhythm over both
// would judge a quiet Sunday hour against a weekday's volume; and a shop open on Saturdays but closed on Sundays would
// have every Sunday judged against half a Saturday.
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dayRange, isoWeekday, type LocalDate, localParts } from '#shared/time/calendar.ts';

const PROFILE_PK = 'STREAM';
const HOUR_MS = 3_600_000;
/** Whole weekdays of history (holidays not counted), a working week, before the rhythm joins `maxSilenceHours`. */
export const RHYTHM_MIN_DAYS = 5;
/** Whole weekend days (two weekends) before the weekend rhythm judges Saturdays and Sundays. */
export const WEEKEND_MIN_DAYS = 4;
/** Whole Saturdays (Sundays) before Saturday's (Sunday's) own rhythm judges them instead of the weekend's. */
export const WEEKEND_DAY_MIN_DAYS = 2;
/**
 * The rhythms follow the last four weeks or so: each new day weighs at least 1/20 (1/8 for a weekend day in the
 * weekend's rhythm, 1/4 in its own day's).
 */
const RHYTHM_WINDOW_DAYS = 20;
const WEEKEND_WINDOW_DAYS = 8;
const WEEKEND_DAY_WINDOW_DAYS = 4;

export interface StreamProfile {
  event: string;
  /** Epoch ms of the earliest event of the stream seen by detection. */
  firstSeen?: number;
  /** The last whole local day folded into the rhythms (each day is folded once). */
  foldedThrough?: LocalDate;
  /** Whole weekdays folded into `hourly` (every day, in a profile stored before weekends had their own rhythm). */
  days: number;
  /** Average events per local hour of day (24 entries), over the weekdays folded. */
  hourly: number[];
  /** Whole Saturdays and Sundays folded into `weekendHourly` (absent: none yet). */
  weekendDays?: number;
  /** Average events per local hour of a weekend day (24 entries). */
  weekendHourly?: number[];
  /** Whole Saturdays folded into `saturdayHourly`, and its averages (absent in profiles stored before). */
  saturdays?: number;
  saturdayHourly?: number[];
  /** Whole Sundays folded into `sundayHourly`, and its averages. */
  sundays?: number;
  sundayHourly?: number[];
}

/** Saturday or Sunday (`day` is a local date in the config's time zone). */
export function isWeekend(day: LocalDate): boolean {
  return isoWeekday(day) >= 6;
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
 * in `holidays` keeps its own hours and is not learned either. A Saturday or Sunday teaches the weekend rhythm, any
 * other day the weekday one.
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
  const learn = (average: readonly number[], days: number, window: number) => {
    const weight = Math.max(1 / days, 1 / window);
    return average.map((h, i) => h + weight * (counts[i]! - h));
  };
  if (isWeekend(day)) {
    const weekendDays = (seen.weekendDays ?? 0) + 1;
    const weekendHourly = learn(seen.weekendHourly ?? counts.map(() => 0), weekendDays, WEEKEND_WINDOW_DAYS);
    const zero = counts.map(() => 0);
    const own =
      isoWeekday(day) === 6
        ? {
            saturdays: (seen.saturdays ?? 0) + 1,
            saturdayHourly: learn(seen.saturdayHourly ?? zero, (seen.saturdays ?? 0) + 1, WEEKEND_DAY_WINDOW_DAYS),
          }
        : {
            sundays: (seen.sundays ?? 0) + 1,
            sundayHourly: learn(seen.sundayHourly ?? zero, (seen.sundays ?? 0) + 1, WEEKEND_DAY_WINDOW_DAYS),
          };
    return { ...seen, foldedThrough: day, weekendDays, weekendHourly, ...own };
  }
  const days = seen.days + 1;
  return { ...seen, foldedThrough: day, days, hourly: learn(seen.hourly, days, RHYTHM_WINDOW_DAYS) };
}

/**
 * The hour-of-day rhythm that judges local `day`, once enough such days are learnt; else none. A Saturday or Sunday
 * has its own day's rhythm once two are learnt, else the weekend's (a profile stored before days had their own).
 * `asSunday` judges it as a Sunday whatever its weekday (a holiday, where a business keeps Sunday hours at best).
 */
export function rhythmFor(profile: StreamProfile, day: LocalDate, asSunday = false): readonly number[] | undefined {
  const weekday = asSunday ? 7 : isoWeekday(day);
  if (weekday >= 6) {
    const [days, hourly] =
      weekday === 6 ? [profile.saturdays, profile.saturdayHourly] : [profile.sundays, profile.sundayHourly];
    if ((days ?? 0) >= WEEKEND_DAY_MIN_DAYS && hourly) return hourly;
    return (profile.weekendDays ?? 0) >= WEEKEND_MIN_DAYS ? profile.weekendHourly : undefined;
  }
  return profile.days >= RHYTHM_MIN_DAYS ? profile.hourly : undefined;
}

/** Whether the profile has seen enough whole days like `day` (weekday or weekend) for its rhythm to judge silences. */
export function hasRhythm(profile: StreamProfile, day: LocalDate): boolean {
  return rhythmFor(profile, day) !== undefined;
}

/**
 * Events the rhythms expect between two instants: the hourly averages of each local day's rhythm (weekday, Saturday
 * or Sunday; `asSunday` days at Sunday's), pro rata for partial hours. Hours of a day whose rhythm is not learnt yet
 * expect nothing.
 */
export function expectedEvents(
  profile: StreamProfile,
  from: number,
  to: number,
  timeZone: string,
  asSunday: (day: LocalDate) => boolean = () => false,
): number {
  let total = 0;
  let t = from;
  while (t < to) {
    const p = localParts(t, timeZone);
    const hourEnd = t - ((p.minute * 60 + p.second) * 1000 + (t % 1000)) + HOUR_MS;
    const end = Math.min(to, hourEnd);
    total += (rhythmFor(profile, p.date, asSunday(p.date))?.[p.hour] ?? 0) * ((end - t) / HOUR_MS);
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

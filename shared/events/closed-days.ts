// Which days the business was closed, from what Nightshift already keeps: the config's holidays and the day figures
// (each day's stored events, as the nightly rollup counted them). A day's targets are not judged on a closed day, and a
// per-day target of a week or month counts its open days only. A day without a single event is closed when its
// weekday usually is (a parts distributor closed on Sundays), in weeks that had events: a week without any is the data
// stopping, not the business closing. A holiday is closed when nothing arrived on it, or when the business's Sundays
// are closed (a holiday is judged as a Sunday, as the expected-event silences judge it) and its events are strays.
import { median } from '#shared/anomaly/robust.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  addDays,
  dayRange,
  type Granularity,
  granularityOf,
  isoWeekday,
  type LocalDate,
  type PeriodId,
  periodBounds,
  periodOf,
} from '#shared/time/calendar.ts';
import { type DataStart, readDataStart, readDayFigures } from './day-figures.ts';

/** 'holiday': a day of the config's `holidays`; 'weekday': a day without events on a weekday the business keeps closed. */
export type ClosedReason = 'holiday' | 'weekday';

/** Earlier occurrences of a weekday that say whether it is usually closed: the last four weeks. */
export const CLOSED_LOOKBACK_WEEKS = 4;
/**
 * Of those, how many must be known (counted, no holiday, since the data began) before a weekday can be called closed:
 * two, as the stream profiles want two Sundays before Sunday's own rhythm judges one. A first empty Tuesday is missing
 * data, not a closed day.
 */
export const CLOSED_MIN_WEEKS = 2;
/**
 * An empty occurrence of a weekday is evidence of closing only when the days around it (3 either side, a week with it)
 * had an event: a shop open every day whose ingest went silent for weeks has empty Mondays in empty weeks.
 */
export const CLOSED_WEEK_REACH = 3;
/**
 * A holiday judged as a closed Sunday is closed only with fewer events than this share of the usual: the median of its
 * weekday's open occurrences of the last four weeks (or, with none, of every open day of those weeks). A tenth keeps a
 * distributor's few stray orders closed and a shop's busy Christmas Eve scored.
 */
export const CLOSED_HOLIDAY_SHARE = 0.1;

const SUNDAY = 7;

/**
 * The closed days among `days`. `events` holds the events of each counted day (a day it lacks is not known, so never
 * closed by its weekday); `dataStart` is the first day with events: the empty days before it say nothing of a weekday.
 */
export function closedDays(
  days: Iterable<LocalDate>,
  events: ReadonlyMap<LocalDate, number>,
  holidays: readonly LocalDate[],
  dataStart: LocalDate | undefined,
): Map<LocalDate, ClosedReason> {
  const holiday = new Set(holidays);
  const hadEvents = (d: LocalDate) => (events.get(d) ?? 0) > 0;
  /** Whether occurrence `d` tells of its weekday: counted, no holiday, since the data began, in a week with events. */
  const known = (d: LocalDate): boolean => {
    if (!events.has(d) || holiday.has(d) || dataStart === undefined || d < dataStart) return false;
    if (hadEvents(d)) return true;
    for (let i = 1; i <= CLOSED_WEEK_REACH; i++) if (hadEvents(addDays(d, -i)) || hadEvents(addDays(d, i))) return true;
    return false;
  };
  /** The occurrences of `weekday` in the weeks before `day`, latest first. */
  const earlier = (day: LocalDate, weekday: number): LocalDate[] => {
    const back = (isoWeekday(day) - weekday + 7) % 7 || 7;
    return Array.from({ length: CLOSED_LOOKBACK_WEEKS }, (_, k) => addDays(day, -back - 7 * k));
  };
  /** Whether most of the known occurrences of `weekday` in the weeks before `day` had no event. */
  const usuallyClosed = (day: LocalDate, weekday: number): boolean => {
    const seen = earlier(day, weekday).filter(known);
    const empty = seen.filter((d) => !hadEvents(d)).length;
    return seen.length >= CLOSED_MIN_WEEKS && 2 * empty > seen.length;
  };
  /** Whether the `n` events of holiday `day` are strays: under CLOSED_HOLIDAY_SHARE of the usual before it. */
  const strays = (day: LocalDate, n: number): boolean => {
    const open = (ds: LocalDate[]) => ds.filter((d) => hadEvents(d) && !holiday.has(d)).map((d) => events.get(d)!);
    const weekday = open(earlier(day, isoWeekday(day)));
    const usual = median(
      weekday.length > 0
        ? weekday
        : open(Array.from({ length: 7 * CLOSED_LOOKBACK_WEEKS }, (_, i) => addDays(day, -1 - i))),
    );
    // With no open day to compare with, nothing says its events are strays (NaN compares false).
    return n < CLOSED_HOLIDAY_SHARE * usual;
  };
  const out = new Map<LocalDate, ClosedReason>();
  for (const day of days) {
    const n = events.get(day);
    if (holiday.has(day)) {
      // A holiday not counted yet has no events to weigh: its Sundays decide, as they always did.
      if (n === 0 || (usuallyClosed(day, SUNDAY) && (n === undefined || strays(day, n)))) out.set(day, 'holiday');
    } else if (n === 0 && usuallyClosed(day, isoWeekday(day))) {
      out.set(day, 'weekday');
    }
  }
  return out;
}

/**
 * The closed days among `days`, from the stored day figures of the weeks before them and `counted`: the events of days
 * counted since (a rollup's own days, before it stores their figures), which take precedence.
 */
export async function readClosedDays(
  store: StateStore,
  days: readonly LocalDate[],
  holidays: readonly LocalDate[],
  counted: ReadonlyMap<LocalDate, number> = new Map(),
): Promise<Map<LocalDate, ClosedReason>> {
  if (days.length === 0) return new Map();
  const sorted = days.toSorted();
  const from = addDays(sorted[0]!, -7 * CLOSED_LOOKBACK_WEEKS - CLOSED_WEEK_REACH);
  const events = new Map<LocalDate, number>();
  for (const f of await readDayFigures(store, from, sorted.at(-1)!)) events.set(f.day, f.events);
  for (const [day, n] of counted) events.set(day, n);
  const withEvents = [...events].filter(([, n]) => n > 0).map(([d]) => d);
  // The stored start, or the first day with events seen here when none is stored yet (a first rollup).
  const start = [(await readDataStart(store))?.day, ...withEvents].filter((d) => d !== undefined).sort()[0];
  return closedDays(days, events, holidays, start);
}

/**
 * Data that began in a period's first hour covers it: a whole day's first event comes some minutes after midnight (an
 * export of history starts so), while a first event mid-morning leaves out much of the day.
 */
export const COVERED_WITHIN_MS = 3_600_000;

/**
 * The period of `granularity` the data began in, when it began after that period's first hour: its figures count only
 * a part of it, so, as on a closed day, its targets are not judged (detection leaves it out too). Undefined when the
 * data covers its first period whole, or has not begun.
 */
export function partialPeriod(
  start: DataStart | undefined,
  granularity: Granularity,
  timeZone: string,
): PeriodId | undefined {
  if (start === undefined) return undefined;
  const period = periodOf(start.day, granularity);
  const begins = dayRange(periodBounds(period).first, timeZone).start;
  return start.at >= begins + COVERED_WITHIN_MS ? period : undefined;
}

/**
 * The data's start and the periods it began in after their first hour (at most one a granularity), read once for
 * whatever shows stored values: they keep their values and targets but are not judged (`nightshift kpis`, the printed
 * scorecards), as reports and detection already hold them.
 */
export interface PartialPeriods {
  /** Epoch ms of the earliest event counted; undefined before the data has begun. */
  dataFrom: number | undefined;
  /** Whether `period` is the partial one the data begins in, of its granularity. */
  has(period: PeriodId): boolean;
}

export async function readPartialPeriods(store: StateStore, timeZone: string): Promise<PartialPeriods> {
  const start = await readDataStart(store);
  return {
    dataFrom: start?.at,
    has: (period) => partialPeriod(start, granularityOf(period), timeZone) === period,
  };
}

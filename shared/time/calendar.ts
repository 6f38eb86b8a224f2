// All calendar logic in a time zone lives here: local days, ISO weeks, months, DST-aware instants.
// Local dates are plain 'YYYY-MM-DD' strings; arithmetic on them is done in UTC so it never sees DST.

export type LocalDate = string; // 'YYYY-MM-DD'
export type Granularity = 'day' | 'week' | 'month';
/** '2026-11-22' (day), '2026-W47' (ISO week), '2026-11' (month). */
export type PeriodId = string;

export class TimeError extends Error {
  override name = 'TimeError';
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalParts {
  date: LocalDate;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday: 1 = Monday ... 7 = Sunday. */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The wall-clock reading of an instant in a time zone. */
export function localParts(instant: number | Date, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
  };
}

/** '07:05': the wall-clock hour and minute of local parts. */
export function clockTime(p: Pick<LocalParts, 'hour' | 'minute'>): string {
  return `${String(p.hour).padStart(2, '0')}:${String(p.minute).padStart(2, '0')}`;
}

/** The local hour an instant falls in, '2026-11-22T14' (the period of an hourly check). */
export function localHour(now: number, timeZone: string): string {
  const p = localParts(now, timeZone);
  return `${p.date}T${String(p.hour).padStart(2, '0')}`;
}

const QUARTER_HOUR = 900_000;
const dateCache = new Map<string, Map<number, LocalDate>>();

/**
 * The local calendar day an instant falls on. Cached per UTC quarter-hour: every UTC offset is a multiple of 15
 * minutes, so local midnight always falls on a quarter-hour boundary and the date is constant within one. (This
 * runs once per ingested event; Intl formatting is most of its cost.)
 */
export function localDate(instant: number | Date, timeZone: string): LocalDate {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  const bucket = Math.floor(ms / QUARTER_HOUR);
  let zone = dateCache.get(timeZone);
  if (!zone) {
    zone = new Map();
    dateCache.set(timeZone, zone);
  }
  let date = zone.get(bucket);
  if (date === undefined) {
    if (zone.size > 50_000) zone.clear();
    date = localParts(bucket * QUARTER_HOUR, timeZone).date;
    zone.set(bucket, date);
  }
  return date;
}

function offsetMs(instant: number, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const [y, m, d] = splitDate(p.date);
  const asUtc = Date.UTC(y, m - 1, d, p.hour, p.minute, p.second);
  return asUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant at which the local wall clock reads `date` `time` ('HH:MM' or 'HH:MM:SS'), with Temporal's
 * "compatible" rule: a time repeated when clocks go back is its first occurrence; a time skipped when clocks go
 * forward moves forward by the gap (02:30 on a spring-forward night becomes 03:30).
 */
export function zonedInstant(date: LocalDate, time: string, timeZone: string): number {
  const [y, m, d] = splitDate(date);
  const [hh = 0, mm = 0, ss = 0] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm, ss);
  const before = offsetMs(wall - DAY_MS, timeZone);
  const after = offsetMs(wall + DAY_MS, timeZone);
  const matches = [wall - before, wall - after].filter((c) => c + offsetMs(c, timeZone) === wall);
  if (matches.length > 0) return Math.min(...matches);
  return wall - before;
}

/** [start, end) of a local day as epoch milliseconds; 23 or 25 hours long on DST change days. */
export function dayRange(date: LocalDate, timeZone: string): { start: number; end: number } {
  return { start: zonedInstant(date, '00:00', timeZone), end: zonedInstant(addDays(date, 1), '00:00', timeZone) };
}

function splitDate(date: LocalDate): [number, number, number] {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new TimeError(`expected a date as YYYY-MM-DD, got '${date}'`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function fromUtcDays(days: number): LocalDate {
  return new Date(days * DAY_MS).toISOString().slice(0, 10);
}

function toUtcDays(date: LocalDate): number {
  const [y, m, d] = splitDate(date);
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** Checks a 'YYYY-MM-DD' string names a real calendar date. */
export function isLocalDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && fromUtcDays(toUtcDays(value)) === value;
}

/** English month names, January first; and their three-letter abbreviations. */
export const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;
export const MONTH_ABBREVIATIONS = MONTH_NAMES.map((m) => m.slice(0, 3));

/**
 * Why `value` is not a local date, or undefined when it is one. Text not written as YYYY-MM-DD is told the format; a
 * date written so that is not on the calendar is told why ('2026-11-31 is not a date (November has 30 days)'), since
 * the format message would only repeat what it already is.
 */
export function localDateProblem(value: string): string | undefined {
  if (isLocalDate(value)) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return `expected a date as YYYY-MM-DD, got '${value}'`;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const notADate = `${value} is not a date`;
  if (month < 1 || month > 12) return `${notADate} (months run from 01 to 12)`;
  if (day < 1) return `${notADate} (days of a month start at 01)`;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  const name = MONTH_NAMES[month - 1]!;
  if (day > days) return `${notADate} (${month === 2 ? `${name} ${year}` : name} has ${days} days)`;
  // A date of the years 0000-0099, which the calendar arithmetic (Date.UTC) cannot hold.
  return `${notADate} Nightshift can use (years before 0100)`;
}

/** `value` as a local date; a TimeError saying why (localDateProblem) if it is not one. */
export function parseLocalDate(value: string): LocalDate {
  const problem = localDateProblem(value);
  if (problem !== undefined) throw new TimeError(problem);
  return value;
}

export function addDays(date: LocalDate, days: number): LocalDate {
  return fromUtcDays(toUtcDays(date) + days);
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  return toUtcDays(b) - toUtcDays(a);
}

/** Every local date from `from` to `to`, both included. */
export function dateRange(from: LocalDate, to: LocalDate): LocalDate[] {
  const out: LocalDate[] = [];
  for (let d = toUtcDays(from), end = toUtcDays(to); d <= end; d++) out.push(fromUtcDays(d));
  return out;
}

/** ISO weekday of a local date: 1 = Monday ... 7 = Sunday. */
export function isoWeekday(date: LocalDate): number {
  return ((((toUtcDays(date) + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
}

/** ISO 8601 week id, e.g. '2026-W47'; weeks run Monday-Sunday and belong to the year of their Thursday. */
export function isoWeek(date: LocalDate): PeriodId {
  const thursday = addDays(date, 4 - isoWeekday(date));
  const year = thursday.slice(0, 4);
  const week = Math.floor(daysBetween(`${year}-01-01`, thursday) / 7) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function monthOf(date: LocalDate): PeriodId {
  return date.slice(0, 7);
}

export function periodOf(date: LocalDate, granularity: Granularity): PeriodId {
  if (granularity === 'day') return date;
  return granularity === 'week' ? isoWeek(date) : monthOf(date);
}

export function granularityOf(period: PeriodId): Granularity {
  if (/^\d{4}-\d{2}-\d{2}$/.test(period)) return 'day';
  if (/^\d{4}-W\d{2}$/.test(period)) return 'week';
  if (/^\d{4}-\d{2}$/.test(period)) return 'month';
  throw new TimeError(`expected a period as YYYY-MM-DD, YYYY-Www or YYYY-MM, got '${period}'`);
}

/** First and last local date of a period. */
export function periodBounds(period: PeriodId): { first: LocalDate; last: LocalDate } {
  const g = granularityOf(period);
  if (g === 'day') return { first: parseLocalDate(period), last: period };
  if (g === 'month') {
    const first = parseLocalDate(`${period}-01`);
    const [y, m] = [Number(period.slice(0, 4)), Number(period.slice(5, 7))];
    return { first, last: fromUtcDays(Date.UTC(y, m, 0) / DAY_MS) };
  }
  const year = period.slice(0, 4);
  const week = Number(period.slice(6));
  const jan4 = `${year}-01-04`; // always in ISO week 1
  const first = addDays(jan4, 1 - isoWeekday(jan4) + (week - 1) * 7);
  if (isoWeek(first) !== period) throw new TimeError(`${period} does not exist: ${year} has fewer ISO weeks`);
  return { first, last: addDays(first, 6) };
}

export function periodDays(period: PeriodId): LocalDate[] {
  const { first, last } = periodBounds(period);
  return dateRange(first, last);
}

/** The period `n` steps before (negative) or after (positive) the given one. */
export function shiftPeriod(period: PeriodId, n: number): PeriodId {
  const g = granularityOf(period);
  const { first } = periodBounds(period);
  if (g === 'day') return addDays(first, n);
  if (g === 'week') return isoWeek(addDays(first, 7 * n));
  const [y, m] = [Number(period.slice(0, 4)), Number(period.slice(5, 7))];
  return fromUtcDays(Date.UTC(y, m - 1 + n, 1) / DAY_MS).slice(0, 7);
}

/** Periods of a granularity that overlap the dates from..to, in order. */
export function periodsBetween(from: LocalDate, to: LocalDate, granularity: Granularity): PeriodId[] {
  const out: PeriodId[] = [];
  for (const d of dateRange(from, to)) {
    const p = periodOf(d, granularity);
    if (out[out.length - 1] !== p) out.push(p);
  }
  return out;
}

/** A period is complete once its last local day has ended at `now`. */
export function isPeriodComplete(period: PeriodId, now: number, timeZone: string): boolean {
  return now >= dayRange(periodBounds(period).last, timeZone).end;
}

/** The local day before `now`'s local day: the day a nightly job rolls up. */
export function yesterday(now: number, timeZone: string): LocalDate {
  return addDays(localDate(now, timeZone), -1);
}

const OFFSET_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses an ISO 8601 timestamp that carries its offset ('Z' or '+08:00'); returns epoch ms, or a reason it is not one.
 * A timestamp without an offset is ambiguous (whose midnight?), so it is refused rather than guessed.
 */
export function parseOffsetTimestamp(
  value: string,
): { ok: true; ms: number } | { ok: false; noOffset: boolean; reason: string; impossible?: true } {
  const m = OFFSET_TIMESTAMP.exec(value);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) {
      return { ok: false, noOffset: true, reason: 'timestamp has no UTC offset (add Z or +hh:mm)' };
    }
    return { ok: false, noOffset: false, reason: 'timestamp is not an ISO 8601 date-time with offset' };
  }
  const [, y, mo, d, h, mi, s] = m;
  // Well-formed but not on the calendar or the clock: said as such ('2026-11-31 is not a date (November has 30 days)').
  const date = localDateProblem(`${y}-${mo}-${d}`);
  if (date !== undefined) return { ok: false, noOffset: false, reason: date, impossible: true };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) {
    const time = `${h}:${mi}${s === undefined ? '' : `:${s}`}`;
    return { ok: false, noOffset: false, reason: `${time} is not a time of day (00:00 to 23:59)`, impossible: true };
  }
  const ms = Date.parse(m[8]!.length === 5 && m[8] !== 'Z' ? value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2') : value);
  if (Number.isNaN(ms)) return { ok: false, noOffset: false, reason: 'timestamp is not a real date or time' };
  return { ok: true, ms };
}

/** Short human label: '22 Nov' for a day, 'week 47' for a week, 'Nov 2026' for a month. */
export function periodLabel(period: PeriodId): string {
  const g = granularityOf(period);
  if (g === 'day') return `${Number(period.slice(8, 10))} ${MONTH_ABBREVIATIONS[Number(period.slice(5, 7)) - 1]}`;
  if (g === 'week') return `week ${Number(period.slice(6))}, ${period.slice(0, 4)}`;
  return `${MONTH_ABBREVIATIONS[Number(period.slice(5, 7)) - 1]} ${period.slice(0, 4)}`;
}

const WEEKDAY_ABBREVIATIONS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** A day with its weekday, for a line a person reads: 'Sun 8 Nov 2026'. */
export function dayLabel(date: LocalDate): string {
  return `${WEEKDAY_ABBREVIATIONS[isoWeekday(date) - 1]} ${periodLabel(date)} ${date.slice(0, 4)}`;
}

/**
 * The first of `days` on which the wall-clock `time` (HH:MM) does not exist in `timeZone` (the hour the clocks skip
 * when they go forward), or undefined. EventBridge Scheduler skips a run due at such a time.
 */
export function skippedLocalTime(time: string, timeZone: string, days: readonly LocalDate[]): LocalDate | undefined {
  const [hh = 0, mm = 0] = time.split(':').map(Number);
  return days.find((day) => {
    const p = localParts(zonedInstant(day, time, timeZone), timeZone);
    return p.date !== day || p.hour !== hh || p.minute !== mm;
  });
}

// Expected event streams: an event type that stops arriving is a missing-data problem, not silence. Judged for a
// whole local day (no events, or a gap that is a stop) or live (the silence since the last one). A silence of
// `maxSilenceHours` is a stop; once the stream's hour-of-day rhythm is learnt, so is a shorter one that rhythm makes
// improbable. Weekdays, Saturdays and Sundays each have their own rhythm. Before a day's rhythm is learnt the limit
// alone decides; on the config's holidays (which do not follow it) Sunday's rhythm may only make a long silence
// ordinary.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { forEachEventOfDay } from '#shared/events/events-store.ts';
import type { Severity } from '#shared/incidents/incidents.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  addDays,
  clockTime,
  dayRange,
  type LocalDate,
  localDate,
  localHour,
  localParts,
  periodLabel,
} from '#shared/time/calendar.ts';
import {
  daysToFold,
  emptyProfile,
  expectedEvents,
  foldDay,
  hasRhythm,
  readProfile,
  rhythmFor,
  type StreamProfile,
  withFirstSeen,
  writeProfile,
} from './stream-profile.ts';

export type ExpectedEvent = NightshiftConfig['alerts']['expectedEvents'][number];

const HOUR_MS = 3_600_000;

export interface SilenceEvaluation {
  event: string;
  /** The local day ('2026-11-22') or, live, the local hour ('2026-11-22T14') judged. */
  period: string;
  anomalous: boolean;
  /** Events seen in the window. */
  count: number;
  /** The silence that decided, in hours, when anomalous; else the longest stretch without the event in the window. */
  silenceHours: number;
  limitHours: number;
  /** Critical when there was none at all in the window. */
  severity: Severity;
  /** Events the stream's rhythm expected in the silence judged (0 while the limit alone decides). */
  expected: number;
  /** How far past its limit the silence is (1 = exactly at it). */
  magnitude: number;
  summary: string;
  /**
   * A day's judgement: the day ended in a silence it judged a stop. The next day answers only for its own hours of
   * that silence (judgeDay's `reported`).
   */
  runsOn?: boolean;
}

/** Timestamps (sorted) of the given event names on a local day, each event once. */
export async function readEventTimes(
  store: StateStore,
  config: NightshiftConfig,
  day: LocalDate,
  names: Iterable<string>,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const name of names) out.set(name, []);
  await forEachEventOfDay(store, day, config.ingest.shardsPerDay, (e) => out.get(e.event)?.push(e.ts));
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** Days a day's judgement looks back for a stream's last event before it (a longer silence starts no earlier). */
const LOOK_BACK_DAYS = 7;

/**
 * Each stream's last event before local `day` began, for the silence that crosses into it: reads the previous days,
 * newest first, while a stream has none in them and had arrived before them (by its `firstSeen`; one not seen yet is
 * looked for on the previous day only). A stream silent for all `LOOK_BACK_DAYS` gets the start of the oldest day
 * read (its silence is at least that long); one with no earlier event gets none.
 */
export async function lastEventsBefore(
  store: StateStore,
  config: NightshiftConfig,
  day: LocalDate,
  firstSeen: ReadonlyMap<string, number | undefined>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let looking = [...firstSeen.keys()];
  for (let back = 1; back <= LOOK_BACK_DAYS && looking.length > 0; back++) {
    const d = addDays(day, -back);
    const { start } = dayRange(d, config.timeZone);
    const times = await readEventTimes(store, config, d, looking);
    looking = looking.filter((n) => {
      const last = times.get(n)?.at(-1);
      if (last !== undefined) out.set(n, last);
      const seen = firstSeen.get(n);
      if (last === undefined && back === LOOK_BACK_DAYS && seen !== undefined && seen < start) out.set(n, start);
      return last === undefined && seen !== undefined && seen < start;
    });
  }
  return out;
}

const hours = (ms: number) => Math.round((ms / HOUR_MS) * 10) / 10;

/**
 * How unlikely a silence must be to count as a stop: the chance of seeing no event in it, if the stream kept its
 * usual rate (Poisson), times the number of silences looked at (a day's longest gap is the worst of many).
 */
export const STOP_PROBABILITY = 0.001;
/** A silence of `maxSilenceHours` or more is a stop at this weaker level of evidence. */
export const LONG_SILENCE_PROBABILITY = 0.05;
/** No silence shorter than this is a stop, however busy the stream. */
const MIN_STOP_MS = HOUR_MS;
/** Live checks of a day: each looks at the silence then (one a hour). */
const LIVE_CHECKS_PER_DAY = 24;

/**
 * The events a stream's rhythm expects between two instants. `waiveOnly`: the rhythm may make a long silence ordinary
 * but never calls a shorter one a stop (a holiday, judged by Sunday's rhythm).
 */
type Expectation = ((from: number, to: number) => number) & { waiveOnly?: boolean };

/**
 * The stream's hour-of-day rhythm, when it may judge a silence ending on `day`: once the rhythm of days like it
 * (weekdays, Saturdays, Sundays) is learnt (`RHYTHM_MIN_DAYS` weekdays; two Saturdays or Sundays, or for a profile
 * stored before they had their own, `WEEKEND_MIN_DAYS` weekend days).
 * Otherwise none: a first week's average rate would call every quiet night a stop, a weekday's rate every quiet weekend
 * hour, so `maxSilenceHours` alone decides. A holiday keeps its own hours: no rhythm calls a shorter silence a stop
 * there, but once Sunday's rhythm is learnt it may make a long one ordinary, judging the holiday as a Sunday (a
 * business closed on Sundays and holidays). A silence that began on a holiday, or on a day whose rhythm is not
 * learnt yet, expects nothing of its hours there otherwise.
 */
function rhythmOf(
  profile: StreamProfile,
  timeZone: string,
  holidays: readonly LocalDate[],
  day: LocalDate,
): Expectation | undefined {
  const holiday = (d: LocalDate) => holidays.includes(d);
  if (holiday(day)) {
    if (!rhythmFor(profile, day, true)) return undefined;
    return Object.assign((from: number, to: number) => expectedEvents(profile, from, to, timeZone, holiday), {
      waiveOnly: true,
    });
  }
  if (!hasRhythm(profile, day)) return undefined;
  return (from, to) => {
    let total = 0;
    for (let t = from; t < to; ) {
      const d = localDate(t, timeZone);
      const end = Math.min(to, dayRange(d, timeZone).end);
      if (!holiday(d)) total += expectedEvents(profile, t, end, timeZone);
      t = end;
    }
    return total;
  };
}

/**
 * Pseudo-events of the day-volume adjustment: a day's own rate against its rhythm is taken as (events + K) /
 * (expected + K), so a few hours say little and a whole day much.
 */
const DAY_RATE_PRIOR = 5;

/**
 * The rhythm scaled by how busy the day is outside the silence judged (its `seen` events where the rhythm expected
 * `expectedOutside`). Day volumes swing (a Saturday at two thirds of the usual one): at the usual rate, an hour without
 * events on a slow Saturday read as a stop. A stop is judged against the rest of its own day.
 */
function atDayRate(rhythm: Expectation, seen: number, expectedOutside: number): Expectation {
  // Only ever down: events in hours the rhythm expects nothing of (a holiday's, a weekend's not learnt yet) would
  // otherwise read as a busy day and call an ordinary quiet night a stop.
  const scale = Math.min(1, (seen + DAY_RATE_PRIOR) / (Math.max(0, expectedOutside) + DAY_RATE_PRIOR));
  return Object.assign((from: number, to: number) => scale * rhythm(from, to), { waiveOnly: rhythm.waiveOnly });
}

interface GapJudgement {
  anomalous: boolean;
  /** A stop by the rhythm alone: shorter than `maxSilenceHours`. */
  early: boolean;
  magnitude: number;
  /** Events the rhythm expected in the gap (0 without one). */
  expected: number;
}

/**
 * One silence from `from` to `to`, one of `looks` judged in the window. A silence of `maxSilenceHours` is a stop. With
 * a rhythm, so is a shorter one in which seeing no event is improbable at the stream's own rate (Poisson): a busy
 * afternoon expects many, so a stop is caught within the hour; and a long one then needs some evidence too, so a
 * quiet night the rhythm expects to be empty is not a stop.
 */
function judgeGap(
  rule: ExpectedEvent,
  rhythm: Expectation | undefined,
  from: number,
  to: number,
  looks: number,
): GapJudgement {
  const gap = Math.max(0, to - from);
  const long = gap >= rule.maxSilenceHours * HOUR_MS;
  // Without a rhythm: 1 at the limit, more the longer past it.
  if (!rhythm) return { anomalous: long, early: false, magnitude: gap / (rule.maxSilenceHours * HOUR_MS), expected: 0 };
  const expected = rhythm(from, to);
  const p = Math.exp(-expected) * looks;
  const early = !rhythm.waiveOnly && !long && gap >= MIN_STOP_MS && p < STOP_PROBABILITY;
  const anomalous = early || (long && p < LONG_SILENCE_PROBABILITY);
  // 1 at the evidence a stop needs, more the more certain it is.
  return { anomalous, early, magnitude: expected / Math.log(looks / STOP_PROBABILITY), expected };
}

const about = (expected: number) => (expected >= 1 ? `, about ${Math.round(expected)} expected at its usual rate` : '');

/**
 * '13:00–15:06' in the zone; the end of `day` (`end`) reads 24:00, and a start on an earlier day than the end's carries
 * its date: '19:00 (7 Oct)–06:30'.
 */
function span(from: number, to: number, timeZone: string, end?: number): string {
  const a = localParts(from, timeZone);
  const b = localParts(to, timeZone);
  const endDay = to === end ? localDate(to - 1, timeZone) : b.date;
  const on = a.date === endDay ? '' : ` (${periodLabel(a.date)})`;
  return `${clockTime(a)}${on}–${to === end ? '24:00' : clockTime(b)}`;
}

/** Why a silence shorter than the limit is a stop: its hours and what the rhythm expected in them. */
function earlyStop(name: string, when: string, expected: number, limit: number): string {
  return `No ${name} events ${when}, where about ${Math.round(expected)} usually arrive; limit for any silence ${limit} h`;
}

function notJudged(expected: ExpectedEvent, period: string): SilenceEvaluation {
  return {
    event: expected.event,
    period,
    anomalous: false,
    count: 0,
    silenceHours: 0,
    limitHours: expected.maxSilenceHours,
    severity: 'warning',
    magnitude: 0,
    expected: 0,
    summary: `No "${expected.event}" events have arrived yet: the stream is judged from its first event on`,
  };
}

/**
 * Judges a whole local day: every silence that ends in it, from the stream's last event before the day (`lastBefore`;
 * else midnight, or the stream's first event when it began that day) to the first event, between events, and from
 * the last to midnight. A silence across midnight is so judged whole on the day it ends (its part up to midnight, on
 * the day before, too), unless the day before already judged it a stop (`reported`: that day ended in it and said
 * so): then this day answers only for its own hours of it, so a Sunday outage that ends at 05:00 on Monday is
 * Sunday's, and Monday is unusual only when the silence goes on into hours that expect events (or past the limit on
 * its own). Nothing before the stream's first event is judged. On a day in `holidays` the rhythm is off:
 * `maxSilenceHours` alone decides.
 */
export function judgeDay(
  expected: ExpectedEvent,
  day: LocalDate,
  times: readonly number[],
  timeZone: string,
  profile: StreamProfile = emptyProfile(expected.event),
  holidays: readonly LocalDate[] = [],
  lastBefore?: number,
  reported = false,
): SilenceEvaluation {
  const { start, end } = dayRange(day, timeZone);
  const earlier = lastBefore !== undefined && lastBefore < start ? lastBefore : undefined;
  const known = withFirstSeen(profile, earlier === undefined ? times : [earlier, ...times]);
  if (known.firstSeen === undefined || known.firstSeen >= end) return notJudged(expected, day);
  const from = earlier ?? Math.max(start, known.firstSeen);
  const inDay = times.filter((t) => t >= from && t >= start && t < end);
  // The part of a reported silence before midnight was the day before's: judged from midnight here.
  const carried = reported && earlier !== undefined ? earlier : undefined;
  const judgedFrom = carried === undefined ? from : start;
  const rhythm = rhythmOf(known, timeZone, holidays, day);
  type Gap = GapJudgement & { from: number; to: number };
  let worst: Gap = { anomalous: false, early: false, magnitude: -1, expected: 0, from: judgedFrom, to: judgedFrom };
  let last: GapJudgement | undefined;
  let longest = 0;
  let previous = judgedFrom;
  const dayExpected = rhythm ? rhythm(Math.max(start, known.firstSeen), end) : 0;
  for (const t of [...inDay, end]) {
    const gapRhythm = rhythm
      ? atDayRate(rhythm, inDay.length, dayExpected - rhythm(Math.max(previous, start, known.firstSeen), t))
      : undefined;
    const g = judgeGap(expected, gapRhythm, previous, t, inDay.length + 1);
    if (g.anomalous > worst.anomalous || (g.anomalous === worst.anomalous && g.magnitude > worst.magnitude)) {
      worst = { ...g, from: previous, to: t };
    }
    longest = Math.max(longest, t - previous);
    previous = t;
    last = g;
  }
  const limit = expected.maxSilenceHours;
  // A day without a single event is a stop, unless the day's learnt rhythm makes even that ordinary (a business closed
  // at weekends): on a holiday, too, where the rhythm only waives, a day that Sunday's rhythm expects many events of.
  const anomalous =
    worst.anomalous || (inDay.length === 0 && (!rhythm || Math.exp(-worst.expected) < STOP_PROBABILITY));
  const silence = hours(worst.to - worst.from);
  const name = `"${expected.event}"`;
  // Read by people (alert mails, incident summaries, reports): '14 Oct' as every other alert writes a day.
  const on = periodLabel(day);
  // A reported silence that goes on: its hours here, and since when it has lasted.
  const at = (t: number) => {
    const p = localParts(t, timeZone);
    return `${clockTime(p)} (${periodLabel(p.date)})`;
  };
  const still = carried !== undefined && worst.from === start ? `, silent since ${at(carried)}` : '';
  const when = `${span(worst.from, worst.to, timeZone, end)} on ${on} (${silence} h)${still}`;
  let summary: string;
  if (inDay.length === 0 && !anomalous) {
    summary = `No ${name} events on ${on}, within chance on such a day (about ${worst.expected.toFixed(1)} expected at its usual rate)`;
  } else if (inDay.length === 0) summary = `No ${name} events on ${on}${about(worst.expected)}`;
  else if (anomalous && worst.early) summary = earlyStop(name, when, worst.expected, limit);
  else if (anomalous) summary = `No ${name} events ${when}${about(worst.expected)}; limit ${limit} h`;
  else {
    const ended =
      carried === undefined
        ? ''
        : `; the silence since ${at(carried)} ended at ${clockTime(localParts(inDay[0]!, timeZone))}`;
    summary = `${inDay.length} ${name} events on ${on}, longest silence ${hours(longest)} h (limit ${limit} h)${ended}`;
  }
  return {
    event: expected.event,
    period: day,
    anomalous,
    count: inDay.length,
    silenceHours: anomalous ? silence : hours(longest),
    limitHours: limit,
    expected: worst.expected,
    severity: inDay.length === 0 ? 'critical' : 'warning',
    magnitude: Math.max(worst.magnitude, 0),
    summary,
    ...(inDay.length === 0 || last?.anomalous ? { runsOn: true } : {}),
  };
}

/**
 * Judges the silence up to `now`: since the last event, where `since` is the start of the window read (no event in
 * it at all, from a stream that has arrived before, is critical). A stream that never arrived is not judged. When
 * `now` falls on a day in `holidays` the rhythm is off: `maxSilenceHours` alone decides.
 */
export function judgeLive(
  expected: ExpectedEvent,
  now: number,
  timeZone: string,
  lastSeen: number | undefined,
  since: number,
  count: number,
  profile: StreamProfile = emptyProfile(expected.event),
  holidays: readonly LocalDate[] = [],
): SilenceEvaluation {
  if (lastSeen === undefined && profile.firstSeen === undefined) return notJudged(expected, localHour(now, timeZone));
  const windowStart = Math.max(since, profile.firstSeen ?? since);
  const from = lastSeen ?? windowStart;
  const dayRhythm = rhythmOf(profile, timeZone, holidays, localDate(now, timeZone));
  const rhythm = dayRhythm && atDayRate(dayRhythm, count, dayRhythm(windowStart, Math.max(windowStart, from)));
  const g = judgeGap(expected, rhythm, from, now, LIVE_CHECKS_PER_DAY);
  const silentFor = now - from;
  const limit = expected.maxSilenceHours;
  // A stream that has arrived before and sent nothing since `since`: its rate so far is unknown, the limit decides.
  const anomalous = lastSeen === undefined ? silentFor >= limit * HOUR_MS || g.anomalous : g.anomalous;
  const name = `"${expected.event}"`;
  let summary: string;
  if (lastSeen === undefined) summary = `No ${name} events for at least ${hours(silentFor)} h (limit ${limit} h)`;
  else if (anomalous && g.early) {
    summary = earlyStop(name, `${span(from, now, timeZone)} (${hours(silentFor)} h)`, g.expected, limit);
  } else if (anomalous) summary = `No ${name} events for ${hours(silentFor)} h${about(g.expected)} (limit ${limit} h)`;
  else summary = `${name} arriving: last one ${hours(silentFor)} h ago (limit ${limit} h)`;
  return {
    event: expected.event,
    period: localHour(now, timeZone),
    anomalous,
    count,
    silenceHours: hours(silentFor),
    limitHours: limit,
    expected: g.expected,
    severity: lastSeen === undefined ? 'critical' : 'warning',
    magnitude: lastSeen === undefined ? Math.max(g.magnitude, silentFor / (limit * HOUR_MS)) : g.magnitude,
    summary,
  };
}

/** Days of history a live check catches up on when detection did not run for a while. */
const MAX_CATCH_UP_DAYS = 7;

/**
 * Live silence of expected events at `now`: reads today so far, and yesterday when an event is absent today or the
 * stream's rhythm has not learned yesterday yet (then it does, once per day).
 */
export async function liveSilence(
  store: StateStore,
  config: NightshiftConfig,
  now: number,
  expected: readonly ExpectedEvent[] = config.alerts.expectedEvents,
): Promise<SilenceEvaluation[]> {
  if (expected.length === 0) return [];
  const tz = config.timeZone;
  const today = localParts(now, tz).date;
  const yesterday = addDays(today, -1);
  const names = expected.map((e) => e.event);
  const profiles = new Map(await Promise.all(names.map(async (n) => [n, await readProfile(store, n)] as const)));
  const todays = await readEventTimes(store, config, today, names);
  const seen = (list: number[] | undefined) => (list ?? []).filter((t) => t <= now);
  // A stream seen for the first time learns from yesterday on; one that has a rhythm catches up on missed days.
  const toFold = new Map(
    names.map((n) => {
      const p = profiles.get(n)!;
      return [n, p.foldedThrough === undefined ? [yesterday] : daysToFold(p, yesterday, MAX_CATCH_UP_DAYS)] as const;
    }),
  );
  const absent = names.filter((n) => seen(todays.get(n)).length === 0);
  const byDay = new Map<LocalDate, string[]>();
  for (const n of names) {
    const days = new Set(toFold.get(n));
    if (absent.includes(n)) days.add(yesterday);
    for (const d of days) byDay.set(d, [...(byDay.get(d) ?? []), n]);
  }
  const earlier = new Map<LocalDate, Map<string, number[]>>();
  for (const [day, streams] of byDay) earlier.set(day, await readEventTimes(store, config, day, streams));

  for (const n of names) {
    let p = profiles.get(n)!;
    for (const d of toFold.get(n)!) p = foldDay(p, d, earlier.get(d)?.get(n) ?? [], tz, config.holidays);
    p = withFirstSeen(p, seen(todays.get(n)));
    if (p !== profiles.get(n)) {
      profiles.set(n, p);
      await writeProfile(store, p);
    }
  }

  return expected.map((e) => {
    // Lists are sorted, and yesterday's events all come before today's.
    const recent = seen(todays.get(e.event));
    const before = earlier.get(yesterday)?.get(e.event);
    const since = dayRange(before ? yesterday : today, tz).start;
    const last = recent.at(-1) ?? before?.at(-1);
    const count = recent.length + (before?.length ?? 0);
    return judgeLive(e, now, tz, last, since, count, profiles.get(e.event), config.holidays);
  });
}

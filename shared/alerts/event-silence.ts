// Expected event streams: an event type that stops arriving is a missing-data problem, not silence. Judged for a
// whole local day (no events, or a gap longer than `maxSilenceHours`) or live (hours since the last one).
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { eventPartition } from '#shared/events/keys.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dayRange, type LocalDate, localParts } from '#shared/time/calendar.ts';
import type { Severity } from './rules.ts';

export type ExpectedEvent = NightshiftConfig['alerts']['expectedEvents'][number];

const HOUR_MS = 3_600_000;

export interface SilenceEvaluation {
  event: string;
  /** The local day ('2026-11-22') or, live, the local hour ('2026-11-22T14') judged. */
  period: string;
  anomalous: boolean;
  /** Events seen in the window. */
  count: number;
  /** Longest stretch without the event in the window, in hours. */
  silenceHours: number;
  limitHours: number;
  /** Critical when there was none at all in the window. */
  severity: Severity;
  /** Silence relative to the limit (1 = exactly the limit). */
  magnitude: number;
  summary: string;
}

/**
 * Timestamps (sorted) of the given event names on a local day. Reads only the name and time attributes, shard by
 * shard concurrently: detection needs no properties.
 */
export async function readEventTimes(
  store: StateStore,
  config: NightshiftConfig,
  day: LocalDate,
  names: Iterable<string>,
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const name of names) out.set(name, []);
  await Promise.all(
    Array.from({ length: config.ingest.shardsPerDay }, async (_, shard) => {
      for await (const item of store.query('events', eventPartition(day, shard), { attributes: ['e', 't'] })) {
        const list = out.get(item.e as string);
        if (list && typeof item.t === 'number') list.push(item.t);
      }
    }),
  );
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

const hours = (ms: number) => Math.round((ms / HOUR_MS) * 10) / 10;

/** Judges a whole local day: the longest gap counts from midnight to the first event and from the last to midnight. */
export function judgeDay(
  expected: ExpectedEvent,
  day: LocalDate,
  times: readonly number[],
  timeZone: string,
): SilenceEvaluation {
  const { start, end } = dayRange(day, timeZone);
  let longest = 0;
  let previous = start;
  for (const t of times) {
    longest = Math.max(longest, t - previous);
    previous = Math.max(previous, t);
  }
  longest = Math.max(longest, end - previous);
  const limit = expected.maxSilenceHours;
  const silence = hours(longest);
  const anomalous = times.length === 0 || longest >= limit * HOUR_MS;
  const name = `"${expected.event}"`;
  let summary: string;
  if (times.length === 0) summary = `No ${name} events on ${day}`;
  else if (anomalous) summary = `No ${name} events for ${silence} h on ${day} (limit ${limit} h)`;
  else summary = `${times.length} ${name} events on ${day}, longest silence ${silence} h (limit ${limit} h)`;
  return {
    event: expected.event,
    period: day,
    anomalous,
    count: times.length,
    silenceHours: silence,
    limitHours: limit,
    severity: times.length === 0 ? 'critical' : 'warning',
    magnitude: longest / (limit * HOUR_MS),
    summary,
  };
}

/** The local hour an instant falls in, '2026-11-22T14': the period of a live check. */
export function localHour(now: number, timeZone: string): string {
  const p = localParts(now, timeZone);
  return `${p.date}T${String(p.hour).padStart(2, '0')}`;
}

/**
 * Judges the silence up to `now`: hours since the last event, where `since` is the start of the window read (no
 * event in it at all is critical).
 */
export function judgeLive(
  expected: ExpectedEvent,
  now: number,
  timeZone: string,
  lastSeen: number | undefined,
  since: number,
  count: number,
): SilenceEvaluation {
  const silentFor = now - (lastSeen ?? since);
  const limit = expected.maxSilenceHours;
  const anomalous = silentFor >= limit * HOUR_MS;
  const name = `"${expected.event}"`;
  let summary: string;
  if (lastSeen === undefined) summary = `No ${name} events for at least ${hours(silentFor)} h (limit ${limit} h)`;
  else if (anomalous) summary = `No ${name} events for ${hours(silentFor)} h (limit ${limit} h)`;
  else summary = `${name} arriving: last one ${hours(silentFor)} h ago (limit ${limit} h)`;
  return {
    event: expected.event,
    period: localHour(now, timeZone),
    anomalous,
    count,
    silenceHours: hours(silentFor),
    limitHours: limit,
    severity: lastSeen === undefined ? 'critical' : 'warning',
    magnitude: silentFor / (limit * HOUR_MS),
    summary,
  };
}

/** Live silence of expected events at `now`: reads today so far, and yesterday when an event is absent today. */
export async function liveSilence(
  store: StateStore,
  config: NightshiftConfig,
  now: number,
  expected: readonly ExpectedEvent[] = config.alerts.expectedEvents,
): Promise<SilenceEvaluation[]> {
  if (expected.length === 0) return [];
  const tz = config.timeZone;
  const today = localParts(now, tz).date;
  const names = expected.map((e) => e.event);
  const todays = await readEventTimes(store, config, today, names);
  const seen = (list: number[] | undefined) => (list ?? []).filter((t) => t <= now);
  const absent = names.filter((n) => seen(todays.get(n)).length === 0);
  const yesterdays = absent.length ? await readEventTimes(store, config, addDays(today, -1), absent) : new Map();
  const since = dayRange(addDays(today, -1), tz).start;
  return expected.map((e) => {
    // Lists are sorted, and yesterday's events all come before today's.
    const recent = seen(todays.get(e.event));
    const before: number[] = yesterdays.get(e.event) ?? [];
    return judgeLive(e, now, tz, recent.at(-1) ?? before.at(-1), since, recent.length + before.length);
  });
}

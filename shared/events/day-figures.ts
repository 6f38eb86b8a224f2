// What each local day holds, counted from what is stored rather than added up per delivery, so retries and
// redeliveries cannot change it: the day's unique events (by their KPI day) and the distinct lines quarantined on it
// (by the day they were first sent). The nightly rollup writes them for every day it reads; reports read them, and
// alert rules learn from them when the data begins.
import type { StateStore } from '#shared/store/store.ts';
import { type LocalDate, type PeriodId, periodDays } from '#shared/time/calendar.ts';

export interface DayFigures {
  day: LocalDate;
  /** Unique events stored for the day, as the rollup read them. */
  events: number;
  /** Distinct lines quarantined on the day, by reason. */
  quarantined: Record<string, number>;
  /** ISO 8601 instant of the count. */
  countedAt: string;
  /** Epoch ms of the day's earliest event (none without events, or for a day counted before it was recorded). */
  firstEventAt?: number;
  /**
   * The day's events by name, the most frequent `EVENT_NAMES_KEPT` (none for a day counted before they were
   * recorded): the names a misspelt one in the config most likely meant.
   */
  eventNames?: Record<string, number>;
  /**
   * The properties KPI formulas read, as the day's events of each name held them (none for a day counted before they
   * were recorded): with `eventNames`, what tells a misspelt name from a rare one (shared/kpi/unread-names.ts).
   */
  properties?: PropertySeen[];
}

/** A property KPI formulas read on one event name (null: any), over one day's events. */
export interface PropertySeen {
  event: string | null;
  /** Its path, dotted: 'revenue', 'geo.region'. */
  property: string;
  /** Events it was looked up on. */
  events: number;
  /** Some of them had it. */
  present: boolean;
  /** While it was absent: some property names those events had. */
  names?: string[];
}

/** Event names a day's figures keep: a config's names are a handful; the cap keeps a stray-name flood small. */
export const EVENT_NAMES_KEPT = 100;

/** Longer names are not kept (nobody writes one in a config), so a day's figures stay far under an item's 400 KB. */
const LONGEST_NAME_KEPT = 200;

/**
 * The `EVENT_NAMES_KEPT` most frequent names of `counts` (ties by name), for `DayFigures.eventNames`, and every name of
 * `read` the day had (the names the config reads): a rare event the config reads is kept on a day of many names, so
 * its absence from a day's names means it did not occur.
 */
export function keptEventNames(
  counts: ReadonlyMap<string, number>,
  read: Iterable<string> = [],
): Record<string, number> {
  const top = [...counts]
    .filter(([name]) => name.length <= LONGEST_NAME_KEPT)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, EVENT_NAMES_KEPT);
  const kept = Object.fromEntries(top);
  for (const name of read) {
    const n = counts.get(name);
    if (n !== undefined) kept[name] = n;
  }
  return kept;
}

const PARTITION = 'FIGURES#day';

/**
 * The one item of the figures' partition that is no day: the names the counted days have had (shared/kpi/
 * unread-names.ts), kept here so that the rollup's access to the figures covers it. It sorts after every day, so a
 * query of days never meets it.
 */
const NAMES_SK = '~names';

/** The stored names history (undefined before any rollup wrote it). */
export async function readNamesSeen(store: StateStore): Promise<unknown> {
  for await (const item of store.query('state', PARTITION, { from: NAMES_SK, to: NAMES_SK })) return item.history;
  return undefined;
}

export async function saveNamesSeen(store: StateStore, history: Record<string, unknown>): Promise<void> {
  await store.putMany('state', [{ pk: PARTITION, sk: NAMES_SK, history }]);
}

export async function saveDayFigures(store: StateStore, figures: readonly DayFigures[]): Promise<void> {
  if (figures.length === 0) return;
  await store.putMany(
    'state',
    figures.map((f) => ({ pk: PARTITION, sk: f.day, ...f })),
  );
}

/** Figures of the days from..to that have been counted, oldest first. */
export async function readDayFigures(store: StateStore, from: LocalDate, to: LocalDate): Promise<DayFigures[]> {
  const out: DayFigures[] = [];
  for await (const item of store.query('state', PARTITION, { from, to })) {
    out.push({
      day: item.sk,
      events: Number(item.events ?? 0),
      quarantined: (item.quarantined as Record<string, number> | undefined) ?? {},
      countedAt: String(item.countedAt ?? ''),
      ...(typeof item.firstEventAt === 'number' ? { firstEventAt: item.firstEventAt } : {}),
      ...(typeof item.eventNames === 'object' && item.eventNames !== null
        ? { eventNames: item.eventNames as Record<string, number> }
        : {}),
      ...(Array.isArray(item.properties) ? { properties: item.properties as PropertySeen[] } : {}),
    });
  }
  return out;
}

/**
 * The periods of `periods` without a single stored event: every day counted, none with an event. Their KPIs have no
 * data (a sum or a count of nothing is no measure of the period), whatever the formula computed.
 */
export async function periodsWithoutEvents(store: StateStore, periods: readonly PeriodId[]): Promise<Set<PeriodId>> {
  const days = periods.flatMap((p) => periodDays(p)).sort();
  if (days.length === 0) return new Set();
  const events = new Map<LocalDate, number>();
  for (const f of await readDayFigures(store, days[0]!, days.at(-1)!)) events.set(f.day, f.events);
  return new Set(periods.filter((p) => periodDays(p).every((d) => events.get(d) === 0)));
}

/** Where the stored data begins: the first day with events and the instant of its earliest event. */
export interface DataStart {
  day: LocalDate;
  at: number;
}

/**
 * The earliest event counted: on the first counted day that had events. Undefined before any such day, or when that
 * day was counted before the earliest event was recorded (when the data began is not known then).
 */
export async function readDataStart(store: StateStore): Promise<DataStart | undefined> {
  // Oldest first: only the empty days the rollup counted before the data began come before it. A few at a time: one
  // query without a limit reads a page of up to 1 MB of days (about 40 read units a year of them) to return the first.
  let after: string | undefined;
  for (let size = 8; ; size *= 4) {
    let read = 0;
    for await (const item of store.query('state', PARTITION, {
      attributes: ['sk', 'events', 'firstEventAt'],
      limit: size,
      ...(after === undefined ? {} : { from: after }),
    })) {
      read++;
      if (item.sk === after) continue;
      after = item.sk;
      if (Number(item.events ?? 0) === 0) continue;
      return typeof item.firstEventAt === 'number' ? { day: item.sk, at: item.firstEventAt } : undefined;
    }
    if (read < size) return undefined;
  }
}

/** Lines quarantined in all. */
export function quarantinedTotal(f: Pick<DayFigures, 'quarantined'>): number {
  let n = 0;
  for (const v of Object.values(f.quarantined)) n += v;
  return n;
}

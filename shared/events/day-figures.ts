// What each local day holds, counted from what is stored rather than added up per delivery, so retries and
// redeliveries cannot change it: the day's unique events (by their KPI day) and the distinct lines quarantined on it
// (by the day they were first sent). The nightly rollup writes them for every day it reads; reports read them.
import type { StateStore } from '#shared/store/store.ts';
import type { LocalDate } from '#shared/time/calendar.ts';

export interface DayFigures {
  day: LocalDate;
  /** Unique events stored for the day, as the rollup read them. */
  events: number;
  /** Distinct lines quarantined on the day, by reason. */
  quarantined: Record<string, number>;
  /** ISO 8601 instant of the count. */
  countedAt: string;
}

const PARTITION = 'FIGURES#day';

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
    });
  }
  return out;
}

/** Lines quarantined in all. */
export function quarantinedTotal(f: Pick<DayFigures, 'quarantined'>): number {
  let n = 0;
  for (const v of Object.values(f.quarantined)) n += v;
  return n;
}

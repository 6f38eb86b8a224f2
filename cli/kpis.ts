// `nightshift kpis`: stored values for a range of periods; periods never rolled up are computed (and stored) first.
import { readPartialPeriods } from '#shared/events/closed-days.ts';
import { periodsWithoutEvents } from '#shared/events/day-figures.ts';
import { formatKpiValue } from '#shared/kpi/format.ts';
import { readKpiValues, type StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import type { EventNote } from '#shared/kpi/property-reads.ts';
import { rollupPeriods } from '#shared/kpi/rollup.ts';
import { unreadReason } from '#shared/kpi/unread-names.ts';
import { type Granularity, type LocalDate, periodsBetween, yesterday } from '#shared/time/calendar.ts';
import type { CommandContext } from './context.ts';
import { partialLabel } from './print.ts';

export interface KpiRow {
  kpi: string;
  period: string;
  value: number | null;
  formatted: string;
  /** 'partial': the period the data begins in, after its first hour; shown with its target, not judged. */
  status: StoredKpiValue['status'] | 'partial';
  target?: { min?: number; max?: number };
  attainment: number | null;
  complete: boolean;
  pending: boolean;
  inputs: Record<string, number | null>;
  byScope?: Record<string, { value: number | null; status: string }>;
  /**
   * Why a value is no data when the formula reads a name the data never had: 'no "Refund Isued" events ...'; or why a
   * partial one is not judged: 'partial month (data from 20 Apr 00:22): targets are not judged'.
   */
  reason?: string;
  /** ISO 8601 instant of the earliest event stored, on a partial period's row. */
  dataFrom?: string;
}

export async function kpiRows(
  ctx: CommandContext,
  kpis: string[],
  granularity: Granularity,
  from: LocalDate,
  to: LocalDate,
): Promise<KpiRow[]> {
  const periods = periodsBetween(from, to, granularity);
  const first = periods[0]!;
  const last = periods.at(-1)!;
  const relevant = ctx.config.kpis.filter((k) => kpis.includes(k.id) && k.granularities.includes(granularity));
  const read = async () => Promise.all(relevant.map((k) => readKpiValues(ctx.store, k.id, granularity, first, last)));

  let stored = await read();
  const have = new Set(stored.flat().map((v) => `${v.kpi}|${v.period}`));
  const missing = periods.filter((p) => relevant.some((k) => !have.has(`${k.id}|${p}`)));
  if (missing.length > 0) {
    await rollupPeriods(missing, yesterday(ctx.now(), ctx.config.timeZone), ctx);
    stored = await read();
  }
  // Not a single event stored for a period: no data, where a sum of nothing read as 'revenue 0 missed'.
  const empty = await periodsWithoutEvents(ctx.store, periods);
  // The period the data begins in, after its first hour, counts only a part of it: a month's per-day target scaled to
  // its 30 days is no target for its last 11. Its values are shown, not judged, as its report shows them.
  const partial = await readPartialPeriods(ctx.store, ctx.config.timeZone);
  return stored.flat().map((v) => {
    const kpi = relevant.find((k) => k.id === v.kpi)!;
    const nothing = empty.has(v.period) && !v.pending && v.status !== 'closed';
    const row: KpiRow = {
      kpi: v.kpi,
      period: v.period,
      value: nothing ? null : v.value,
      formatted: v.pending ? 'pending' : nothing ? 'no data' : formatKpiValue(v.value, kpi),
      status: nothing ? 'no_value' : v.status,
      attainment: nothing ? null : v.attainment,
      complete: v.complete,
      pending: v.pending,
      inputs: v.inputs,
    };
    if (v.target) row.target = v.target;
    if (v.unread?.length && !nothing && !v.pending) {
      row.formatted = 'no data';
      row.reason = unreadReason(v.unread);
    }
    const judged = row.status === 'met' || row.status === 'missed' || row.status === 'outstanding';
    if (judged && partial.has(v.period) && partial.dataFrom !== undefined) {
      row.status = 'partial';
      row.attainment = null;
      row.dataFrom = new Date(partial.dataFrom).toISOString();
      row.reason = `${partialLabel(granularity, partial.dataFrom, ctx.config.timeZone)}: targets are not judged`;
    }
    if (v.byScope) {
      row.byScope = Object.fromEntries(
        Object.entries(v.byScope).map(([s, x]) => [
          s,
          { value: x.value, status: row.status === 'partial' && x.value !== null ? 'partial' : x.status },
        ]),
      );
    }
    return row;
  });
}

/** An input of a KPI's formula that was 0 (or had no value) on every day of a range. */
export interface SilentInput {
  kpi: string;
  input: string;
  days: number;
  /** No day had a value at all: an avg, min or max of no events (null), not a count or sum of 0. */
  noValue: boolean;
}

/**
 * Inputs of KPI formulas that were 0 on every one of at least `minDays` days while other inputs counted something:
 * most often a misspelt event or property name, which the formula reads as no events (a typo in a cancellations KPI
 * would otherwise read as "outstanding").
 */
export function silentInputs(values: readonly StoredKpiValue[], minDays = 7): SilentInput[] {
  const seen = new Map<string, { kpi: string; input: string; days: number; nonZero: boolean; noValue: boolean }>();
  for (const v of values) {
    if (v.granularity !== 'day') continue;
    for (const [input, x] of Object.entries(v.inputs)) {
      const key = `${v.kpi}\u0000${input}`;
      const entry = seen.get(key) ?? { kpi: v.kpi, input, days: 0, nonZero: false, noValue: true };
      entry.days++;
      if (x !== null && x !== 0) entry.nonZero = true;
      if (x !== null) entry.noValue = false;
      seen.set(key, entry);
    }
  }
  const entries = [...seen.values()];
  // Days with no events at all say nothing about any one name.
  if (!entries.some((e) => e.nonZero)) return [];
  return entries
    .filter((e) => !e.nonZero && e.days >= minDays)
    .map(({ kpi, input, days, noValue }) => ({ kpi, input, days, noValue }));
}

/** The line `nightshift rollup` prints for a silent input, on stderr. */
export function silentInputLine(s: SilentInput): string {
  const what = s.noValue
    ? `had no value on any of the ${s.days} days rolled up: no event it reads matched (an average, minimum or maximum of no values is none, not 0)`
    : `was 0 on all ${s.days} days rolled up`;
  return `note: KPI ${s.kpi}: ${s.input} ${what}; check the event and property names (matched exactly, case included)`;
}

/** Silent inputs an event note already explains (their term reads an event no event read had), left out. */
export function unexplained(silent: readonly SilentInput[], notes: readonly EventNote[]): SilentInput[] {
  const explained = new Set(notes.flatMap((n) => n.terms));
  return silent.filter((s) => !explained.has(s.input.replace(/^(cohort|returned) of /, '')));
}

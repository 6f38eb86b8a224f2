// KPI rollups: daily, ISO-week and month values computed from the period's own events (never from daily values),
// each held against its target and weighted into a scorecard. Every needed day is read once, whatever the number of
// KPIs and periods that use it, and its unique events and quarantined lines are recorded as it is read.
import type { Kpi, NightshiftConfig } from '#shared/config/schema.ts';
import { type DayFigures, saveDayFigures } from '#shared/events/day-figures.ts';
import { clearDirtyDay, countQuarantine, dirtyDays, forEachEventOfDay } from '#shared/events/events-store.ts';
import { type Formula, formulaLookaheadDays, parseFormula } from '#shared/formula/formula.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  addDays,
  type Granularity,
  granularityOf,
  type LocalDate,
  type PeriodId,
  periodDays,
  periodOf,
  yesterday,
} from '#shared/time/calendar.ts';
import { createEvaluator, type KpiEvaluator, type KpiEvent, UserIndex } from './evaluate.ts';
import { type ScopeValue, type StoredKpiValue, type StoredScorecard, saveKpiValues } from './kpi-store.ts';
import { assess, boundsFor, scorecard } from './scorecard.ts';

export interface RollupDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
  /** Called after each day is read (for a progress bar). */
  onDayRead?: (day: LocalDate, events: number) => void;
}

export interface RollupSummary extends Record<string, unknown> {
  asOf: LocalDate;
  periods: PeriodId[];
  values: number;
  daysRead: number;
  eventsRead: number;
}

interface Job {
  kpi: Kpi;
  period: PeriodId;
  granularity: Granularity;
  /** Cohort/period days counted so far; empty = pending. */
  days: LocalDate[];
  complete: boolean;
  evaluator?: KpiEvaluator;
}

/** Parses every KPI formula once; config validation has already reported any error with its position. */
export function compileKpis(config: NightshiftConfig): Map<string, Formula> {
  return new Map(config.kpis.map((k) => [k.id, parseFormula(k.formula)]));
}

/**
 * Computes and stores the given periods with the events up to and including `asOf` (the last local day that has
 * ended). A period still running is stored as "to date"; a value whose days have not ended yet is pending.
 */
export async function rollupPeriods(
  periods: readonly PeriodId[],
  asOf: LocalDate,
  deps: RollupDeps,
): Promise<RollupSummary> {
  const { store, config } = deps;
  const formulas = compileKpis(config);
  const jobs: Job[] = [];
  // One user index for all evaluators: each event's user is looked up once, not once per KPI and period.
  const users = new UserIndex();
  const feeds = new Map<LocalDate, KpiEvaluator[]>();

  for (const period of new Set(periods)) {
    const granularity = granularityOf(period);
    const all = periodDays(period);
    for (const kpi of config.kpis) {
      if (!kpi.granularities.includes(granularity)) continue;
      const formula = formulas.get(kpi.id)!;
      // A day counts once its data is in: for retention, once the return day has ended too.
      const lastCountable = addDays(asOf, -formulaLookaheadDays(formula));
      const days = all.filter((d) => d <= lastCountable);
      const job: Job = { kpi, period, granularity, days, complete: days.length === all.length };
      if (days.length > 0) {
        const scope = kpi.scopeBy ? { scopeBy: kpi.scopeBy } : {};
        job.evaluator = createEvaluator(formula, { periodDays: days, users, ...scope });
        for (const day of job.evaluator.days) {
          const list = feeds.get(day) ?? [];
          list.push(job.evaluator);
          feeds.set(day, list);
        }
      }
      jobs.push(job);
    }
  }

  let eventsRead = 0;
  const figures: DayFigures[] = [];
  for (const day of [...feeds.keys()].sort()) {
    const evaluators = feeds.get(day)!;
    // Figures counted from the day as read: the same however often its events and lines were delivered.
    const [n, quarantined] = await Promise.all([
      forEachEventOfDay(store, day, config.ingest.shardsPerDay, (event: KpiEvent) => {
        for (const ev of evaluators) ev.add(event);
      }),
      day <= asOf ? countQuarantine(store, day) : undefined,
    ]);
    eventsRead += n;
    if (quarantined) figures.push({ day, events: n, quarantined, countedAt: new Date(deps.now()).toISOString() });
    deps.onDayRead?.(day, n);
  }

  const computedAt = new Date(deps.now()).toISOString();
  const values = jobs.map((job) => toStoredValue(job, asOf, computedAt));
  const cards = scorecards(values, config, asOf, computedAt);
  await saveKpiValues(store, values, cards);
  await saveDayFigures(store, figures);
  return { asOf, periods: [...new Set(periods)], values: values.length, daysRead: feeds.size, eventsRead };
}

function toStoredValue(job: Job, asOf: LocalDate, computedAt: string): StoredKpiValue {
  const result = job.evaluator?.result();
  const target = boundsFor(job.kpi.target, job.days.length || periodDays(job.period).length);
  const scoped = (value: number | null, inputs: Record<string, number | null>): ScopeValue => ({
    value,
    inputs,
    ...assess(value, target),
  });
  const stored: StoredKpiValue = {
    kpi: job.kpi.id,
    granularity: job.granularity,
    period: job.period,
    ...scoped(result?.value ?? null, result?.inputs ?? {}),
    days: job.days.length,
    complete: job.complete,
    pending: !result,
    asOf,
    computedAt,
  };
  if (result && job.kpi.scopeBy) {
    stored.byScope = Object.fromEntries(
      Object.entries(result.byScope).map(([scope, v]) => [scope, scoped(v.value, v.inputs)]),
    );
  }
  return stored;
}

function scorecards(
  values: readonly StoredKpiValue[],
  config: NightshiftConfig,
  asOf: LocalDate,
  computedAt: string,
): StoredScorecard[] {
  const byPeriod = new Map<PeriodId, StoredKpiValue[]>();
  for (const v of values) byPeriod.set(v.period, [...(byPeriod.get(v.period) ?? []), v]);
  const kpis = new Map(config.kpis.map((k) => [k.id, k]));
  return [...byPeriod].map(([period, vs]) => ({
    granularity: granularityOf(period),
    period,
    ...scorecard(vs.map((v) => ({ kpi: kpis.get(v.kpi)!, assessment: v }))),
    kpis: Object.fromEntries(vs.map((v) => [v.kpi, v.status])),
    pending: vs.filter((v) => v.pending).length,
    complete: vs.every((v) => v.complete),
    asOf,
    computedAt,
  }));
}

/** Day, week and month periods touching the given days, for the granularities the config uses. */
export function periodsForDays(days: Iterable<LocalDate>, config: NightshiftConfig): PeriodId[] {
  const used = new Set(config.kpis.flatMap((k) => k.granularities));
  const out = new Set<PeriodId>();
  for (const day of days) for (const g of used) out.add(periodOf(day, g));
  return [...out].sort();
}

/**
 * The nightly rollup: yesterday (in the config's time zone), the `recomputeDays` before it so late events count,
 * any older day that received late events, and the weeks and months they fall in.
 */
export async function nightlyRollup(deps: RollupDeps): Promise<RollupSummary> {
  const { store, config } = deps;
  const asOf = yesterday(deps.now(), config.timeZone);
  const late = await dirtyDays(store);
  const days = new Set(late.map((d) => d.day));
  for (let i = 0; i <= config.jobs.recomputeDays; i++) days.add(addDays(asOf, -i));
  const summary = await rollupPeriods(periodsForDays(days, config), asOf, deps);
  // A day marked again while it was being rolled up keeps its mark: the next night reads it again.
  for (const d of late) await clearDirtyDay(store, d);
  return { ...summary, lateDays: late.map((d) => d.day) };
}

// Alert rules judged against stored KPI values: a period is anomalous when every condition of the rule holds.
// Deviation asks the engine's short-history judgement (shared/anomaly/recent-baseline.ts) about the KPI's own past
// (causal: the period and the periods before it only). A period the data covers only in part (it began during it)
// is no usual value: change does not compare with it, deviation leaves it out of its baseline. A daily change on a
// KPI with a weekly rhythm compares like with like: with the same weekday a week before.
import type { PatternName } from '#shared/anomaly/engine.ts';
import { judgeRecent, MIN_HISTORY, type RecentAssessment } from '#shared/anomaly/recent-baseline.ts';
import type { Kpi, NightshiftConfig } from '#shared/config/schema.ts';
import type { ClosedReason } from '#shared/events/closed-days.ts';
import { type DataStart, readDataStart } from '#shared/events/day-figures.ts';
import { formulaLookaheadDays, parseFormula } from '#shared/formula/formula.ts';
import type { ProblemKind } from '#shared/incidents/incidents.ts';
import { formatKpiValue } from '#shared/kpi/format.ts';
import { readKpiValues, type StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { boundsFor } from '#shared/kpi/scorecard.ts';
import { unreadReason } from '#shared/kpi/unread-names.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  addDays,
  clockTime,
  dayRange,
  type Granularity,
  granularityOf,
  type LocalDate,
  localParts,
  type PeriodId,
  periodBounds,
  periodDays,
  periodLabel,
  periodOf,
  shiftPeriod,
} from '#shared/time/calendar.ts';

export type AlertRule = NightshiftConfig['alerts']['rules'][number];
export type RuleCondition = AlertRule['all'][number];

type Range = { min?: number; max?: number };

/**
 * Periods of history before the judged one that the deviation judgement reads: 16 weeks of days (each weekday's
 * effect rests on 16 values). Against 12 weeks, the KPI benchmark's lasting small shifts are caught more often (77%
 * against 68% at sensitivity 0.5) and their recovery alerts half as often, the main benchmark within noise; it
 * trusts a straight trend for four months.
 */
export const DEVIATION_HISTORY: Record<Granularity, number> = { day: 112, week: 30, month: 24 };

/**
 * Periods of history before the judged one that the deviation judgement reads to learn how heavy the KPI's tails
 * are (in the same query): a year of days, two years of weeks, four of months, cut into blocks of DEVIATION_HISTORY
 * each fitted by its own baseline. 16 weeks alone told Student-t noise with 3 degrees of freedom from Gaussian noise on
 * 1 night in 10, and such a KPI alerted 75 times as often as its sensitivity promised; the baseline itself still reads
 * DEVIATION_HISTORY (a year-long one would misfit trends and seasons).
 */
export const DEVIATION_TAIL_HISTORY: Record<Granularity, number> = { day: 364, week: 104, month: 48 };

/**
 * Score from which a deviation counts. The rule's sensitivity is passed to the short-history judgement, which turns it
 * into the tail probability behind this score: 0.5 is a 1-in-10,000 deviation, 1 a 1-in-10, 0 a 1-in-10^7.
 */
export const DEVIATION_SCORE_THRESHOLD = 0.5;

/**
 * Sigmas off on the rule's side that keep a running deviation incident going: the value's own (in standard errors of
 * its prediction), or the mean error of the last 3 or 7 values it ends (off on the same side, in noise standard
 * deviations of one value).
 */
export const PERSIST_DEVIATION = 1;

export interface ConditionResult {
  condition: 'breach' | 'deviation' | 'change' | 'volume' | 'missing';
  /** The condition holds for the period: it may start an incident. */
  holds: boolean;
  /**
   * The looser test that keeps a running incident (or a streak towards one) going: for a deviation, the value is
   * still outside the expected band on the rule's side even when the engine's surprise has faded.
   */
  persists: boolean;
  /** How far off, relative: 0.4 = 40% beyond the bound, or away from the expected value. 0 for gates. */
  magnitude: number;
  /** For people: 'below alarm floor 2.00%', '81% below expected 589 (alerts outside 351–905, weekly pattern)'. */
  detail: string;
  /**
   * The condition cannot be judged yet, so it does not hold: a deviation's engine has not seen enough history, or a
   * change's previous period was not wholly covered by data (or has no value, or 0). Unless another condition rules
   * the period out, the rule's outcome is then 'not_judged'.
   */
  notReady?: boolean;
  /**
   * A deviation that a run of values decided: the run's periods before this one. An incident it opens is about them
   * too ('Since 12 Nov · 12 unusual days', not the night it was decided). They stay in the baseline as before: taken
   * out with the incident's outliers, the runs that keep a shift's incident open lost its first days, and a 3-sd shift
   * of the KPI benchmark resolved mid-way and opened a second incident.
   */
  runPeriods?: PeriodId[];
}

export type RuleOutcome =
  /** Every condition holds. */
  | 'anomalous'
  | 'normal'
  /** The KPI has no value for the period (and the rule has no `missing` condition): a missing-data problem. */
  | 'no_value'
  /** The value cannot be known yet (e.g. next-day retention of the last day). */
  | 'pending'
  /** No stored value: the rollup has not run for the period. Not judged, so a later run can. */
  | 'not_rolled_up'
  /**
   * The rule does not apply to the period (a `volume` condition fails: too few events for the value to mean much), or
   * a condition cannot be judged yet and no other condition decides the period. Like 'pending', it neither opens,
   * resolves nor escalates an incident: the incident's state holds. A weekend under the volume of a cancellation rate
   * resolved its open incident at a value far worse than the one it opened at.
   */
  | 'not_judged';

export interface RuleEvaluation {
  rule: string;
  kpi: string;
  scope?: string;
  granularity: Granularity;
  period: PeriodId;
  kind: ProblemKind;
  outcome: RuleOutcome;
  /** Every condition holds at least by its looser test. */
  persists: boolean;
  value: number | null;
  expected?: number | null;
  lower?: number | null;
  upper?: number | null;
  score?: number;
  target?: Range;
  alarm?: Range;
  previous?: number | null;
  conditions: ConditionResult[];
  /** Largest magnitude of the conditions that hold. */
  magnitude: number;
  /** 'Conversion rate 1.18% below alarm floor 2.00%', or the value alone when normal. */
  summary: string;
  /** Deviation state for the incident's outlier list: 'strict' = holds, 'loose' = only persists. */
  outlier?: 'strict' | 'loose';
  /** Earlier periods of the run that decided a deviation (ConditionResult.runPeriods). */
  runPeriods?: PeriodId[];
  /**
   * Why the value is no data when its formula names an event or property the data never had: 'no "Refund Isued"
   * event on any of the 21 days counted; did you mean "Refund Issued"?'.
   */
  unread?: string;
}

export interface RuleDeps {
  store: StateStore;
  config: NightshiftConfig;
  /** Memo of KPI value reads shared by the rules of one run. */
  cache?: Map<string, Promise<StoredKpiValue[]>>;
  /** When the data begins (readDataStart), read once for the rules of one run; read from the store if not given. */
  dataStart?: () => Promise<DataStart | undefined>;
}

export interface EvaluateOptions {
  /** Periods the engine leaves out of the baseline: the incident's own anomalous periods. */
  exclude?: ReadonlySet<PeriodId>;
}

export class RuleError extends Error {
  override name = 'RuleError';
}

/** The kind of problem a rule reports, for routing: a breach, else a pattern change, else missing data. */
export function ruleKind(rule: AlertRule): ProblemKind {
  if (rule.all.some((c) => 'breach' in c)) return 'target_breach';
  if (rule.all.some((c) => 'missing' in c) && !rule.all.some((c) => 'deviation' in c || 'change' in c))
    return 'missing_data';
  return 'deviation';
}

/**
 * What a rule's incident id names when it is not its problem kind: 'change' for a change rule (no breach or deviation
 * condition), routed as a deviation problem but named for what it tests ('rule:orders_drop:*:change').
 */
export function ruleIdKind(rule: AlertRule): 'change' | undefined {
  const has = (c: 'breach' | 'deviation' | 'change') => rule.all.some((x) => c in x);
  return has('change') && !has('breach') && !has('deviation') ? 'change' : undefined;
}

export function kpiOf(config: NightshiftConfig, id: string): Kpi {
  const kpi = config.kpis.find((k) => k.id === id);
  if (!kpi) throw new RuleError(`unknown KPI '${id}'`);
  return kpi;
}

/**
 * The period a rule judges when detection runs for local day `date`: the day itself (less the days a retention
 * formula waits for), or the week or month that ends on that day; null when no period of the rule's granularity
 * ends then. Each period is judged by exactly one night's run.
 */
export function rulePeriodFor(rule: AlertRule, kpi: Kpi, date: LocalDate): PeriodId | null {
  const asOf = addDays(date, -formulaLookaheadDays(parseFormula(kpi.formula)));
  const period = periodOf(asOf, rule.granularity);
  return periodBounds(period).last === asOf ? period : null;
}

export function kpiLabel(kpi: Kpi, scope?: string): string {
  return scope ? `${kpi.name} (${scope})` : kpi.name;
}

const periodWord: Record<Granularity, string> = { day: 'day', week: 'week', month: 'month' };

function scoped(v: StoredKpiValue | undefined, scope: string | undefined): number | null {
  if (!v || v.pending) return null;
  const value = scope === undefined ? v.value : (v.byScope?.[scope]?.value ?? null);
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Midnight UTC of a period's first day: evenly spaced timestamps for the engine, whatever the time zone's DST. */
const timestampOf = (period: PeriodId) => Date.parse(`${periodBounds(period).first}T00:00:00Z`);

function relative(distance: number, reference: number): number {
  return Math.abs(distance) / Math.max(Math.abs(reference), 1e-9);
}

async function values(deps: RuleDeps, kpi: string, g: Granularity, from: PeriodId, to: PeriodId) {
  const key = `${kpi}|${g}|${from}|${to}`;
  let read = deps.cache?.get(key);
  if (!read) {
    read = readKpiValues(deps.store, kpi, g, from, to);
    deps.cache?.set(key, read);
  }
  return read;
}

/** Judges one rule for one period from the stored values of its KPI. */
export async function evaluateRule(
  rule: AlertRule,
  period: PeriodId,
  deps: RuleDeps,
  options: EvaluateOptions = {},
): Promise<RuleEvaluation> {
  const kpi = kpiOf(deps.config, rule.kpi);
  const g = rule.granularity;
  const lookback = Math.max(
    rule.all.some((c) => 'deviation' in c) ? DEVIATION_HISTORY[g] : 1,
    rule.all.some((c) => 'change' in c) && g === 'day' ? WEEKLY_RHYTHM_DAYS + 7 : 1,
  );
  // One query: a deviation's older periods (for its tails) come with the rest.
  const readBack = rule.all.some((c) => 'deviation' in c) ? DEVIATION_TAIL_HISTORY[g] : lookback;
  const history = await values(deps, kpi.id, g, shiftPeriod(period, -readBack), period);
  const current = history.find((v) => v.period === period);
  const value = scoped(current, rule.scope);
  const fmt = (x: number | null | undefined) => formatKpiValue(x, kpi);
  const label = kpiLabel(kpi, rule.scope);
  // A per-day target counts the days the business was open, as the stored value's own target does.
  const days = current?.openDays ?? (current?.days || periodDays(period).length);
  // The config's holidays are local dates: they match the periods of daily rules only.
  const calendar: DeviationCalendar = { holidays: new Set(deps.config.holidays) };
  const compares = rule.all.some((c) => 'deviation' in c || 'change' in c || 'breach' in c);
  const start = compares ? await (deps.dataStart ?? (() => readDataStart(deps.store)))() : undefined;
  const partial = (p: PeriodId) => start !== undefined && !coveredFrom(p, start, deps.config.timeZone);
  const volumes = rule.all.flatMap((c) => ('volume' in c ? [c.volume] : []));

  const result: RuleEvaluation = {
    rule: rule.id,
    kpi: kpi.id,
    ...(rule.scope === undefined ? {} : { scope: rule.scope }),
    granularity: g,
    period,
    kind: ruleKind(rule),
    outcome: 'normal',
    persists: false,
    value,
    conditions: [],
    magnitude: 0,
    summary: `${label} ${fmt(value)}`,
  };
  const target = boundsFor(kpi.target, days);
  const alarm = boundsFor(kpi.alarm, days);
  if (target) result.target = target;
  if (alarm) result.alarm = alarm;

  if (!current) return { ...result, outcome: 'not_rolled_up', summary: `${label}: not rolled up for ${period}` };
  if (current.pending) return { ...result, outcome: 'pending', summary: `${label}: pending for ${period}` };
  const hasMissing = rule.all.some((c) => 'missing' in c);
  // A name the data never had (a slip in the formula) says so wherever the missing value is reported.
  const unread = value === null && current.unread?.length ? unreadReason(current.unread) : undefined;
  if (unread) result.unread = unread;
  const noValue = `${label} has no value for ${period}${unread ? `: ${unread}` : ''}`;
  if (value === null && !hasMissing) return { ...result, outcome: 'no_value', summary: noValue };

  for (const condition of rule.all) {
    let r: ConditionResult;
    if ('breach' in condition) {
      const bounds = condition.breach === 'target' ? target : alarm;
      r = breach(condition.breach, bounds, value, fmt);
      // A period the data covers only in part (deployed mid-morning) holds part of its events: below a floor says
      // nothing yet. Above a ceiling it is above whatever the rest would have added.
      const underFloor = value !== null && bounds?.min !== undefined && value < bounds.min;
      if (underFloor && start !== undefined && partial(period)) r = partFloor(r, start, deps.config.timeZone);
      // A day the business was closed (its scorecard says so) is held against no bound: '0 below target' every Sunday.
      if (current.closed !== undefined) r = closedBreach(current.closed);
    } else if ('deviation' in condition) {
      // The partial first period, and the empty ones before it, are not what the KPI usually does.
      const uncovered = new Map<PeriodId, 'partial' | 'before'>();
      if (start !== undefined) {
        const first = periodOf(localParts(start.at, deps.config.timeZone).date, g);
        for (const v of history)
          if (partial(v.period)) uncovered.set(v.period, v.period < first ? 'before' : 'partial');
      }
      const d = deviation(condition.deviation, history, period, rule.scope, value, options.exclude, fmt, {
        ...calendar,
        uncovered,
      });
      r = d.result;
      if (d.expected !== undefined) {
        result.expected = d.expected;
        result.lower = d.lower ?? null;
        result.upper = d.upper ?? null;
        result.score = d.score ?? 0;
      }
      if (r.holds) result.outlier = 'strict';
      else if (r.persists) result.outlier ??= 'loose';
      if (r.runPeriods) result.runPeriods = r.runPeriods;
    } else if ('change' in condition) {
      // The weekly rhythm is looked for on the days the rule judges: a rate's values on days under its volume
      // condition (a weekend of few bookings) can be wild enough to hide the rhythm of the days that count.
      const applies =
        g === 'day' ? await volumeGate(deps, volumes, g, shiftPeriod(period, -lookback), period, rule.scope) : null;
      const reference = applies
        ? dailyReference(period, history, rule.scope, (p) => calendar.holidays?.has(p) || partial(p) || !applies(p))
        : { period: shiftPeriod(period, -1), text: `previous ${periodWord[g]}` };
      const previous = scoped(
        history.find((v) => v.period === reference.period),
        rule.scope,
      );
      result.previous = previous;
      r =
        g === 'day' && calendar.holidays?.has(period)
          ? {
              condition: 'change',
              holds: false,
              persists: false,
              notReady: true,
              magnitude: 0,
              detail: 'a holiday: not compared with an ordinary day',
            }
          : start !== undefined && partial(reference.period)
            ? notWhole(reference.text, start, deps.config.timeZone)
            : change(condition.change, value, previous, reference);
    } else if ('volume' in condition) {
      const other = kpiOf(deps.config, condition.volume.kpi);
      const stored = (await values(deps, other.id, g, period, period))[0];
      const { v, scope, holds } = volumeOf(stored, rule.scope, condition.volume.min);
      const detail = `${kpiLabel(other, scope)} ${formatKpiValue(v, other)} ${holds ? '>=' : 'under'} ${formatKpiValue(condition.volume.min, other)}`;
      r = { condition: 'volume', holds, persists: holds, magnitude: 0, detail };
    } else {
      const holds = value === null;
      r = { condition: 'missing', holds, persists: holds, magnitude: 0, detail: holds ? 'no value' : 'has a value' };
    }
    result.conditions.push(r);
  }

  const anomalous = result.conditions.every((c) => c.holds);
  result.persists = result.conditions.every((c) => c.holds || c.persists);
  result.outcome = anomalous ? 'anomalous' : 'normal';
  // A day under the volume condition is one the rule does not apply to; a condition that cannot be judged leaves the
  // day undecided unless another condition rules it out. Either way the incident's state holds (no "normal" day).
  const gated = result.conditions.filter((c) => c.condition === 'volume' && !c.holds);
  const unjudged = result.conditions.filter((c) => c.notReady);
  const undecided =
    unjudged.length > 0 &&
    result.conditions.every((c) => c.notReady || c.holds || c.persists || c.condition === 'volume');
  if (gated.length > 0 || undecided) {
    const why = (gated.length > 0 ? gated : unjudged).map((c) =>
      c.notReady ? `${c.condition}: ${c.detail}` : c.detail,
    );
    return {
      ...result,
      outcome: 'not_judged',
      persists: false,
      magnitude: 0,
      summary: `${label} ${fmt(value)} not judged: ${why.join('; ')}`,
    };
  }
  const telling = result.conditions.filter((c) => (c.holds || c.persists) && c.condition !== 'volume');
  result.magnitude = Math.max(0, ...telling.map((c) => c.magnitude));
  if (anomalous || result.persists) {
    const reasons = telling.map((c) => c.detail).filter((d) => d && d !== 'no value');
    result.summary = value === null ? noValue : `${label} ${fmt(value)} ${reasons.join(', ')}`.trim();
  }
  return result;
}

function breach(
  which: 'target' | 'alarm',
  bounds: Range | undefined,
  value: number | null,
  fmt: (x: number | null | undefined) => string,
): ConditionResult {
  const base = { condition: 'breach' as const, magnitude: 0 };
  if (!bounds) return { ...base, holds: false, persists: false, detail: `the KPI has no ${which}` };
  if (value === null) return { ...base, holds: false, persists: false, detail: 'no value' };
  const name = which === 'target' ? 'target' : 'alarm bounds';
  if (bounds.min !== undefined && value < bounds.min) {
    const detail = `below ${which === 'target' ? 'target' : 'alarm floor'} ${fmt(bounds.min)}`;
    return { ...base, holds: true, persists: true, magnitude: relative(bounds.min - value, bounds.min), detail };
  }
  if (bounds.max !== undefined && value > bounds.max) {
    const detail = `above ${which === 'target' ? 'target' : 'alarm ceiling'} ${fmt(bounds.max)}`;
    return { ...base, holds: true, persists: true, magnitude: relative(value - bounds.max, bounds.max), detail };
  }
  return { ...base, holds: false, persists: false, detail: `within ${name} ${rangeText(bounds, fmt)}` };
}

function closedBreach(reason: ClosedReason): ConditionResult {
  const why = reason === 'holiday' ? 'a holiday the business was closed' : 'no events, on a day it is usually closed';
  return {
    condition: 'breach',
    holds: false,
    persists: false,
    notReady: true,
    magnitude: 0,
    detail: `${why}: not judged`,
  };
}

function rangeText(b: Range, fmt: (x: number) => string): string {
  if (b.min !== undefined && b.max !== undefined) return `${fmt(b.min)}–${fmt(b.max)}`;
  return b.min !== undefined ? `>= ${fmt(b.min)}` : `<= ${fmt(b.max!)}`;
}

function deviation(
  options: DeviationCondition,
  history: readonly StoredKpiValue[],
  period: PeriodId,
  scope: string | undefined,
  value: number | null,
  exclude: ReadonlySet<PeriodId> | undefined,
  fmt: (x: number | null | undefined) => string,
  calendar: DeviationCalendar,
): DeviationJudgement {
  const past = history.map((v) => ({ period: v.period, value: scoped(v, scope) }));
  return judgeDeviation(options, past, period, value, exclude, fmt, calendar);
}

export type DeviationCondition = { direction: 'up' | 'down' | 'both'; sensitivity: number };

/** Calendar knowledge the deviation judgement may use: known holidays (the config's `holidays`) stay out of the baseline. */
export interface DeviationCalendar {
  holidays?: ReadonlySet<PeriodId>;
  /**
   * Periods the data does not cover whole, left out of the baseline: 'partial' the one it began in (after its first
   * hour), 'before' the empty ones the rollup stored before it began.
   */
  uncovered?: ReadonlyMap<PeriodId, 'partial' | 'before'>;
}

export interface DeviationJudgement {
  result: ConditionResult;
  expected?: number | null;
  lower?: number | null;
  upper?: number | null;
  score?: number;
}

const PATTERN_WORDS: Record<PatternName, string> = {
  recent: 'recent level',
  daily: 'daily pattern',
  weekly: 'weekly pattern',
  previous: 'previous block',
};

/**
 * A deviation condition for one period, from the values of the periods before it (those in `exclude`, known holidays
 * and missing ones left out of the baseline): the short-history judgement of the engine family (judgeRecent). The
 * baseline reads the last DEVIATION_HISTORY periods; older ones given (up to DEVIATION_TAIL_HISTORY, as detection
 * reads) are read only for the noise's tails. Pure, so benchmarks judge exactly as detection does.
 */
export function judgeDeviation(
  options: DeviationCondition,
  history: ReadonlyArray<{ period: PeriodId; value: number | null }>,
  period: PeriodId,
  value: number | null,
  exclude: ReadonlySet<PeriodId> | undefined,
  fmt: (x: number | null | undefined) => string,
  calendar: DeviationCalendar = {},
): DeviationJudgement {
  const base = { condition: 'deviation' as const, magnitude: 0 };
  if (value === null) return { result: { ...base, holds: false, persists: false, detail: 'no value' } };
  const past: Array<{ timestamp: number; value: number }> = [];
  const older: Array<{ timestamp: number; value: number }> = [];
  const baselineFrom = shiftPeriod(period, -DEVIATION_HISTORY[granularityOf(period)]);
  const used: PeriodId[] = [];
  // Earlier periods with a value the baseline leaves out, by why: said when there is not enough history yet.
  const leftOut = { partial: 0, before: 0, outlier: 0, holiday: 0 };
  let withValue = 0;
  for (const v of history) {
    if (v.period >= period || v.value === null) continue;
    if (v.period < baselineFrom) {
      if (!calendar.uncovered?.has(v.period) && !exclude?.has(v.period))
        older.push({ timestamp: timestampOf(v.period), value: v.value });
      continue;
    }
    withValue++;
    const uncovered = calendar.uncovered?.get(v.period);
    if (uncovered) leftOut[uncovered]++;
    else if (exclude?.has(v.period)) leftOut.outlier++;
    if (uncovered || exclude?.has(v.period)) continue;
    past.push({ timestamp: timestampOf(v.period), value: v.value });
    if (calendar.holidays?.has(v.period)) leftOut.holiday++;
    else used.push(v.period);
  }
  const holidays = calendar.holidays ? new Set([...calendar.holidays].map(timestampOf)) : undefined;
  const a = judgeRecent(
    past,
    { timestamp: timestampOf(period), value },
    {
      sensitivity: options.sensitivity,
      ...(holidays ? { holidays } : {}),
      ...(older.length ? { tailHistory: older } : {}),
    },
  );
  if (!a.ready || a.expected === null) {
    return {
      result: {
        ...base,
        holds: false,
        persists: false,
        notReady: true,
        detail: notEnoughHistory(used.length, withValue, leftOut, granularityOf(period)),
      },
    };
  }
  const expected = a.expected;
  const below = value < expected;
  const sideOk = options.direction === 'both' || (options.direction === 'down' ? below : value > expected);
  const outside =
    (a.lower !== null && value < a.lower && options.direction !== 'up') ||
    (a.upper !== null && value > a.upper && options.direction !== 'down');
  // A known holiday is not in the usual pattern: it never opens a deviation incident, though it may keep one going.
  const holiday = calendar.holidays?.has(period) ?? false;
  const holds = sideOk && !holiday && a.score >= DEVIATION_SCORE_THRESHOLD;
  // Hysteresis: a running incident goes on while the value stays clearly off on its side, so a level shift keeps
  // its days out of the baseline (as the incident's outliers) instead of teaching it the new level. The last days
  // taken together count too: a drift's early days, before its incident opened, are in the baseline and pull it
  // along, so one day of the ramp can look ordinary on its own while the run it ends is still off. Judged by that
  // day alone, the incident resolved mid-drift and the rest of the ramp opened a second one for the same problem
  // (4 of the 15 false incidents on 600 tuning series of the KPI benchmark). The run must be a sigma off per value on
  // average, as a day alone must be: three ordinary days pass that about one time in 25, so a recovery still resolves.
  const off = Math.abs(a.deviation ?? 0) >= PERSIST_DEVIATION || Math.abs(a.runDeviation ?? 0) >= PERSIST_DEVIATION;
  const magnitude = relative(value - expected, expected);
  const pct = Math.round(magnitude * 100);
  const pattern = a.pattern ? `, ${PATTERN_WORDS[a.pattern]}${tailWords(a.tails)}` : '';
  const day = `${pct}% ${below ? 'below' : 'above'} expected ${fmt(expected)}`;
  // A run decided it: say so, with the run's own figures (the day alone may look ordinary).
  const run = holds && a.run ? runText(a.run, period, fmt) : undefined;
  const detail = run
    ? `${day}; ${run}${pattern}`
    : `${day}${alertRange(a, options.direction, fmt, pattern)}${holiday ? ', a holiday' : ''}`;
  // The run's values are the newest the baseline would read (holidays are not among them), this one last.
  const runPeriods = run && a.run ? [...used].sort().slice(-(a.run.length - 1)) : undefined;
  return {
    result: {
      ...base,
      holds,
      persists: sideOk && (holds || outside || off),
      // A holiday is measured against ordinary days: how far off it is says nothing about how bad the problem has
      // got, so it keeps a running incident going without escalating it (a Thanksgiving at 43% below an ordinary
      // Thursday escalated an incident opened at 20% to critical).
      magnitude: holiday ? 0 : magnitude,
      detail,
      ...(runPeriods ? { runPeriods } : {}),
    },
    expected,
    lower: a.lower,
    upper: a.upper,
    score: a.score,
  };
}

/**
 * 'not enough history yet (13 usable of 16 earlier periods with a value: the partial first day, 2 days before the data
 * began and 1 holiday left out; 14 needed)', or '(9 earlier periods with a value, 14 needed)' when all are usable.
 */
function notEnoughHistory(
  usable: number,
  withValue: number,
  leftOut: { partial: number; before: number; outlier: number; holiday: number },
  g: Granularity,
): string {
  const word = periodWord[g];
  const n = (k: number, noun: string) => `${k} ${noun}${k === 1 ? '' : 's'}`;
  const parts = [
    ...(leftOut.partial ? [`the partial first ${word}`] : []),
    ...(leftOut.before ? [`${n(leftOut.before, word)} before the data began`] : []),
    ...(leftOut.outlier ? [`${n(leftOut.outlier, `unusual ${word}`)} of the incident`] : []),
    ...(leftOut.holiday ? [n(leftOut.holiday, 'holiday')] : []),
  ];
  if (parts.length === 0)
    return `not enough history yet (${withValue} earlier periods with a value, ${MIN_HISTORY} needed)`;
  const list = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `not enough history yet (${usable} usable of ${withValue} earlier periods with a value: ${list} left out; ${MIN_HISTORY} needed)`;
}

/** ', heavy tail above': the side(s) whose ordinary values jump far, which the band allows for. */
function tailWords(tails: RecentAssessment['tails']): string {
  if (!tails) return '';
  if (tails.below !== undefined && tails.above !== undefined) return ', heavy tails';
  return tails.below !== undefined ? ', heavy tail below' : ', heavy tail above';
}

/** ' (alerts below 96, weekly pattern)': where the value alone would alert, on the rule's side(s). */
function alertRange(
  a: RecentAssessment,
  direction: 'up' | 'down' | 'both',
  fmt: (x: number | null | undefined) => string,
  pattern: string,
): string {
  const { alertLower: lo, alertUpper: hi } = a;
  if (lo === undefined || hi === undefined) return '';
  // A bound at 0 for a KPI that is never negative: no single value is low enough to alert by itself.
  const noLow = lo === 0;
  const where =
    direction === 'up' || (direction === 'both' && noLow)
      ? `alerts above ${fmt(hi)}`
      : noLow
        ? 'no single value low enough to alert'
        : direction === 'down'
          ? `alerts below ${fmt(lo)}`
          : `alerts outside ${fmt(lo)}–${fmt(hi)}`;
  return ` (${where}${pattern})`;
}

/** 'the last 7 days 21% below expected together (6,980 against 8,840 on average)'. */
function runText(
  run: NonNullable<RecentAssessment['run']>,
  period: PeriodId,
  fmt: (x: number | null | undefined) => string,
): string {
  const noun = `${granularityOf(period)}s`;
  const pct = Math.round(relative(run.actual - run.expected, run.expected) * 100);
  const side = run.actual < run.expected ? 'below' : 'above';
  return `the last ${run.length} ${noun} ${pct}% ${side} expected together (${fmt(run.actual)} against ${fmt(run.expected)} on average)`;
}

/** The scope a volume condition reads: the rule's, when the other KPI has it, else the KPI's whole value. */
function volumeScope(stored: StoredKpiValue | undefined, scope: string | undefined): string | undefined {
  return scope !== undefined && stored?.byScope?.[scope] ? scope : undefined;
}

/** Whether each period from..to passes every volume condition (no conditions: every period does). */
async function volumeGate(
  deps: RuleDeps,
  volumes: ReadonlyArray<{ kpi: string; min: number }>,
  g: Granularity,
  from: PeriodId,
  to: PeriodId,
  scope: string | undefined,
): Promise<(p: PeriodId) => boolean> {
  if (volumes.length === 0) return () => true;
  const read = await Promise.all(
    volumes.map(async (c) => {
      const stored = await values(deps, kpiOf(deps.config, c.kpi).id, g, from, to);
      return { min: c.min, byPeriod: new Map(stored.map((v) => [v.period, v])) };
    }),
  );
  return (p) => read.every(({ min, byPeriod }) => volumeOf(byPeriod.get(p), scope, min).holds);
}

/** A volume KPI's stored value for a rule's scope (the whole when it has no such scope), and whether it is >= min. */
function volumeOf(stored: StoredKpiValue | undefined, ruleScope: string | undefined, min: number) {
  const scope = volumeScope(stored, ruleScope);
  const v = scoped(stored, scope);
  return { v, scope, holds: v !== null && v >= min };
}

/** Days before the judged one in which a daily change rule looks for a weekly rhythm: four weeks. */
export const WEEKLY_RHYTHM_DAYS = 28;
/** Days of those with a value, the day before and the same day a week before, needed to tell (three weeks of data). */
export const WEEKLY_RHYTHM_MIN_DAYS = 14;
/**
 * How many times larger (root mean square) the changes from the day before must be than those from the same weekday
 * a week before for the KPI to have a weekly rhythm. On simulated KPIs without one (Gaussian noise of any size,
 * Poisson counts) a ratio of 2 is reached in 0.2% of 14-day windows and in 0.01% of 28-day ones; a weekend at a
 * tenth of the weekdays (10% noise) always reaches it, one at half of them in 95% of windows or more, one 30% lower in
 * 13–22%: a rhythm that mild stays day over day, and a deviation condition, which learns each weekday, suits it better.
 */
export const WEEKLY_RHYTHM_RATIO = 2;

/** The period a change is measured against, and how a person reads it: 'previous day', 'same day last week (3 Nov)'. */
interface ChangeReference {
  period: PeriodId;
  text: string;
  /** Compared like with like because the KPI has a weekly rhythm. */
  weekly?: boolean;
}

/** |a − b| against their mean size: 0 alike, 2 at most (one of them 0, or opposite signs); defined at 0. */
function relativeDifference(a: number, b: number): number {
  const size = (Math.abs(a) + Math.abs(b)) / 2;
  return size === 0 ? 0 : Math.abs(a - b) / size;
}

/**
 * What a daily change compares with. The day before, unless the KPI has a weekly rhythm: over the last four weeks
 * (`skip`ped days, holidays and days the data covers only in part, left out), the day before differed from each day
 * at least twice as much as the same weekday a week before did. A B2B KPI whose weekends run at a tenth of its
 * weekdays would otherwise read -90% every Saturday and +900% every Monday. Then the same weekday a week before, or
 * two weeks before when that was a skipped day (a holiday): like with like.
 */
function dailyReference(
  period: PeriodId,
  history: readonly StoredKpiValue[],
  scope: string | undefined,
  skip: (p: PeriodId) => boolean,
): ChangeReference {
  const byPeriod = new Map(history.map((v) => [v.period, scoped(v, scope)]));
  const usable = (p: PeriodId) => (skip(p) ? null : (byPeriod.get(p) ?? null));
  let dayToDay = 0;
  let weekToWeek = 0;
  let n = 0;
  for (let back = 1; back <= WEEKLY_RHYTHM_DAYS; back++) {
    const day = addDays(period, -back);
    const [v, d1, d7] = [usable(day), usable(addDays(day, -1)), usable(addDays(day, -7))];
    if (v === null || d1 === null || d7 === null) continue;
    dayToDay += relativeDifference(v, d1) ** 2;
    weekToWeek += relativeDifference(v, d7) ** 2;
    n++;
  }
  const weekly = n >= WEEKLY_RHYTHM_MIN_DAYS && dayToDay >= WEEKLY_RHYTHM_RATIO ** 2 * weekToWeek && dayToDay > 0;
  if (!weekly) {
    // The previous day, or when it has no usable value (a rate on a closed Sunday, a holiday) the last one that has,
    // within a week: a Monday is compared with Saturday rather than not at all.
    for (let back = 2; back <= 7 && !nonZero(usable(addDays(period, -1))); back++) {
      const day = addDays(period, -back);
      if (nonZero(usable(day))) return { period: day, text: `last day with a value (${periodLabel(day)})` };
    }
    return { period: addDays(period, -1), text: 'previous day' };
  }
  const weeks = skip(addDays(period, -7)) && !skip(addDays(period, -14)) ? 2 : 1;
  const reference = addDays(period, -7 * weeks);
  const when = weeks === 1 ? 'last week' : 'two weeks before';
  return { period: reference, text: `same day ${when} (${periodLabel(reference)})`, weekly: true };
}

const nonZero = (v: number | null) => v !== null && v !== 0;

function change(
  options: { pct: number; direction: 'up' | 'down' | 'both' },
  value: number | null,
  previous: number | null,
  reference: ChangeReference,
): ConditionResult {
  const base = { condition: 'change' as const, magnitude: 0 };
  if (value === null) return { ...base, holds: false, persists: false, detail: 'no value' };
  // Nothing to measure a change against (no value, or 0): the period is not judged, rather than called normal.
  if (previous === null || previous === 0) {
    return { ...base, holds: false, persists: false, notReady: true, detail: `no ${reference.text} to compare with` };
  }
  const pct = ((value - previous) / Math.abs(previous)) * 100;
  const holds =
    options.direction === 'up'
      ? pct >= options.pct
      : options.direction === 'down'
        ? pct <= -options.pct
        : Math.abs(pct) >= options.pct;
  const rhythm = reference.weekly ? ', weekly rhythm' : '';
  const detail = `${pct < 0 ? 'down' : 'up'} ${Math.abs(Math.round(pct))}% on the ${reference.text}${rhythm}`;
  return { ...base, holds, persists: holds, magnitude: Math.abs(pct) / 100, detail };
}

/**
 * Data that began in a period's first hour covers it: a whole day's first event comes some minutes after midnight
 * (an export of history starts so), while a deployment or a first event mid-morning leaves out much of the day.
 */
const COVERED_WITHIN_MS = 3_600_000;

/** Whether the data began before the period did, or in its first hour: else it counts a part of it (or nothing). */
function coveredFrom(period: PeriodId, start: DataStart, timeZone: string): boolean {
  return start.at < dayRange(periodBounds(period).first, timeZone).start + COVERED_WITHIN_MS;
}

/** A change condition whose reference period the data covers only in part: a partial count is no baseline. */
/** A breach below a floor on a period the data covers only in part: not judged, and says why. */
function partFloor(r: ConditionResult, start: DataStart, timeZone: string): ConditionResult {
  const p = localParts(start.at, timeZone);
  return {
    ...r,
    holds: false,
    persists: false,
    magnitude: 0,
    notReady: true,
    detail: `${r.detail}, but the data covers this period only from ${clockTime(p)} on ${periodLabel(p.date)}: not judged`,
  };
}

function notWhole(reference: string, start: DataStart, timeZone: string): ConditionResult {
  const p = localParts(start.at, timeZone);
  return {
    condition: 'change',
    holds: false,
    persists: false,
    magnitude: 0,
    notReady: true,
    detail: `no complete ${reference} to compare with (data starts ${clockTime(p)} on ${periodLabel(p.date)})`,
  };
}

// Generated daily KPI series for the deviation benchmark (bench/kpi.ts), and judging them night by night as detection
// does. Many seeded series with a weekday pattern, trend, noise, holidays, month-end effects and missing days (normal,
// never alerted on), and planted problems of known size (one-day drops and spikes, level shifts, slow drifts) from 3
// to 8 standard deviations of the series' own day-to-day noise. Each night is judged by judgeDeviation on the days
// detection reads back, the incident's own outliers left out, incidents advanced by the same pure state machine; the
// incidents opened are matched to the planted problems.

import { DEVIATION_TAIL_HISTORY, type DeviationCondition, judgeDeviation } from '#shared/detection/rules.ts';
import { advance, type Incident, type IncidentSubject, type Observation } from '#shared/incidents/incidents.ts';
import { addDays, type LocalDate } from '#shared/time/calendar.ts';

export type Kind = 'drop' | 'spike' | 'shift' | 'drift';

export interface Problem {
  kind: Kind;
  /** Day index of the first affected day, and of the last. */
  start: number;
  end: number;
  /** Size in standard deviations of the day's noise; signed (negative = down). */
  sigmas: number;
  /** Day index from which the change is at least 3 sd: the start, or for a drift the day its ramp gets there. */
  threeSd: number;
}

export interface KpiSeries {
  seed: number;
  first: LocalDate;
  values: Array<number | null>;
  problem: Problem | null;
  /** Holidays and the month's own days (its end, by default): normal, but not in the weekly pattern. */
  special: Set<number>;
  /** The public holidays in the series' span: what a config's holiday list would hold. */
  holidays: Set<LocalDate>;
  /** What the generator knows and a detector does not: each day's expected value without the problem, and the noise. */
  truth: { expected: number[]; noise: number };
}

/** Park-Miller generator: the same series on every run. */
function seeded(seed: number): () => number {
  let s = (seed * 48271) % 2147483647 || 1;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

/** Public holidays (month-day), the same every year. */
const HOLIDAYS = ['01-01', '05-01', '10-01', '12-25'];
const KINDS: Kind[] = ['drop', 'spike', 'shift', 'drift'];
/** Share of series with no planted problem: they measure false alerts alone. */
const CLEAN_SHARE = 0.25;
/** Days a level shift or drift lasts before the KPI recovers. */
const PROBLEM_DAYS = 21;
/** Days a drift takes to reach its full size. */
const DRIFT_RAMP = 14;
/** An incident opened up to this many days after a problem's last day still belongs to it. */
const MATCH_SLACK = 3;

const sizeBand = (p: Problem) => {
  const size = Math.abs(p.sigmas);
  return size < 3 ? 'under 3 sd' : size < 4 ? '3-4 sd' : size < 5 ? '4-5 sd' : '5-8 sd';
};

/** Which problems a set of series gets: by default a quarter clean, the rest one of the four kinds of 3 to 8 sd. */
export interface ProblemMix {
  kinds: readonly Kind[];
  /** Smallest and largest size, in sd of the day's noise. */
  sizes: readonly [number, number];
  cleanShare: number;
}

export const DEFAULT_MIX: Readonly<ProblemMix> = { kinds: KINDS, sizes: [3, 8], cleanShare: CLEAN_SHARE };

/** Lasting shifts too small to see on any one day (1.5 to 2.5 sd a day for three weeks): a 25% drop in a noisy KPI. */
export const SMALL_SHIFTS: Readonly<ProblemMix> = { kinds: ['shift'], sizes: [1.5, 2.5], cleanShare: 0 };

/**
 * Where a month's own effect falls: its last two days (the default: invoices, payroll), its first two days instead
 * (renewals on the 1st; the baseline fits only month-ends), or nowhere. The latter two check the month-end term on
 * series it does not fit.
 */
export type MonthEffect = 'last-two' | 'first-two' | 'none';

export function generate(
  seed: number,
  days: number,
  mix: Readonly<ProblemMix> = DEFAULT_MIX,
  monthEffect: MonthEffect = 'last-two',
): KpiSeries {
  const rand = seeded(seed);
  const level = 100 * 10 ** (rand() * 2); // 100 .. 10,000
  const noise = 0.03 + rand() * 0.05; // 3% .. 8% a day
  const weekend = 0.55 + rand() * 0.5; // weekends at 55% .. 105% of weekdays
  const trend = (rand() - 0.4) * 0.004; // -0.16% .. +0.24% a day
  const monthEnd = (0.5 + rand()) * noise; // 0.5 .. 1.5 sd on the last two days of a month
  const holiday = -(0.5 + rand() * 1.5) * noise; // 0.5 .. 2 sd down on public holidays
  const first = addDays('2025-01-06', Math.floor(rand() * 365));
  const start = 60 + Math.floor(rand() * (days - 60 - PROBLEM_DAYS - 5));
  let problem: Problem | null = null;
  if (rand() >= mix.cleanShare) {
    const kind = mix.kinds[Math.floor(rand() * mix.kinds.length)] as Kind;
    const size = mix.sizes[0] + rand() * (mix.sizes[1] - mix.sizes[0]);
    const down = kind === 'drop' ? true : kind === 'spike' ? false : rand() < 0.6;
    const oneDay = kind === 'drop' || kind === 'spike';
    // A drift of size s is d/DRIFT_RAMP * s on its d-th day: 3 sd from day ceil(3 / s * DRIFT_RAMP).
    const threeSd = kind === 'drift' && size > 3 ? start + Math.ceil((3 / size) * DRIFT_RAMP) - 1 : start;
    problem = { kind, start, end: oneDay ? start : start + PROBLEM_DAYS - 1, sigmas: down ? -size : size, threeSd };
  }
  const values: Array<number | null> = [];
  const special = new Set<number>();
  const holidays = new Set<LocalDate>();
  const truth = { expected: [] as number[], noise };
  for (let d = 0; d < days; d++) {
    const date = addDays(first, d);
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    let expected = level * (1 + trend * d) * (weekday === 0 || weekday === 6 ? weekend : 1);
    const monthDay =
      monthEffect === 'last-two'
        ? addDays(date, 2).slice(5, 7) !== date.slice(5, 7)
        : monthEffect === 'first-two' && addDays(date, -2).slice(5, 7) !== date.slice(5, 7);
    if (monthDay) {
      expected *= 1 + monthEnd;
      special.add(d);
    }
    if (HOLIDAYS.includes(date.slice(5))) {
      expected *= 1 + holiday;
      special.add(d);
      holidays.add(date);
    }
    truth.expected.push(expected);
    let effect = 0;
    if (problem && d >= problem.start && d <= problem.end) {
      const ramp = problem.kind === 'drift' ? Math.min(1, (d - problem.start + 1) / DRIFT_RAMP) : 1;
      effect = problem.sigmas * noise * ramp;
    }
    const value = expected * Math.max(0.05, 1 + effect + noise * normal(rand));
    // About 2% of days have no value (a failed export): the rule skips them.
    values.push(rand() < 0.02 && !(problem && d >= problem.start && d <= problem.start + 1) ? null : Math.round(value));
  }
  return { seed, first, values, problem, special, holidays, truth };
}

export interface SeriesOutcome {
  opened: number[];
  /** Day index of the first incident opened for the planted problem, if any. */
  caught: number | null;
  falseAlerts: number[];
  duplicates: number;
}

/**
 * How the nights are judged: days read back (detection's DEVIATION_TAIL_HISTORY: the baseline reads the last
 * DEVIATION_HISTORY of them, the rest are for the tails), and whether holidays are known.
 */
export interface Settings {
  history: number;
  holidays: boolean;
}

export const DETECTION_SETTINGS: Readonly<Settings> = { history: DEVIATION_TAIL_HISTORY.day, holidays: true };

export function judgeSeries(s: KpiSeries, condition: DeviationCondition, settings: Settings): SeriesOutcome {
  const subject: IncidentSubject = {
    type: 'rule',
    key: 'kpi_deviation',
    kind: 'deviation',
    granularity: 'day',
    title: 'KPI: unusual',
    label: 'KPI',
    severity: 'warning',
    openAfter: 1,
    resolveAfter: 2,
    cooldownDays: 1,
  };
  const history = s.values.map((value, d) => ({ period: addDays(s.first, d), value }));
  const fmt = (x: number | null | undefined) => String(x);
  let incident: Incident | undefined;
  const opened: number[] = [];
  for (let d = 1; d < s.values.length; d++) {
    const value = s.values[d] as number | null;
    if (value === null) continue; // no value: the rule is not judged (a missing-data incident instead)
    const period = addDays(s.first, d);
    const past = history.slice(Math.max(0, d - settings.history), d);
    const calendar = settings.holidays ? { holidays: s.holidays } : {};
    const j = judgeDeviation(condition, past, period, value, new Set(incident?.outliers), fmt, calendar);
    const r = j.result;
    const obs: Observation = {
      period,
      anomalous: r.holds,
      persists: r.persists,
      severity: 'warning',
      magnitude: r.magnitude,
      summary: r.detail,
      value,
      ...(r.holds ? { outlier: 'strict' as const } : r.persists ? { outlier: 'loose' as const } : {}),
      ...(r.runPeriods ? { runPeriods: r.runPeriods } : {}),
    };
    const step = advance(incident, subject, obs, `${period}T06:00:00Z`);
    incident = step.incident;
    if (step.transition?.transition === 'opened') opened.push(d);
  }
  const p = s.problem;
  const belongs = (d: number) => p !== null && d >= p.start && d <= p.end + MATCH_SLACK;
  const mine = opened.filter(belongs);
  return {
    opened,
    caught: mine[0] ?? null,
    falseAlerts: opened.filter((d) => !belongs(d)),
    duplicates: Math.max(0, mine.length - 1),
  };
}

export interface Figures {
  series: number;
  planted: number;
  caught: number;
  incidents: number;
  falseAlerts: number;
  duplicates: number;
  precision: number;
  recall: number;
  /** Days from a problem's start to its incident, median, per kind and overall (0 = on its first day). */
  medianDaysToCatch: Record<string, number | null>;
  /** Days from the day the change reached 3 sd (a drift's ramp; the first day otherwise) to its incident, median. */
  medianDaysFrom3Sd: Record<string, number | null>;
  recallByKind: Record<string, number>;
  /** Recall by planted size: 3-4, 4-5 and 5-8 sd. */
  recallBySize: Record<string, number>;
  /** False alerts on a holiday or month-end day, and in the first 28 days of a series. */
  falseOnSpecialDays: number;
  falseInFirst28Days: number;
}

/** Median of a list, null when empty. */
export const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function evaluate(series: KpiSeries[], condition: DeviationCondition, settings: Settings): Figures {
  let planted = 0;
  let caught = 0;
  let incidents = 0;
  let falseAlerts = 0;
  let duplicates = 0;
  let falseOnSpecialDays = 0;
  let falseInFirst28Days = 0;
  const delays: Record<string, number[]> = { all: [] };
  const from3Sd: Record<string, number[]> = { all: [] };
  const byKind: Record<string, { planted: number; caught: number }> = {};
  const bySize: Record<string, { planted: number; caught: number }> = {};
  for (const s of series) {
    const o = judgeSeries(s, condition, settings);
    incidents += o.opened.length;
    falseAlerts += o.falseAlerts.length;
    duplicates += o.duplicates;
    falseOnSpecialDays += o.falseAlerts.filter((d) => s.special.has(d)).length;
    falseInFirst28Days += o.falseAlerts.filter((d) => d < 28).length;
    if (s.problem) {
      planted++;
      byKind[s.problem.kind] ??= { planted: 0, caught: 0 };
      const k = byKind[s.problem.kind] as { planted: number; caught: number };
      k.planted++;
      bySize[sizeBand(s.problem)] ??= { planted: 0, caught: 0 };
      const band = bySize[sizeBand(s.problem)] as { planted: number; caught: number };
      band.planted++;
      if (o.caught !== null) {
        caught++;
        k.caught++;
        band.caught++;
        const delay = o.caught - s.problem.start;
        delays.all?.push(delay);
        delays[s.problem.kind] ??= [];
        delays[s.problem.kind]?.push(delay);
        from3Sd.all?.push(o.caught - s.problem.threeSd);
        from3Sd[s.problem.kind] ??= [];
        from3Sd[s.problem.kind]?.push(o.caught - s.problem.threeSd);
      }
    }
  }
  // Precision counts a second incident for the same problem as a false alert (one incident per problem).
  const truePositives = incidents - falseAlerts - duplicates;
  return {
    series: series.length,
    planted,
    caught,
    incidents,
    falseAlerts,
    duplicates,
    precision: round3(incidents === 0 ? 1 : truePositives / incidents),
    recall: round3(planted === 0 ? 1 : caught / planted),
    medianDaysToCatch: Object.fromEntries(Object.entries(delays).map(([k, v]) => [k, median(v)])),
    medianDaysFrom3Sd: Object.fromEntries(Object.entries(from3Sd).map(([k, v]) => [k, median(v)])),
    recallByKind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, round3(v.caught / v.planted)])),
    recallBySize: Object.fromEntries(
      Object.entries(bySize)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, round3(v.caught / v.planted)]),
    ),
    falseOnSpecialDays,
    falseInFirst28Days,
  };
}

/** What a detector that knew each series' true expected values and noise could reach, judging one day at a time. */
export interface Ceiling {
  /** Smallest |z| that alerts: the lowest with precision >= the target on the series. */
  threshold: number;
  precision: number;
  recall: number;
  recallByKind: Record<string, number>;
}

/**
 * The ceiling of the benchmark at a precision target: an oracle scores each day by its true standardised noise
 * z = (value / expected - 1) / noise (holidays and month-ends included in `expected`), alerts when |z| >= c from the
 * day detection starts judging, and catches a problem when one of its days alerts; every alert on a normal day is a
 * false incident. Any detector that must learn the expected values from the series does worse on one-day problems:
 * a single day is all the evidence there is.
 */
export function ceiling(series: readonly KpiSeries[], targetPrecision: number, firstJudged: number): Ceiling {
  const normal: number[] = [];
  const problems: Array<{ kind: Kind; best: number }> = [];
  for (const s of series) {
    const p = s.problem;
    let best = 0;
    for (let d = firstJudged; d < s.values.length; d++) {
      const v = s.values[d];
      if (v === null || v === undefined) continue;
      const z = Math.abs((v / (s.truth.expected[d] as number) - 1) / s.truth.noise);
      if (p && d >= p.start && d <= p.end) best = Math.max(best, z);
      else if (!(p && d > p.end && d <= p.end + MATCH_SLACK)) normal.push(z);
    }
    if (p) problems.push({ kind: p.kind, best });
  }
  normal.sort((a, b) => b - a);
  const at = (c: number) => {
    const falseAlerts = normal.filter((z) => z >= c).length;
    const caught = problems.filter((q) => q.best >= c);
    const precision = caught.length + falseAlerts === 0 ? 1 : caught.length / (caught.length + falseAlerts);
    return { precision, caught };
  };
  // Lower the threshold through the normal days' largest |z| while precision holds.
  let threshold = (normal[0] ?? 0) + 1e-9;
  for (const z of normal) {
    if (at(z).precision < targetPrecision) break;
    threshold = z;
  }
  const { precision, caught } = at(threshold);
  const kinds = [...new Set(problems.map((q) => q.kind))];
  return {
    threshold: round3(threshold),
    precision: round3(precision),
    recall: round3(problems.length ? caught.length / problems.length : 1),
    recallByKind: Object.fromEntries(
      kinds.map((k) => [
        k,
        round3(caught.filter((q) => q.kind === k).length / problems.filter((q) => q.kind === k).length),
      ]),
    ),
  };
}

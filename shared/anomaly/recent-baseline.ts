// The engine's short-history mode: judges the newest value of a KPI from the weeks or months of values read back each
// night, where the streaming engine's learnt tail probabilities would rest on too few points to mean much.
//
// How a value is judged:
//  1. A baseline is fitted to the values before it: level, linear trend and, for daily values, one effect per weekday;
//     in logs (multiplicative) when the series is positive. The fit is robust: a least-absolute-deviations start and
//     a t test per value leave out clear outliers (an outage nobody flagged), and least squares on the rest give the
//     baseline, its noise scale and how uncertain the baseline itself is where it is extrapolated (leverage).
//  2. The value's standardised prediction error follows Student's t with the fit's degrees of freedom, so a baseline
//     resting on 20 values needs a bigger deviation than one resting on 100 to reach the same tail probability. For
//     a multiplicative series the error is the cube root of value / baseline (about symmetric for counts).
//  3. A level shift is a run: the mean error of the last 3, 7 or 14 values (the judged one last, off on the same side),
//     tested against a baseline fitted without them. The value alone and the runs share the false-alarm budget
//     (weighted Bonferroni); the smallest corrected tail probability is the value's. The run furthest off on the
//     value's side is reported too (runDeviation), so a caller can keep an incident open while the run still is.
//  4. Known holidays (a list from config, never fitted) stay out of the baseline.
// Causal by construction: only values before the judged one are read.

import type { Assessment, DataPoint, DetectorName, PatternName } from './engine.ts';
import { type LeastSquares, leverage, predict, weightedLeastSquares } from './least-squares.ts';
import { median } from './robust.ts';
import { incompleteBeta, tQuantileTwoSided, tTwoSided } from './student-t.ts';
import { combinedDf, learnSidedTails, type SidedTails, type StandardisedErrors, type Tails } from './tails.ts';

export interface RecentBaselineOptions {
  /**
   * 0..1, default 0.5: the tail probability that scores 0.5 is 1-in-10 at 1, 1-in-10,000 at 0.5 and 1-in-10^7 at 0
   * (a factor of 10^0.6 per 0.1).
   */
  sensitivity?: number;
  /** Values (before the judged one) needed before it is judged, default MIN_HISTORY. */
  minHistory?: number;
  /** Timestamps of known holidays: left out of the baseline. */
  holidays?: ReadonlySet<number>;
  /**
   * Values older than `history`, read only to learn how heavy the noise's tails are, never for the baseline: cut into
   * blocks as long as the history (from its first value to the judged one), newest first, each standardised by a
   * baseline of its own (level, trend, weekday effects, noise scale), so a year tells heavy tails from Gaussian ones
   * where 16 weeks cannot, without a year-long baseline that would misfit trends and seasons. Values not before the
   * history's first one are ignored, and so is an oldest block with under half the history's values.
   */
  tailHistory?: readonly DataPoint[];
}

/** The short-history judgement: the engine's assessment, and how far off the recent values are together. */
export interface RecentAssessment extends Assessment {
  /**
   * The run (the last 3 or 7 values, against a baseline fitted without them) furthest from the baseline on the judged
   * value's side: its mean error in noise standard deviations of one value (signed; 0 when no run is off on that
   * side). Lets a caller keep a running incident open through one ordinary-looking day of a shift or drift whose
   * days are still a sigma off on average. In standard errors of the mean instead, three ordinary days would be "off"
   * together one time in three, and incidents would linger after a recovery; the fortnight's run is left out for the
   * same reason (up to 13 days of a recovered shift would keep it a sigma off).
   */
  runDeviation?: number;
  /**
   * The run that decided the score, when a run and not the value alone did: its length and its mean value against the
   * baseline's mean over the same periods, so a message can say "the last 7 days 21% below expected together".
   */
  run?: { length: number; actual: number; expected: number };
  /**
   * The values beyond which the value alone would score 0.5 at this sensitivity (what alerts by itself); for a series
   * never negative, alertLower is 0 where no value could be low enough.
   */
  alertLower?: number;
  alertUpper?: number;
  /**
   * When the KPI's ordinary values jump far now and then (heavier tails than Gaussian noise, beyond chance), on the
   * side(s) they do: the degrees of freedom of the Student t that side is judged by. Absent for Gaussian tails.
   */
  tails?: { below?: number; above?: number };
}

export class RecentBaselineError extends Error {
  override name = 'RecentBaselineError';
}

const DAY_MS = 86_400_000;
/** A fortnight of daily values: every weekday seen twice. */
export const MIN_HISTORY = 14;
/**
 * Run lengths tested besides the value alone: about half a week (a level shift), a week (a drift) and a fortnight (a
 * lasting shift too small to see in a week: 1.5 to 2.5 sd a day, a 25% drop in a noisy KPI).
 */
const RUNS: readonly number[] = [3, 7, 14];
/** The longest run whose deviation keeps an incident open (runDeviation). */
const PERSIST_RUN = 7;
/** Share of the false-alarm budget spent on the value alone; the runs share the rest. */
const SINGLE_SHARE = 0.7;
/** Chance that a history with no outlier loses a value to the outlier test (over all its values). */
const OUTLIER_ALPHA = 1e-3;
/** Surprise (-log10 p) that maps to score 0.5 at sensitivity 0.5: a 1-in-10,000 value. */
const HALF_SCORE_SURPRISE = 4;
/** Surprise the half-score point moves by per unit of sensitivity: 1 is a 1-in-10 value, 0 a 1-in-10^7 one. */
const SURPRISE_PER_SENSITIVITY = 6;
/** The "usual" band holds 99 of 100 values: its edges are a 1-in-100 surprise. */
const BAND_P = 0.01;
/** A run's days count at most their side's 1-in-10,000 point (about 3.9 sd for Gaussian noise). */
const RUN_CLIP_P = 1e-4;
/** Least-absolute-deviations iterations of the robust start. */
const LAD_ITERATIONS = 10;
/** Rounds of leaving out and taking back values. */
const OUTLIER_ROUNDS = 6;

interface Fit {
  ls: LeastSquares;
  /** Noise scale of the kept values' errors on the scale of `noise(error)` (a weekday's when the kinds differ). */
  noise: number;
  df: number;
  /**
   * Variance of each kind of day's noise relative to `noise` (weekdays 1, weekends `variance[1]`) and the degrees
   * of freedom each kind's noise is known with, when the kinds' noise differs beyond chance; absent otherwise.
   */
  kinds?: { variance: [number, number]; df: [number, number] };
  /** Which values the fit kept (the rest it left out as outliers), and the t limit that left them out. */
  keep: readonly boolean[];
  limit: number;
}

/** Kinds of day that keep their own noise scale: 0 weekday, 1 weekend (Saturday and Sunday). */
export type DayKind = 0 | 1;

/**
 * Two-sided significance at which the weekend days' noise is taken to differ from the weekdays' (F test of their
 * variances): a B2B KPI whose quiet weekends swing 25% while weekdays move 5% gets a band for each, where one pooled
 * scale gave weekdays a band five times too wide. Below it the pooled scale is kept: splitting costs degrees of freedom.
 */
const KIND_ALPHA = 0.01;
/** Values of the smaller kind needed before its noise is estimated apart. */
const KIND_MIN = 8;
/**
 * Largest ratio of the two kinds' noise variances (a tenth in standard deviations): a kind that is all but constant
 * (a count at 0 every Sunday) would otherwise have a noise scale near zero, and a Sunday's 1 would be "8 sigma".
 */
const KIND_MAX_RATIO = 100;

/** P(F >= f) for F with (d1, d2) degrees of freedom. */
function fUpper(f: number, d1: number, d2: number): number {
  if (!(f > 0)) return 1;
  return incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

/**
 * The baseline of rows `x` / values `y`, robust to outliers in the history: least absolute deviations find the
 * centre; a value whose error is beyond the Bonferroni-corrected t quantile for the history's length (OUTLIER_ALPHA
 * over all of it) is left out, and least squares on the rest give the baseline, repeated until the values left out
 * settle. A kept value is tested against the fit without it (its externally studentised error), so a short history
 * cannot talk itself into a tiny noise scale by leaving out its own ordinary highs and lows.
 *
 * With `kinds` (weekday or weekend per row), the kept errors of the two kinds are compared; when their noise differs
 * beyond chance (KIND_ALPHA), the fit is redone weighted by each kind's noise and each kind keeps its own scale.
 */
function robustFit(
  x: readonly Float64Array[],
  y: Float64Array,
  noise: (e: number) => number,
  kinds?: readonly DayKind[],
): Fit | null {
  const n = x.length;
  const p = (x[0] as Float64Array).length;
  if (n < p + 3) return null;
  const all = weightedLeastSquares(x, y, new Float64Array(n).fill(1));
  if (!all) return null;
  const errorsOf = (ls: LeastSquares) => y.map((v, i) => v - predict(ls, x[i] as Float64Array));
  const allErrors = errorsOf(all);
  const floor = Math.max(1e-12, 1e-6 * median(Array.from(allErrors, Math.abs)));
  let lad = all;
  let errors = allErrors;
  for (let it = 0; it < LAD_ITERATIONS; it++) {
    const next = weightedLeastSquares(
      x,
      y,
      errors.map((e) => 1 / Math.max(Math.abs(e), floor)),
    );
    if (!next) break;
    lad = next;
    errors = errorsOf(lad);
  }
  // Start: around the LAD centre, on the scale of its errors' median absolute value (1.4826 times it is a Gaussian
  // sd), so that outliers do not hide themselves: on the least-squares scale of all values, a week-long outage at 40%
  // in 16 weeks (6% of the values) stretched the scale four times over, every one of its days passed the test, and the
  // bands came out four times too wide. Values the start leaves out but the fit on the rest finds ordinary are taken
  // back below.
  const absolute = Array.from(errors, Math.abs);
  const sigmaStart = Math.max(floor, 1.4826 * median(absolute) * Math.sqrt(n / (n - p)));
  const cut = (df: number) => tQuantileTwoSided(OUTLIER_ALPHA / n, Math.max(1, df));
  const start = absolute.map((e) => e <= cut(n - p - 1) * sigmaStart);

  // Values left out and taken back until they settle, each row's noise variance being `variance[row]` times the
  // fit's (1 for all rows until the kinds of day are told apart).
  const settle = (initial: boolean[], variance: Float64Array): { fit: Fit | null; keep: boolean[] } => {
    let keep = initial;
    let fit: Fit | null = null;
    for (let round = 0; round < OUTLIER_ROUNDS; round++) {
      const kept = keep.filter(Boolean).length;
      if (kept < p + 3) return { fit, keep };
      const ls = weightedLeastSquares(
        x,
        y,
        keep.map((k, i) => (k ? 1 / (variance[i] as number) : 0)),
      );
      if (!ls) return { fit, keep };
      const e = errorsOf(ls);
      let rss = 0;
      let noiseSquares = 0;
      for (let i = 0; i < n; i++) {
        if (!keep[i]) continue;
        rss += (e[i] as number) ** 2 / (variance[i] as number);
        noiseSquares += noise(e[i] as number) ** 2 / (variance[i] as number);
      }
      const df = kept - p;
      const sigma = Math.sqrt(rss / df);
      const limit = cut(df - 1);
      fit = { ls, noise: Math.sqrt(noiseSquares / df), df, keep, limit };
      if (!(sigma > 0)) return { fit, keep };
      const next = keep.map((k, i) => {
        const h = leverage(ls, x[i] as Float64Array);
        const v = variance[i] as number;
        const ei = e[i] as number;
        if (!k) return Math.abs(ei) / (sigma * Math.sqrt(v + h)) <= limit;
        const r2 = (ei * ei) / (sigma * sigma * Math.max(1e-12 * v, v - h));
        return r2 < df && Math.sqrt((r2 * (df - 1)) / (df - r2)) <= limit;
      });
      if (next.every((k, i) => k === keep[i])) return { fit, keep };
      keep = next;
    }
    return { fit, keep };
  };

  const pooled = settle(start, new Float64Array(n).fill(1));
  if (!kinds || !pooled.fit || !(pooled.fit.noise > 0)) return pooled.fit;
  // Each kind's noise variance from its kept errors (degrees of freedom shared out by the kind's share of the rows).
  const byKind = (fit: Fit, keep: readonly boolean[]) => {
    const squares = [0, 0];
    const counts = [0, 0];
    for (let i = 0; i < n; i++) {
      if (!keep[i]) continue;
      const kind = kinds[i] as DayKind;
      squares[kind] = (squares[kind] as number) + noise((y[i] as number) - predict(fit.ls, x[i] as Float64Array)) ** 2;
      counts[kind] = (counts[kind] as number) + 1;
    }
    const kept = (counts[0] as number) + (counts[1] as number);
    const df = counts.map((c) => c - (p * c) / kept) as [number, number];
    return { counts, df, variance: squares.map((s, k) => s / Math.max(1e-9, df[k] as number)) as [number, number] };
  };
  // The pooled scale is too narrow for the noisier kind, whose ordinary highs and lows it may have left out as
  // outliers, hiding the very difference to be tested. So each kind's noise is measured from a fit that already weighs
  // the kinds by their first estimates (and leaves out by each kind's own scale), twice, and then tested.
  let fit = pooled.fit;
  let keep = pooled.keep;
  let measured = byKind(fit, keep);
  for (let round = 0; round < 2; round++) {
    if (Math.min(measured.counts[0] as number, measured.counts[1] as number) < KIND_MIN) return pooled.fit;
    const raw = measured.variance[1] / measured.variance[0];
    if (!(raw > 0 && Number.isFinite(raw))) return pooled.fit;
    const ratio = Math.min(KIND_MAX_RATIO, Math.max(1 / KIND_MAX_RATIO, raw));
    const split = settle(
      keep,
      Float64Array.from(kinds, (k) => (k === 1 ? ratio : 1)),
    );
    if (!split.fit || !(split.fit.noise > 0)) return pooled.fit;
    fit = split.fit;
    keep = split.keep;
    measured = byKind(fit, keep);
  }
  if (Math.min(measured.counts[0] as number, measured.counts[1] as number) < KIND_MIN) return pooled.fit;
  const [weekday, weekend] = measured.variance;
  if (!(weekday > 0 && weekend > 0)) return pooled.fit;
  const measuredRatio = weekend / weekday;
  const tail =
    measuredRatio >= 1
      ? fUpper(measuredRatio, measured.df[1], measured.df[0])
      : fUpper(1 / measuredRatio, measured.df[0], measured.df[1]);
  if (!(2 * tail < KIND_ALPHA)) return pooled.fit;
  const ratio = Math.min(KIND_MAX_RATIO, Math.max(1 / KIND_MAX_RATIO, measuredRatio));
  // The weighted fit's scale is the weekdays'; each kind's variance is given relative to it. Past the largest ratio the
  // quieter kind's variance is raised to a hundredth of the other's.
  const base = measuredRatio > KIND_MAX_RATIO ? weekend / KIND_MAX_RATIO : weekday;
  return {
    ...fit,
    noise: Math.sqrt(base),
    df: measured.df[0],
    kinds: { variance: [1, ratio], df: measured.df },
  };
}

/** A fit's errors as its tails are learnt from them: each side apart, and all kept ones with their signs. */
interface SidedErrors {
  below: StandardisedErrors;
  above: StandardisedErrors;
  kept: number[];
}

/**
 * The kept values' errors of `fit` (on the noise's scale, each in its own noise standard deviation, its leverage
 * taken out), split by side, and how many values on each side were left out beyond the fit's cut: what the noise's
 * tails are learnt from. When weekdays and weekends keep their own noise, the weekdays' only: a weekend kind that mixes
 * an open Saturday with a closed Sunday (a count at 0) is two scales in one, which reads as heavy tails though neither
 * day has them.
 */
function standardisedErrors(
  fit: Fit,
  x: readonly Float64Array[],
  y: Float64Array,
  noise: (e: number) => number,
  kinds: readonly DayKind[] | undefined,
): SidedErrors {
  const kept: number[] = [];
  const leftOut = { below: 0, above: 0 };
  x.forEach((row, i) => {
    if (fit.kinds && kinds?.[i] === 1) return;
    const error = noise((y[i] as number) - predict(fit.ls, row));
    if (!fit.keep[i]) {
      leftOut[error < 0 ? 'below' : 'above']++;
      return;
    }
    kept.push(error / (fit.noise * Math.sqrt(Math.max(1e-12, 1 - leverage(fit.ls, row)))));
  });
  const side = (below: boolean): StandardisedErrors => ({
    kept: kept.filter((e) => (below ? e < 0 : e >= 0)).map(Math.abs),
    cut: fit.limit,
    leftOut: leftOut[below ? 'below' : 'above'],
  });
  return { below: side(true), above: side(false), kept };
}

/**
 * The standardised errors of older values (before `past`'s first), for the noise's tails: cut into blocks as long as
 * `past` reaches back from the judged value, newest first, each fitted by its own robust baseline on the same model
 * (a block of a multiplicative KPI holding a value <= 0 is left out, as is a last block with under half as many
 * values as `past`). Each block is standardised by its own level, trend, weekday effects and noise, so a KPI that grew
 * or got noisier over the year reads as what it is, not as heavy tails.
 */
function olderErrors(
  older: readonly DataPoint[],
  past: readonly DataPoint[],
  point: DataPoint,
  model: Model,
  holidays: ReadonlySet<number> | undefined,
): SidedErrors[] {
  const first = (past[0] as DataPoint).timestamp;
  const span = point.timestamp - first;
  const usable = older
    .filter((p) => p.timestamp < first && Number.isFinite(p.value) && Number.isFinite(p.timestamp))
    .filter((p) => !holidays?.has(p.timestamp))
    .sort((a, b) => a.timestamp - b.timestamp || a.value - b.value);
  if (!(span > 0) || usable.length === 0) return [];
  const transform = model.multiplicative ? Math.log : (v: number) => v;
  const noise = model.multiplicative ? ratioNoise : (e: number) => e;
  const out: SidedErrors[] = [];
  for (let end = first; end > (usable[0] as DataPoint).timestamp; end -= span) {
    const block = usable.filter((p) => p.timestamp >= end - span && p.timestamp < end);
    if (block.length < past.length / 2) continue;
    if (model.multiplicative && !block.every((p) => p.value > 0)) continue;
    const rows = block.map((p) => model.row(p.timestamp, end));
    const ys = Float64Array.from(block, (p) => transform(p.value));
    const kinds = model.kind ? block.map((p) => (model.kind as (t: number) => DayKind)(p.timestamp)) : undefined;
    const fit = robustFit(rows, ys, noise, kinds);
    if (fit && fit.noise > 0) out.push(standardisedErrors(fit, rows, ys, noise, kinds));
  }
  return out;
}

/** Box-Cox power of value / baseline that noise is measured on: the cube root (Wilson-Hilferty). */
const LAMBDA = 1 / 3;
/** Box-Cox of value / baseline, from its log. */
const ratioNoise = (logRatio: number) => (LAMBDA === 0 ? logRatio : Math.expm1(LAMBDA * logRatio) / LAMBDA);
/** The value / baseline whose noise is u. */
const ratioOfNoise = (u: number) => (LAMBDA === 0 ? Math.exp(u) : Math.max(0, 1 + LAMBDA * u) ** (1 / LAMBDA));

interface Model {
  multiplicative: boolean;
  weekly: boolean;
  /** The regression row of a value at `t`, its trend counted from `origin` (the judged value's time by default). */
  row(t: number, origin?: number): Float64Array;
  /** Weekday or weekend, for daily values (their noise may differ); undefined for other intervals. */
  kind?: (t: number) => DayKind;
}

function modelFor(points: readonly DataPoint[], judged: DataPoint): Model {
  const gaps = points.slice(1).map((p, i) => p.timestamp - (points[i] as DataPoint).timestamp);
  const interval = gaps.length ? Math.max(1, median(gaps)) : DAY_MS;
  const weekly = Math.abs(interval - DAY_MS) < DAY_MS / 4;
  const multiplicative = judged.value > 0 && points.every((p) => p.value > 0);
  // Trend per 28 intervals keeps the columns on similar scales.
  const row = (t: number, origin = judged.timestamp) => {
    const r = new Float64Array(weekly ? 8 : 2);
    r[0] = 1;
    r[1] = (t - origin) / (28 * interval);
    if (weekly) {
      const weekday = new Date(t).getUTCDay();
      if (weekday > 0) r[1 + weekday] = 1;
    }
    return r;
  };
  const kind = (t: number): DayKind => {
    const weekday = new Date(t).getUTCDay();
    return weekday === 0 || weekday === 6 ? 1 : 0;
  };
  return { multiplicative, weekly, row, ...(weekly ? { kind } : {}) };
}

interface RunTest {
  k: number;
  z: number;
  p: number;
  /** The mean error of the k values in noise standard deviations of one value. */
  sigmas: number;
  /** Mean of the k values, and of the baseline over them. */
  actual: number;
  expected: number;
}

/**
 * Judges `point` from `history` (values before it, any order; later ones are ignored): what the baseline expects, the
 * usual band (99 of 100 values fall in it), and a score in [0, 1]: surprise / (surprise + half), surprise being
 * -log10 of the tail probability and half set by the sensitivity (4, a 1-in-10,000 value, at 0.5).
 */
export function judgeRecent(
  history: readonly DataPoint[],
  point: DataPoint,
  options: RecentBaselineOptions = {},
): RecentAssessment {
  const sensitivity = options.sensitivity ?? 0.5;
  if (!(sensitivity >= 0 && sensitivity <= 1))
    throw new RecentBaselineError(`sensitivity must be in [0, 1]: ${sensitivity}`);
  const minHistory = options.minHistory ?? MIN_HISTORY;
  if (!Number.isInteger(minHistory) || minHistory < 4)
    throw new RecentBaselineError(`minHistory must be an integer >= 4, got ${minHistory}`);
  if (!Number.isFinite(point.timestamp) || !Number.isFinite(point.value))
    throw new RecentBaselineError(`point is not finite: ${point.timestamp}, ${point.value}`);

  const past = history
    .filter((p) => p.timestamp < point.timestamp && Number.isFinite(p.value) && Number.isFinite(p.timestamp))
    .filter((p) => !options.holidays?.has(p.timestamp))
    .sort((a, b) => a.timestamp - b.timestamp || a.value - b.value);
  const notReady = (): RecentAssessment => ({
    score: 0,
    expected: past.length ? median(past.map((p) => p.value)) : null,
    lower: null,
    upper: null,
    ready: false,
    reason: `not enough history (${past.length} points seen, ${minHistory} needed)`,
  });
  if (past.length < minHistory) return notReady();

  const model = modelFor(past, point);
  const transform = model.multiplicative ? Math.log : (v: number) => v;
  const back = model.multiplicative ? Math.exp : (v: number) => v;
  // Noise of a multiplicative series is measured on the cube root of value / baseline (Wilson-Hilferty): about
  // symmetric for counts, whose day-to-day noise is skewed up a little (variance growing as the square of the mean).
  const noise = model.multiplicative ? ratioNoise : (e: number) => e;
  const judged = [...past, point];
  const rows = judged.map((p) => model.row(p.timestamp));
  const ys = Float64Array.from(judged, (p) => transform(p.value));
  const kinds = model.kind ? judged.map((p) => (model.kind as (t: number) => DayKind)(p.timestamp)) : undefined;
  // A row's noise variance relative to the fit's scale, and the degrees of freedom that variance is known with.
  const varianceOf = (fit: Fit, i: number) => (fit.kinds ? fit.kinds.variance[kinds?.[i] ?? 0] : 1);
  const dfOf = (fit: Fit, i: number) => (fit.kinds ? fit.kinds.df[kinds?.[i] ?? 0] : fit.df);

  const fits: Array<{ k: number; size: number; fit: Fit }> = [];
  for (const k of [1, ...RUNS]) {
    const size = judged.length - k;
    if (size < minHistory) continue;
    const fit = robustFit(rows.slice(0, size), ys.subarray(0, size), noise, kinds?.slice(0, size));
    if (fit && fit.noise > 0) fits.push({ k, size, fit });
  }
  // The noise's own tails, each side apart, learnt from the fit that reads the least of the newest values (the longest
  // run's): a shift under way is not taken for heavy tails. Older blocks, each with its own fit, add their errors.
  const tailFit = fits.at(-1);
  const errors = tailFit ? standardisedErrors(tailFit.fit, rows.slice(0, tailFit.size), ys, noise, kinds) : null;
  const older = errors ? olderErrors(options.tailHistory ?? [], past, point, model, options.holidays) : [];
  const evidence = errors ? [errors, ...older] : [];
  const tails: SidedTails = errors
    ? learnSidedTails(
        evidence.map((e) => e.below),
        evidence.map((e) => e.above),
      )
    : { below: null, above: null };
  const heavy = tails.below !== null || tails.above !== null;
  const tailOf = (error: number): Tails | null => (error < 0 ? tails.below : tails.above);
  // A run's days are clipped before they are averaged: a run is there for a shift, days consistently off, and one far
  // day (a big order, an outage) carried the mean of the 3 and 7 days it ends past the bar for a week, re-alerting and
  // keeping its incident open. A Gaussian side clips at its 1-in-10,000 point (a shift of up to 3 sd a day, what the
  // runs are for, is hardly touched); a heavy tail at its 1-in-100 point, since the mean of a few heavy-tailed values
  // keeps their power-law tail. With a heavy tail the clipped mean is centred (a tail clipped on one side moves it) and
  // taken against the spread of clipped errors measured on the history; Gaussian days lose next to no spread.
  const clipAt = (tail: Tails | null, df: number) =>
    tail ? tQuantileTwoSided(BAND_P, tail.nu) * tail.scale : tQuantileTwoSided(RUN_CLIP_P, df);
  const clipperFor = (df: number) => {
    const [below, above] = [clipAt(tails.below, df), clipAt(tails.above, df)];
    return (e: number) => Math.max(-below, Math.min(above, e));
  };
  const clippedKept = heavy && tailFit && errors ? errors.kept.map(clipperFor(tailFit.fit.df)) : [];
  const clippedMean = heavy ? clippedKept.reduce((a, b) => a + b, 0) / clippedKept.length : 0;
  const clippedVariance = heavy
    ? clippedKept.reduce((sum, e) => sum + (e - clippedMean) ** 2, 0) / Math.max(1, clippedKept.length - 1)
    : 1;

  let today: { fit: Fit; fitted: number; leverage: number; variance: number; df: number; z: number } | null = null;
  const tests: RunTest[] = [];
  for (const { k, size, fit } of fits) {
    // The run's shift is the mean of its days' errors, each in its own kind's noise (the plain mean when all days'
    // noise is alike). Weighted by precision instead, a run's quiet Sundays (a count near 0, with next to no noise)
    // outweighed its weekdays, where a drop shows, and a 10-day weekday drop never made a run.
    // Days of each kind in the run: their mean rests on each kind's noise in proportion (its degrees of freedom below).
    const ofKind = [0, 0];
    let mean = 0;
    // The same mean, each day clipped (in the noise's sd): what the run is judged by, and how far off it is for keeping
    // an incident open (a big order's day kept an average-order-value incident open five days).
    let clipped = 0;
    const clipOf = clipperFor(fit.df);
    let actual = 0;
    let baseline = 0;
    const average = new Float64Array((rows[0] as Float64Array).length);
    for (let i = size; i < judged.length; i++) {
      const row = rows[i] as Float64Array;
      ofKind[kinds?.[i] ?? 0] = (ofKind[kinds?.[i] ?? 0] as number) + 1;
      const weight = 1 / (k * Math.sqrt(varianceOf(fit, i)));
      const error = weight * noise((ys[i] as number) - predict(fit.ls, row));
      mean += error;
      clipped += clipOf((k * error) / fit.noise) / k;
      actual += (judged[i] as DataPoint).value / k;
      baseline += back(predict(fit.ls, row)) / k;
      for (let c = 0; c < average.length; c++) average[c] = (average[c] as number) + weight * (row[c] as number);
    }
    // Each day's error is in its own kind's noise, known with that kind's degrees of freedom: the run's mean rests on
    // both in proportion to its days of each (Welch-Satterthwaite). Judged at the smaller kind's, every run holding a
    // weekend day was read at the weekend's few (about 28 of 16 weeks, against 90 here for 5 weekdays and 2 weekend
    // days), and a 2-sd-a-day fortnight's drop on a B2B KPI's weekdays was caught in 6 of 30 series.
    const df = fit.kinds
      ? k ** 2 / ((ofKind[0] as number) ** 2 / fit.kinds.df[0] + (ofKind[1] as number) ** 2 / fit.kinds.df[1])
      : fit.df;
    const z = mean / (fit.noise * Math.sqrt(1 / k + leverage(fit.ls, average)));
    // The value alone: with a heavy tail on its side, the learnt t on the learnt scale (its uncertainty's df combined),
    // never less surprising than the Gaussian reading (the scale learnt with the tail can read a little under the
    // measured one). A run: its clipped mean (centred) against the clipped errors' spread.
    const tail = tailOf(z);
    const runZ = (clipped - clippedMean) / Math.sqrt(clippedVariance / k + leverage(fit.ls, average));
    const p =
      k === 1
        ? Math.max(tTwoSided(z, df), tail ? tTwoSided(z / tail.scale, combinedDf(tail.nu, df)) : 0)
        : tTwoSided(runZ, df);
    const lastIndex = judged.length - 1;
    const last = rows[lastIndex] as Float64Array;
    const fitted = predict(fit.ls, last);
    if (k === 1) {
      today = {
        fit,
        fitted,
        leverage: leverage(fit.ls, last),
        variance: varianceOf(fit, lastIndex),
        df: dfOf(fit, lastIndex),
        z,
      };
    }
    // A run counts only while the judged value is itself off on the run's side: yesterday's blip is not today's shift.
    // One that does not still takes its share of the budget (p 1), so the value alone's share, and the alert bounds
    // announced with it, do not depend on the value: dropped, an ordinary day announced its bounds at the whole budget
    // and a value at them was judged at 70% of it (a heavy-tailed KPI said "alerts below 428" and 370 did not alert).
    if (k > 1 && Math.sign((ys[lastIndex] as number) - fitted) !== Math.sign(mean)) {
      tests.push({ k, z: 0, p: 1, sigmas: 0, actual, expected: baseline });
      continue;
    }
    tests.push({ k, z: k === 1 ? z : runZ, p, sigmas: clipped, actual, expected: baseline });
  }
  if (!today) return notReady();

  // Weighted Bonferroni: the value alone has SINGLE_SHARE of the false-alarm budget, the runs tested share the rest.
  const runCount = tests.length - 1;
  const share = (k: number) => (runCount === 0 ? 1 : k === 1 ? SINGLE_SHARE : (1 - SINGLE_SHARE) / runCount);
  const best = tests.reduce((a, b) => (b.p / share(b.k) < a.p / share(a.k) ? b : a));
  const pValue = Math.min(1, best.p / share(best.k));
  const surprise = Math.max(0, -Math.log10(Math.max(pValue, Number.MIN_VALUE)));
  const half = HALF_SCORE_SURPRISE - SURPRISE_PER_SENSITIVITY * (sensitivity - 0.5);
  const expected = back(today.fitted);
  // Each edge from its own side's tail.
  const bandAt = (p: number): [number, number] => {
    const widthOf = (tail: Tails | null) =>
      Math.max(
        tQuantileTwoSided(p, today.df),
        tail ? tQuantileTwoSided(p, combinedDf(tail.nu, today.df)) * tail.scale : 0,
      ) *
      today.fit.noise *
      Math.sqrt(today.variance + today.leverage);
    const [below, above] = [widthOf(tails.below), widthOf(tails.above)];
    return model.multiplicative
      ? [expected * ratioOfNoise(-below), expected * ratioOfNoise(above)]
      : [expected - below, expected + above];
  };
  // A KPI that has never been negative cannot fall below zero: a band reaching there (an additive count near 0 on a
  // quiet day) stops at 0.
  const floor = point.value >= 0 && past.every((p) => p.value >= 0) ? 0 : Number.NEGATIVE_INFINITY;
  const [lower, upper] = bandAt(BAND_P).map((x, i) => (i === 0 ? Math.max(floor, x) : x)) as [number, number];
  // The value alone scores 0.5 where its corrected tail probability is 10^-half.
  const [alertLower, alertUpper] = bandAt(Math.min(1, 10 ** -half * share(1))).map((x, i) =>
    i === 0 ? Math.max(floor, x) : x,
  ) as [number, number];
  const pattern: PatternName = model.weekly ? 'weekly' : 'recent';
  const detector: DetectorName = best.k > 1 ? 'level_shift' : 'spike';
  const side = point.value >= expected ? 'above' : 'below';
  const words = model.weekly ? 'weekly pattern' : 'recent trend';
  const runDeviation = tests
    .filter((t) => t.k > 1 && t.k <= PERSIST_RUN)
    .reduce((far, t) => (Math.abs(t.sigmas) > Math.abs(far) ? t.sigmas : far), 0);
  const runWords = best.k > 1 ? `, the last ${best.k} values ${Math.abs(best.z).toFixed(1)} sigma off together` : '';
  const tailWords = [
    ...(tails.below ? [`a heavy tail below (t with ${tails.below.nu} df)`] : []),
    ...(tails.above ? [`a heavy tail above (t with ${tails.above.nu} df)`] : []),
  ]
    .map((w) => `, ${w}`)
    .join('');
  return {
    score: surprise / (surprise + half),
    expected,
    lower,
    upper,
    ready: true,
    pattern,
    detector,
    pValue,
    deviation: today.z,
    runDeviation,
    ...(best.k > 1 ? { run: { length: best.k, actual: best.actual, expected: best.expected } } : {}),
    alertLower,
    alertUpper,
    ...(heavy
      ? {
          tails: {
            ...(tails.below ? { below: tails.below.nu } : {}),
            ...(tails.above ? { above: tails.above.nu } : {}),
          },
        }
      : {}),
    reason: `${side} the ${words} by ${Math.abs(today.z).toFixed(1)} sigma${runWords}${tailWords}`,
  };
}

// Causal, streaming deviation engine: scores each new point of a KPI or metric series against what its own past
// predicts, as a score in [0, 1]. One configuration for every kind of series: nothing in it is set per series.
//
// How a point is judged:
//  1. Forecasters predict it from the past only: the median of the last few points (recent level), and for each
//     season that fits the sampling interval (a day, a week) the current level plus the median deviation seen at
//     this phase in the last few cycles. Each keeps a robust (clipped) running scale of its own errors, and the one
//     with the smallest typical error speaks for the point. After a gap longer than the recent window's span, the
//     recent level describes a time long past: it neither judges nor learns until most of its window is new.
//  2. Its standardised errors feed an ensemble of detectors, each a statistic of the last few errors:
//       spike           |z| of the point itself;
//       level shift     |median z| of the last `shiftSpan` points (a sustained shift single blips cannot fake);
//       variance change median |z| of the last `volSpan` points (the series got noisier without moving);
//     and while the recent level speaks (no seasonal pattern does), a slow-reference level shift: the median of the
//     last `shiftSpan` values against the median of the values before them, which the recent level's quick
//     adaptation would otherwise hide.
//     Seasonal residuals are what the daily and weekly forecasters' errors are.
//  3. Each statistic becomes a tail probability learned from that forecaster's own history (calibration.ts), so a
//     naturally spiky series needs a bigger deviation to score as high as a smooth one; the ensemble's probability is
//     the smallest one, Bonferroni-corrected for the number of detectors.
//     Besides the forecasters' tests, level novelty (the point's own scale only): once NOVELTY_WARMUP points are seen,
//     values are binned on a fixed grid (NOVELTY_BIN x the series' typical spread wide, from its mean then), and a
//     point in a bin never visited before is novel. Its tail probability is the decayed share of the series' own
//     past points that were novel too (a conformal rank, never below 1 in the points remembered), so a series that
//     keeps exploring new levels is not surprised by one more. It takes NOVELTY_SHARE of the alpha on top of the
//     other tests (in the spirit of contextOSE, with a context of one value: longer contexts were never rarer).
//  4. Coarser scales: the same judgement runs on the means of consecutive blocks of `scales` points (16 and 64 by
//     default: 80 minutes and 5 hours of 5-minute data), each block judged when it closes by its own engine with its
//     own learnt tails. A slow slide or a rise in a noisy series that no single point gives away shows up in the
//     block means. A scale speaks once SCALE_WARM_BLOCKS of its blocks have closed (before that its tails are mostly
//     prior); the row's probability is the smallest over the scales. No correction for the extra scales: a scale of
//     k points tests one row in k, so together they add 1/16 + 1/64 of a test per row. A block-mean engine has one
//     more forecaster, the previous block's mean: averaging takes most of the noise out of a block, so a slowly
//     wandering level (a temperature, a load) is best predicted by where it just was, while the recent median of 8
//     blocks lags behind it.
//  5. An incident alerts once: the surprise, -log10(p), counts only by how far it exceeds a share of the recent
//     (decaying) peak surprise, or all of it while an incident is open (peak beyond 1-in-10^4). The score is
//     surprise / (surprise + h), with h set by `sensitivity`: a monotone map, so rankings never saturate.

import { createTailCalibrator, observe, survival, type TailCalibrator } from './calibration.ts';
import { createSortedWindow, lowerBound, median, pushWindow, type SortedWindow, windowMedian } from './robust.ts';

export interface DataPoint {
  /** Epoch milliseconds. */
  timestamp: number;
  value: number;
}

/**
 * Which forecaster explained a point: the recent level, the daily or weekly pattern, or (for the block means of a
 * coarser scale) the previous block's mean.
 */
export type PatternName = 'recent' | 'daily' | 'weekly' | 'previous';

/** Which detector of the ensemble was most surprised. */
export type DetectorName = 'spike' | 'level_shift' | 'variance' | 'novelty';

export interface Assessment {
  /** 0 = ordinary, towards 1 = as surprising as it gets; 0.5 is about a 1-in-100 deviation at default sensitivity. */
  score: number;
  /** What the past predicts for this point. */
  expected: number | null;
  /** A band around `expected` that normal values fall in (about +-3 sigma at default sensitivity). */
  lower: number | null;
  upper: number | null;
  /** False while there is not enough history to judge; the score is then 0. */
  ready: boolean;
  /** The forecaster that spoke for the point (set whenever `expected` is). */
  pattern?: PatternName;
  /** The detector with the smallest tail probability (once ready). */
  detector?: DetectorName;
  /** Tail probability (once ready) before the repeat discount: the point's ensemble, or a closing block's if smaller. */
  pValue?: number;
  /** Points averaged by the scale that spoke: 1 for the point itself, else the block of `scales` it closed. */
  scale?: number;
  /** How far the point is from `expected`, in standard errors of the prediction (signed; once ready). */
  deviation?: number;
  /** 'below the weekly pattern by 4.2 sigma'. */
  reason?: string;
}

/**
 * The engine's few structural settings. One set holds for every series; the NAB benchmark chooses among a small
 * grid of them with one category left out at a time (bench/anomaly.ts), never per series.
 */
export interface EngineTuning {
  /** Points in the level-shift median. */
  shiftSpan: number;
  /** Points in the variance-change median. */
  volSpan: number;
  /** Share of the recent peak surprise subtracted from the current one while no incident is open. */
  repeatDiscount: number;
  /** Half-life of that peak, in days (and at least 3 points). */
  peakHalfLifeDays: number;
  /** Block lengths (points) of the coarser scales judged besides the points themselves; empty for none. */
  scales: readonly number[];
}

export const DEFAULT_TUNING: Readonly<EngineTuning> = {
  shiftSpan: 8,
  volSpan: 24,
  repeatDiscount: 0.5,
  peakHalfLifeDays: 0.5,
  scales: [16, 64],
};

export interface DeviationOptions {
  /** 0..1, default 0.5. Higher scores the same deviation higher and narrows the band. */
  sensitivity?: number;
  /** Points needed before the engine scores, default 14 (a fortnight of daily values). */
  minHistory?: number;
  /** Past cycles remembered per seasonal phase, default 5. */
  seasonCycles?: number;
  /** Points in the recent-level median, default 8. */
  recentWindow?: number;
  /** Structural settings, default DEFAULT_TUNING. */
  tuning?: Partial<EngineTuning>;
  /** Resume from a `snapshot()`; the structural options above are then taken from the snapshot. */
  state?: DeviationState;
}

export interface DeviationDetector {
  update(point: DataPoint): Assessment;
  /** A JSON-safe copy of the engine's state, to persist and pass back as `options.state`. */
  snapshot(): DeviationState;
}

export class DeviationError extends Error {
  override name = 'DeviationError';
}

interface Forecaster {
  name: PatternName;
  /** Errors it must have made before it may speak for a point: a new seasonal model needs a full cycle. */
  burnIn: number;
  /** Robust running mean absolute error. */
  scale: number;
  residuals: number;
  /** Last few standardised errors, newest last. */
  zs: number[];
  /** One calibrator per detector of the ensemble. */
  spike: TailCalibrator;
  shift: TailCalibrator;
  variance: TailCalibrator;
}

interface Season {
  name: PatternName;
  period: number;
  buckets: number;
  /** Per phase bucket, the last `cycles` deviations from the level, newest last. */
  store: number[][];
  /** Level = median of the last period's values, used to deseasonalise (and so to follow trends). */
  level: SortedWindow;
  forecaster: Forecaster;
}

/** A coarser scale: the running block, and the engine that judges block means. */
export interface ScaleState {
  points: number;
  sum: number;
  count: number;
  /** Blocks closed so far. */
  closed: number;
  state: DeviationState;
}

export interface DeviationState {
  version: 4;
  config: { minHistory: number; cycles: number; recentWindow: number };
  tuning: EngineTuning;
  /** Sampling interval in ms, once learnt. */
  interval: number | null;
  diffs: number[];
  /** Points seen before the interval was known, replayed into the seasons once it is. */
  pending: DataPoint[];
  lastTimestamp: number | null;
  /** Points since the last gap longer than the recent window's span (absent until the first such gap). */
  sinceGap?: number;
  n: number;
  recent: SortedWindow;
  recentForecaster: Forecaster;
  /** Block-mean engines only: the previous value (block mean) as a forecast, and that value. */
  previousForecaster: Forecaster | null;
  previous: number | null;
  seasons: Season[];
  /** Slow running mean and mean absolute deviation of the values: a floor for forecaster scales. */
  mean: number;
  spread: number;
  /**
   * Level-shift reference: the last `shiftSpan` values, and the REFERENCE_SPANS x shiftSpan values before them. A
   * recent-level forecast follows a shift within a few points; this slower reference does not.
   */
  shortValues: SortedWindow;
  referenceValues: SortedWindow;
  referenceShift: TailCalibrator;
  /** Decaying peak surprise, and its per-point decay factor. */
  peak: number;
  peakDecay: number;
  scales: ScaleState[];
  /** Level novelty (the point engine only; absent until its first point, and in older snapshots). */
  novelty?: NoveltyState;
}

/** Which levels (bins of a fixed grid) the series has visited, and how often a point visited a new one. */
export interface NoveltyState {
  /** The grid, fixed once NOVELTY_WARMUP points are seen; null before. */
  origin: number | null;
  width: number;
  /** Visited bins, ascending. */
  levels: number[];
  /** Decayed counts (half-life NOVELTY_HALF_LIFE points) of novel points and of all points since the grid. */
  novel: number;
  total: number;
  /** Points binned. */
  n: number;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** Gaps between timestamps used to learn the sampling interval. */
const INTERVAL_SAMPLES = 12;
/** Mean absolute error of a normal variable is 0.8 sigma. */
const MAD_TO_SIGMA = 1.2533;
/** Horizon (points) of the running error scale. */
const SCALE_MEMORY = 200;
/** Errors beyond CLIP x scale update the scale as if they were CLIP x scale: one bad day cannot poison it. */
const CLIP = 4;
/** A forecaster's sigma is at least FLOOR x the series' typical spread, so flat stretches do not make it zero. */
const FLOOR = 0.05;
/** Surprise (p < 1e-4) that opens an incident: until its peak decays below this, only escalation scores. */
const INCIDENT_SURPRISE = 4;
/** Surprise (-log10 p) that maps to score 0.5 at sensitivity 0.5. */
const HALF_SCORE_SURPRISE = 2;
/** Surprises below the alert level are ordinary noise: they do not discount the points after them. */
const PEAK_FROM = HALF_SCORE_SURPRISE;
/** Length of the level-shift reference window, in level-shift spans. */
const REFERENCE_SPANS = 8;
/** Values of the level-shift statistic learnt before its tail probability is used. */
const REFERENCE_WARMUP = 50;
/** Errors a forecaster needs before it tests points. */
const MIN_RESIDUALS = 2;
/** Seasons with fewer phase buckets than this carry no pattern; more would cost too much memory. */
const MIN_BUCKETS = 4;
const MAX_BUCKETS = 5000;
/** Blocks a coarser scale must have closed before it speaks: its tails are learnt, not the prior's. */
const SCALE_WARM_BLOCKS = 50;
/** Points seen before the level-novelty grid is fixed, and binned points before novelty is tested. */
const NOVELTY_WARMUP = 200;
const NOVELTY_MIN_POINTS = 100;
/** Width of a level-novelty bin, in the series' typical spread. */
const NOVELTY_BIN = 0.5;
/** Half-life (points) of the share of novel points the novelty test compares with. */
const NOVELTY_HALF_LIFE = 4000;
/** Share of the alpha spent on the novelty test, on top of the forecasters' and slow reference's x2. */
const NOVELTY_SHARE = 0.2;
/** Levels remembered at most; beyond them no level is new. */
const MAX_LEVELS = 5000;

function newForecaster(name: PatternName, burnIn: number): Forecaster {
  return {
    name,
    burnIn,
    scale: 0,
    residuals: 0,
    zs: [],
    spike: createTailCalibrator(),
    shift: createTailCalibrator(),
    variance: createTailCalibrator(),
  };
}

/**
 * Updates a forecaster's scale with a clipped error. The clip is at least CLIP x `floor` (the scale whose sigma is the
 * series' floor): clipped at CLIP x a scale of 0, a forecaster whose first error was exactly 0 (two equal values)
 * kept a scale of 0 for good, and spoke for every point with the floor as its sigma.
 */
function learnScale(f: Forecaster, error: number, floor: number): void {
  const a = Math.abs(error);
  if (f.residuals === 0) f.scale = a;
  else {
    const alpha = 1 / Math.min(f.residuals + 1, SCALE_MEMORY);
    f.scale += alpha * (Math.min(a, CLIP * Math.max(f.scale, floor)) - f.scale);
  }
  f.residuals++;
}

function createSeasons(interval: number): Season[] {
  const out: Season[] = [];
  for (const [name, period] of [
    ['daily', DAY_MS],
    ['weekly', WEEK_MS],
  ] as const) {
    const buckets = Math.round(period / interval);
    if (buckets < MIN_BUCKETS || buckets > MAX_BUCKETS) continue;
    out.push({
      name,
      period,
      buckets,
      store: Array.from({ length: buckets }, () => []),
      level: createSortedWindow(buckets),
      forecaster: newForecaster(name, buckets),
    });
  }
  return out;
}

/**
 * Phase bucket of a timestamp, measured from the epoch so it is stable across restarts. Rounding (not flooring)
 * keeps a daily KPI stamped at local midnight in the same weekday bucket when DST moves it by an hour.
 */
function bucketOf(s: Season, t: number, interval: number): number {
  const phase = ((t % s.period) + s.period) % s.period;
  return Math.round(phase / interval) % s.buckets;
}

/** Seasonal forecast: current level plus the median past deviation at this phase; null until 2 cycles are seen. */
function seasonalForecast(s: Season, t: number, interval: number): number | null {
  const past = s.store[bucketOf(s, t, interval)] as number[];
  if (past.length < 2 || s.level.fifo.length === 0) return null;
  return windowMedian(s.level) + median(past);
}

function learnSeason(s: Season, t: number, x: number, interval: number, cycles: number): void {
  pushWindow(s.level, x);
  const store = s.store[bucketOf(s, t, interval)] as number[];
  store.push(x - windowMedian(s.level));
  if (store.length > cycles) store.shift();
}

function checkTuning(t: EngineTuning): EngineTuning {
  for (const key of ['shiftSpan', 'volSpan'] as const) {
    if (!Number.isInteger(t[key]) || t[key] < 1 || t[key] > 1000)
      throw new DeviationError(`tuning.${key} must be an integer in 1..1000, got ${t[key]}`);
  }
  if (!(t.repeatDiscount >= 0 && t.repeatDiscount <= 1))
    throw new DeviationError(`tuning.repeatDiscount must be in [0, 1], got ${t.repeatDiscount}`);
  if (!(t.peakHalfLifeDays > 0 && t.peakHalfLifeDays <= 365))
    throw new DeviationError(`tuning.peakHalfLifeDays must be in (0, 365], got ${t.peakHalfLifeDays}`);
  for (const k of t.scales) {
    if (!Number.isInteger(k) || k < 2 || k > 10_000)
      throw new DeviationError(`tuning.scales must hold integers in 2..10000, got ${k}`);
  }
  return t;
}

/** `blocks`: the state of a coarser scale's engine, which judges block means. */
function initialState(options: DeviationOptions, blocks = false): DeviationState {
  const minHistory = options.minHistory ?? 14;
  const cycles = options.seasonCycles ?? 5;
  const recentWindow = options.recentWindow ?? 8;
  for (const [name, v] of [
    ['minHistory', minHistory],
    ['seasonCycles', cycles],
    ['recentWindow', recentWindow],
  ] as const) {
    if (!Number.isInteger(v) || v < 2) throw new DeviationError(`${name} must be an integer >= 2, got ${v}`);
  }
  const tuning = checkTuning({ ...DEFAULT_TUNING, ...options.tuning });
  // A block-mean engine has the same settings and no coarser scales of its own.
  const scales = tuning.scales.map((points) => ({
    points,
    sum: 0,
    count: 0,
    closed: 0,
    state: initialState({ minHistory, seasonCycles: cycles, recentWindow, tuning: { ...tuning, scales: [] } }, true),
  }));
  return {
    version: 4,
    config: { minHistory, cycles, recentWindow },
    tuning,
    interval: null,
    diffs: [],
    pending: [],
    lastTimestamp: null,
    n: 0,
    recent: createSortedWindow(recentWindow),
    recentForecaster: newForecaster('recent', 0),
    previousForecaster: blocks ? newForecaster('previous', minHistory) : null,
    previous: null,
    seasons: [],
    mean: 0,
    spread: 0,
    shortValues: createSortedWindow(tuning.shiftSpan),
    referenceValues: createSortedWindow(REFERENCE_SPANS * tuning.shiftSpan),
    referenceShift: createTailCalibrator(),
    peak: 0,
    peakDecay: 1,
    scales,
  };
}

/** What one forecaster's ensemble says about one point. Calibrators learn the point afterwards. */
interface Test {
  f: Forecaster;
  expected: number;
  sigma: number;
  z: number;
  /** Ensemble tail probability: the smallest detector's, Bonferroni-corrected. */
  pValue: number;
  detector: DetectorName;
  eligible: boolean;
}

/** Median of the last k values of a list, or of their absolute values. */
function tailMedian(values: readonly number[], k: number, abs: boolean): number {
  const tail = values.slice(-k);
  return median(abs ? tail.map(Math.abs) : tail);
}

function runTest(st: DeviationState, f: Forecaster, expected: number, x: number): Test | null {
  if (f.residuals < MIN_RESIDUALS) return null;
  const { shiftSpan, volSpan } = st.tuning;
  const sigma = Math.max(f.scale * MAD_TO_SIGMA, FLOOR * st.spread, 1e-12);
  const z = (x - expected) / sigma;
  f.zs.push(z);
  if (f.zs.length > Math.max(shiftSpan, volSpan)) f.zs.shift();
  const stats: Array<[DetectorName, TailCalibrator, number]> = [
    ['spike', f.spike, Math.abs(z)],
    // The median ignores isolated blips (a daily transition a sample early) but not a shift that persists.
    ['level_shift', f.shift, Math.abs(tailMedian(f.zs, shiftSpan, false))],
    ['variance', f.variance, tailMedian(f.zs, volSpan, true)],
  ];
  let pValue = 1;
  let detector: DetectorName = 'spike';
  for (const [name, calibrator, s] of stats) {
    const p = survival(calibrator, s);
    if (p < pValue) {
      pValue = p;
      detector = name;
    }
  }
  // Calibration learns only once the scale has settled: z from a handful of errors would stay in it for good.
  if (f.residuals >= st.config.minHistory) {
    for (const [name, calibrator, s] of stats)
      if (name !== 'variance' || f.zs.length >= volSpan) observe(calibrator, s);
  }
  return {
    f,
    expected,
    sigma,
    z,
    pValue: Math.min(1, stats.length * pValue),
    detector,
    eligible: f.residuals >= f.burnIn,
  };
}

/**
 * Level novelty of x, then learns it: the tail probability that a point visits a never-visited bin (1 if x's bin was
 * visited before, or while the grid or its history is still short).
 */
function noveltyTest(st: DeviationState, x: number): number {
  st.novelty ??= { origin: null, width: 0, levels: [], novel: 0, total: 0, n: 0 };
  const nv = st.novelty;
  if (nv.origin === null) {
    if (st.n < NOVELTY_WARMUP || !(st.spread > 0)) return 1;
    nv.origin = st.mean;
    nv.width = NOVELTY_BIN * st.spread;
  }
  const bin = Math.floor((x - nv.origin) / nv.width);
  const at = lowerBound(nv.levels, bin);
  // A series that has visited MAX_LEVELS levels keeps exploring: firsts are ordinary for it, and its state stays small.
  const novel = nv.levels[at] !== bin && nv.levels.length < MAX_LEVELS;
  const p = novel && nv.n >= NOVELTY_MIN_POINTS ? Math.min(1, (nv.novel + 1) / (nv.total + 1)) : 1;
  if (novel) nv.levels.splice(at, 0, bin);
  const decay = 0.5 ** (1 / NOVELTY_HALF_LIFE);
  nv.novel = nv.novel * decay + (novel ? 1 : 0);
  nv.total = nv.total * decay + 1;
  nv.n++;
  return p;
}

const DETECTOR_WORDS: Record<DetectorName, string> = {
  spike: '',
  level_shift: ', a level shift',
  variance: ', more volatile than usual',
  novelty: '',
};

function describe(t: Test, x: number): string {
  const model =
    t.f.name === 'recent' ? 'recent level' : t.f.name === 'previous' ? 'previous block' : `${t.f.name} pattern`;
  const side = x >= t.expected ? 'above' : 'below';
  return `${side} the ${model} by ${Math.abs(t.z).toFixed(1)} sigma${DETECTOR_WORDS[t.detector]}`;
}

/** 'the last 8 points are above the level before them by 6.1 sigma, a level shift' (the slow reference spoke). */
function describeShift(shift: { stat: number; above: boolean }, span: number): string {
  const side = shift.above ? 'above' : 'below';
  return `the last ${span} points are ${side} the level before them by ${shift.stat.toFixed(1)} sigma, a level shift`;
}

/** Scores each point of a series in order; a point's assessment depends on it and earlier points only. */
export function createDeviationDetector(options: DeviationOptions = {}): DeviationDetector {
  const sensitivity = options.sensitivity ?? 0.5;
  if (!(sensitivity >= 0 && sensitivity <= 1))
    throw new DeviationError(`sensitivity must be in [0, 1]: ${sensitivity}`);
  // 0.5 -> x1, 1 -> x2, 0 -> x0.5: a gain on surprise and an inverse gain on the band.
  const gain = 2 ** ((sensitivity - 0.5) * 2);
  const st: DeviationState = options.state ? structuredClone(options.state) : initialState(options);
  if (st.version !== 4) throw new DeviationError(`unknown state version ${String(st.version)}`);
  return detectorOn(st, gain);
}

/** What the mean of a closed block of `points` points was judged. */
interface BlockJudgement {
  points: number;
  pValue: number;
  a: Assessment;
}

/** A detector working on `st` in place (the block-mean engines of the coarser scales live inside their parent's). */
function detectorOn(st: DeviationState, gain: number): DeviationDetector {
  const coarseScales = st.scales.map((scale) => ({ scale, detector: detectorOn(scale.state, 1) }));
  const { minHistory, cycles } = st.config;

  /**
   * Adds the point to every coarser scale's block; a block that closes has its mean judged. Returns the most
   * surprising judgement of the scales that have learnt their tails, if any block closed.
   */
  function judgeBlocks(t: number, x: number): BlockJudgement | undefined {
    let best: BlockJudgement | undefined;
    for (const { scale, detector } of coarseScales) {
      scale.sum += x;
      scale.count++;
      if (scale.count < scale.points) continue;
      const a = detector.update({ timestamp: t, value: scale.sum / scale.count });
      scale.sum = 0;
      scale.count = 0;
      scale.closed++;
      if (scale.closed >= SCALE_WARM_BLOCKS && a.pValue !== undefined && a.pValue < (best?.pValue ?? 1))
        best = { points: scale.points, pValue: a.pValue, a };
    }
    return best;
  }

  /** Learns the sampling interval from the first gaps; then builds seasons and replays the buffered points. */
  function learnInterval(t: number, x: number): void {
    if (st.interval !== null) return;
    if (st.lastTimestamp !== null && t > st.lastTimestamp) st.diffs.push(t - st.lastTimestamp);
    st.pending.push({ timestamp: t, value: x });
    if (st.diffs.length < INTERVAL_SAMPLES) return;
    const interval = median(st.diffs);
    st.interval = interval;
    st.seasons = createSeasons(interval);
    st.peakDecay = 0.5 ** (1 / Math.max(3, (st.tuning.peakHalfLifeDays * DAY_MS) / interval));
    // The current point is replayed too: it is learnt here, not after scoring.
    for (const p of st.pending) for (const s of st.seasons) learnSeason(s, p.timestamp, p.value, interval, cycles);
    st.pending = [];
  }

  function update(point: DataPoint): Assessment {
    const { timestamp: t, value: x } = point;
    if (!Number.isFinite(t) || !Number.isFinite(x)) throw new DeviationError(`point is not finite: ${t}, ${x}`);
    const interval = st.interval;
    // After a gap longer than the recent window's span, the recent level (and a block engine's previous block)
    // describe a time long past: they neither judge nor learn from the points until most of the window is new, and the
    // slow reference waits until its short window is.
    if (interval !== null && st.lastTimestamp !== null && t - st.lastTimestamp > st.config.recentWindow * interval)
      st.sinceGap = 0;
    const sinceGap = st.sinceGap ?? Number.POSITIVE_INFINITY;

    // 1. Forecasts and tests from the past only.
    const forecasts: Array<{ f: Forecaster; expected: number }> = [];
    if (st.recent.fifo.length > 0 && sinceGap > st.config.recentWindow / 2)
      forecasts.push({ f: st.recentForecaster, expected: windowMedian(st.recent) });
    if (st.previousForecaster && st.previous !== null && sinceGap >= 1)
      forecasts.push({ f: st.previousForecaster, expected: st.previous });
    if (interval !== null) {
      for (const s of st.seasons) {
        const expected = seasonalForecast(s, t, interval);
        if (expected !== null) forecasts.push({ f: s.forecaster, expected });
      }
    }
    let chosen: Test | undefined;
    for (const fc of forecasts) {
      const test = runTest(st, fc.f, fc.expected, x);
      if (test?.eligible && (!chosen || test.f.scale < chosen.f.scale)) chosen = test;
    }

    // Level shift against the slow reference: median of the newest shiftSpan values (this one included) against the
    // median of the values before them, in the chosen forecaster's sigma. Only while a non-seasonal forecaster (the
    // recent level, or a block engine's previous block) speaks: against a daily or weekly pattern's small sigma, the
    // distance between two medians swings with the season itself, and on a noise-free seasonal series (a sine, a
    // sawtooth) its learnt tail was beaten now and then by the slow drift of the sigma floor, alerting "0.0 sigma"
    // off a pattern that held exactly. A seasonal forecaster's own level-shift detector watches its errors.
    let shift: { p: number; stat: number; above: boolean } | undefined;
    const levelForecaster = chosen?.f.name === 'recent' || chosen?.f.name === 'previous';
    if (
      chosen &&
      levelForecaster &&
      sinceGap >= st.tuning.shiftSpan &&
      st.referenceValues.fifo.length >= st.referenceValues.capacity / 2
    ) {
      const short = [...st.shortValues.fifo.slice(st.shortValues.fifo.length - (st.tuning.shiftSpan - 1)), x];
      const difference = median(short) - windowMedian(st.referenceValues);
      const stat = Math.abs(difference) / chosen.sigma;
      // Its statistic is in the forecaster's sigma, which a seasonal series makes small against its swings: until the
      // tail has been learnt from REFERENCE_WARMUP values the prior would call ordinary swings impossible.
      if (st.referenceShift.n >= REFERENCE_WARMUP)
        shift = { p: survival(st.referenceShift, stat), stat, above: difference >= 0 };
      if (st.n >= minHistory) observe(st.referenceShift, stat);
    }
    const shiftP = shift?.p ?? 1;
    // Level novelty, on the points themselves (a block engine's means are judged by the forecasters' tests alone).
    const noveltyP = st.previousForecaster === null ? noveltyTest(st, x) : 1;

    const coarse = judgeBlocks(t, x);
    let assessment: Assessment;
    // Ready from the minHistory-th point on.
    if (!chosen || st.n + 1 < minHistory) {
      assessment = {
        score: 0,
        expected: chosen?.expected ?? null,
        lower: null,
        upper: null,
        ready: false,
        ...(chosen ? { pattern: chosen.f.name } : {}),
        reason:
          st.n + 1 >= minHistory && sinceGap <= st.config.recentWindow
            ? `relearning the recent level after a gap: point ${sinceGap + 1} of ${Math.floor(st.config.recentWindow / 2) + 2}`
            : `not enough history (${st.n} points seen, ${minHistory} needed)`,
      };
    } else {
      const levelShift = Math.min(1, 2 * shiftP) < chosen.pValue;
      const testsP = Math.min(1, 2 * Math.min(chosen.pValue, shiftP));
      const novel = noveltyP / NOVELTY_SHARE < testsP;
      const pointP = novel ? noveltyP / NOVELTY_SHARE : testsP;
      const block = coarse && coarse.pValue < pointP ? coarse : undefined;
      const pValue = block ? block.pValue : pointP;
      const raw = -Math.log10(pValue);
      // While an incident is open (its peak still high) only escalation counts; otherwise repeats are discounted.
      const discount = st.peak >= INCIDENT_SURPRISE ? 1 : st.tuning.repeatDiscount;
      const surprise = Math.max(0, raw - discount * st.peak);
      st.peak = raw >= PEAK_FROM ? Math.max(raw, st.peak * st.peakDecay) : st.peak * st.peakDecay;
      const half = HALF_SCORE_SURPRISE / gain;
      const band = (3 * chosen.sigma) / gain;
      assessment = {
        score: surprise / (surprise + half),
        expected: chosen.expected,
        lower: chosen.expected - band,
        upper: chosen.expected + band,
        ready: true,
        pattern: block?.a.pattern ?? chosen.f.name,
        detector: block?.a.detector ?? (novel ? 'novelty' : levelShift ? 'level_shift' : chosen.detector),
        pValue,
        scale: block?.points ?? 1,
        deviation: block?.a.deviation ?? chosen.z,
        reason: block
          ? `the mean of the last ${block.points} points is ${block.a.reason}`
          : novel
            ? `at a level not seen before (${describe(chosen, x)})`
            : levelShift && shift
              ? describeShift(shift, st.tuning.shiftSpan)
              : describe(chosen, x),
      };
    }

    // 2. Learn from the point.
    const floorScale = (FLOOR * st.spread) / MAD_TO_SIGMA;
    for (const fc of forecasts) learnScale(fc.f, x - fc.expected, floorScale);
    if (interval !== null) for (const s of st.seasons) learnSeason(s, t, x, interval, cycles);
    else learnInterval(t, x);
    pushWindow(st.recent, x);
    st.previous = x;
    if (st.shortValues.fifo.length >= st.shortValues.capacity)
      pushWindow(st.referenceValues, st.shortValues.fifo[0] as number);
    pushWindow(st.shortValues, x);
    st.lastTimestamp = t;
    if (st.sinceGap !== undefined) st.sinceGap++;
    st.n++;
    const alpha = 1 / Math.min(st.n, 1000);
    st.spread += alpha * (Math.abs(x - st.mean) - st.spread);
    st.mean += alpha * (x - st.mean);
    return assessment;
  }

  return { update, snapshot: () => structuredClone(st) };
}

/** Assesses a whole series in order (for batch callers). */
export function assessSeries(points: readonly DataPoint[], options: DeviationOptions = {}): Assessment[] {
  const detector = createDeviationDetector(options);
  return points.map((p) => detector.update(p));
}

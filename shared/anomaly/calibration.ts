// Turns a non-negative surprise statistic into a tail probability learned from the stream's own past: an empirical
// log-binned histogram in the body, an exponential (peaks-over-threshold) tail beyond its upper quantile, and a
// heavy-ish prior so that short histories (a fortnight of daily KPIs) still give sensible answers.

export interface TailCalibrator {
  /** Counts per bin of log1p(statistic); bins are BIN_WIDTH wide. */
  counts: number[];
  /** Observations added so far (not counting the prior). */
  n: number;
  /** Survival at each bin's lower edge and the tail fit, refreshed every REFIT_EVERY additions. */
  fit: { above: number[]; u: number; beta: number; uSurvival: number } | null;
  sinceFit: number;
}

const BIN_WIDTH = 0.05;
const BINS = 220; // log1p up to 11: statistics up to ~60 000
const REFIT_EVERY = 16;
/** Fraction of mass above the tail threshold u. */
const TAIL_FRACTION = 0.02;
/** Weight, in observations, of the prior; it fades as real history accumulates. */
const PRIOR_WEIGHT = 40;
/** Prior: the statistic is |Laplace| with unit standard deviation, i.e. P(S > s) = exp(-sqrt2 s). */
const PRIOR_RATE = Math.SQRT2;

const binLow = (b: number) => Math.expm1(b * BIN_WIDTH);
const binMid = (b: number) => Math.expm1((b + 0.5) * BIN_WIDTH);
const binOf = (s: number) => Math.min(BINS - 1, Math.max(0, Math.floor(Math.log1p(Math.max(0, s)) / BIN_WIDTH)));
const priorSurvival = (s: number) => Math.exp(-PRIOR_RATE * Math.max(0, s));

const PRIOR_COUNTS: number[] = Array.from(
  { length: BINS },
  (_, b) => PRIOR_WEIGHT * (priorSurvival(binLow(b)) - (b === BINS - 1 ? 0 : priorSurvival(binLow(b + 1)))),
);

export function createTailCalibrator(): TailCalibrator {
  return { counts: new Array<number>(BINS).fill(0), n: 0, fit: null, sinceFit: 0 };
}

export function observe(c: TailCalibrator, s: number): void {
  const b = binOf(s);
  c.counts[b] = (c.counts[b] as number) + 1;
  c.n++;
  c.sinceFit++;
}

/**
 * The prior's weight: full for short histories, then fading as PRIOR_WEIGHT^2 / n, so that after a long history the
 * tail is the stream's own and not the prior's (whose scale may not be the statistic's).
 */
const priorWeight = (n: number) => PRIOR_WEIGHT * Math.min(1, PRIOR_WEIGHT / Math.max(n, 1));
const massAt = (c: TailCalibrator, b: number) =>
  (c.counts[b] as number) + ((PRIOR_COUNTS[b] as number) * priorWeight(c.n)) / PRIOR_WEIGHT;

/** Mass at or above each bin, u (the 1 - TAIL_FRACTION quantile, at a bin edge) and the mean excess above it. */
function refit(c: TailCalibrator): NonNullable<TailCalibrator['fit']> {
  const total = c.n + priorWeight(c.n);
  const above = new Array<number>(BINS + 1).fill(0);
  for (let b = BINS - 1; b >= 0; b--) above[b] = (above[b + 1] as number) + massAt(c, b);
  // The lowest bin edge with at most... walk down until at least TAIL_FRACTION of the mass is above it.
  let b = BINS - 1;
  while (b > 0 && (above[b] as number) < TAIL_FRACTION * total) b--;
  const u = binLow(b);
  let excess = 0;
  for (let k = b; k < BINS; k++) excess += massAt(c, k) * Math.max(0, binMid(k) - u);
  const tailMass = above[b] as number;
  // A floor on beta keeps a spiky history from making every later point look impossible.
  const beta = Math.max(excess / Math.max(tailMass, 1e-9), 0.1 * (u + 1));
  return { above, u, beta, uSurvival: tailMass / total };
}

/**
 * P(S >= s) under the learned distribution, never exactly 0. Beyond the body, the exponential tail extrapolates;
 * taking the larger of it and the empirical share keeps mixtures (mostly zeros, some huge values) honest.
 */
export function survival(c: TailCalibrator, s: number): number {
  if (!c.fit || c.sinceFit >= REFIT_EVERY) {
    c.fit = refit(c);
    c.sinceFit = 0;
  }
  const { above, u, beta, uSurvival } = c.fit;
  const total = (above[0] as number) || 1;
  const b = binOf(s);
  const lo = binLow(b);
  const hi = binLow(b + 1);
  // Mass above s: the bins above b, and a linear share of b's own.
  const share = b === BINS - 1 ? 1 : Math.max(0, Math.min(1, (hi - s) / (hi - lo)));
  const empirical = Math.min(
    1,
    ((above[b + 1] as number) + share * ((above[b] as number) - (above[b + 1] as number))) / total,
  );
  if (s < u) return Math.max(empirical, Number.MIN_VALUE);
  return Math.max(empirical, uSurvival * Math.exp(-(s - u) / beta), Number.MIN_VALUE);
}

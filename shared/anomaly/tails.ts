// How heavy a KPI's ordinary tails are, learnt from its own history, each side apart: a day's revenue that now and
// then jumps far up (a few large orders) is not a Gaussian series, and judged as one its ordinary big days alert 40 to
// 80 times more often than the sensitivity promises; but its low days are as Gaussian as ever, and an outage must
// still alert. So the errors above the baseline and those below are read apart.
//
// One side's standardised errors (their sizes) are read as half a Student's t with `nu` degrees of freedom and a
// scale, both by maximum likelihood. The values the baseline left out as outliers count only as "beyond the cut" (censored),
// each of them as likely an anomaly (prior ANOMALY_RATE) as a far tail, so an outage or two in the history does not
// pass for heavy tails: the evidence must come from the shoulders, the many values 2 to 4 sd out. Gaussian tails stay
// the model unless the heavy one fits better beyond chance (a likelihood-ratio test at 1%, TAIL_LR), so a light-tailed
// KPI is judged exactly as before. With heavy tails the most likely degrees of freedom are used as they are: the
// lightest ones the data allow (the upper end of their 95% interval) left most of the excess false alerts in place.

import { erfc, logGamma, tTwoSided } from './student-t.ts';

/** Degrees of freedom tried for the noise's own tails, heaviest first (below 3 the variance hardly exists). */
const NU_GRID: readonly number[] = [3, 4, 6, 10, 20, 50];
/** Prior chance that a value the baseline left out is an anomaly rather than a far tail of the noise. */
const ANOMALY_RATE = 0.01;
/**
 * Likelihood ratio (2 log) above which both sides' errors together are taken to be heavy-tailed: 5.41 is the 1% point
 * of the test's null distribution (half chi-squared with 1 degree of freedom, half 0: the Gaussian sits on the edge
 * of the t family), so a Gaussian KPI gets heavy tails about one time in 100.
 */
const TAIL_LR = 5.41;
/**
 * Once the tails together are heavy, the likelihood ratio (the 5% point) by which one side's own errors tell its tail
 * apart: heavy by its own degrees of freedom and scale when they say so beyond it; Gaussian when they favour a Gaussian
 * tail over the tails learnt together by as much (a revenue KPI's low side, when only its large orders jump far);
 * else the tails learnt together (heavy tails spread evenly, the evidence split in two).
 */
const SIDE_LR = 2.71;
/** Standardised errors needed before tails are learnt: fewer say too little about the shoulders. */
export const TAIL_MIN_VALUES = 28;
/**
 * Far days the evidence for heavy tails must survive without: two days 4 sd out in 14 weeks of a Gaussian KPI (an
 * unflagged bad day and a chance one) turned it heavy-tailed with 3 degrees of freedom, and bands three times as wide
 * for 16 weeks; a few stray days are what the outlier rule and the anomaly rate are for, not a tail. Two however long
 * the history: two for each 16 weeks of a year's errors took the nights on which Student-t noise with 3 degrees of
 * freedom was learnt from 71% to 48% (4 df: 30% to 12%), where four 4-sd days in a Gaussian year pass for heavy tails
 * in 2% of histories with two (six such days: 10%).
 */
const STRAY_DAYS = 2;
/** Errors needed on one side before it is judged apart. */
const SIDE_MIN_VALUES = 14;

/** One side's errors of a fit on the scale its noise is measured in, each divided by its own noise standard deviation. */
export interface StandardisedErrors {
  /** Sizes of the errors of the values the fit kept (on one side: how far above, or how far below). */
  kept: readonly number[];
  /** How far out (in the same units) a value had to be to be left out. */
  cut: number;
  /** How many values were left out. */
  leftOut: number;
}

/** A heavy tail learnt on one side: Student's t with `nu` degrees of freedom and `scale` (in the errors' units). */
export interface Tails {
  nu: number;
  scale: number;
  /** 2 log likelihood ratio of these tails against Gaussian ones. */
  evidence: number;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * Log likelihood of one side's errors (their sizes; the half distribution's factor 2 is the same for every model and
 * left out) under noise with `nu` degrees of freedom (Infinity: Gaussian) and `scale`, any value
 * being an anomaly with chance ANOMALY_RATE: spread evenly within the cut when kept, anywhere beyond it when left out.
 * A kept value 3.7 sd out is then about as likely a stray bad day as a far tail, and alone does not decide the tails.
 * Each group (one baseline fit's errors) has its own cut.
 */
function logLikelihood(groups: readonly StandardisedErrors[], nu: number, scale: number): number {
  const gaussian = !Number.isFinite(nu);
  const constant = gaussian
    ? -LOG_SQRT_2PI - Math.log(scale)
    : logGamma((nu + 1) / 2) - logGamma(nu / 2) - 0.5 * Math.log(nu * Math.PI) - Math.log(scale);
  let sum = 0;
  for (const errors of groups) {
    const anomaly = ANOMALY_RATE / (2 * errors.cut);
    for (const e of errors.kept) {
      const x = e / scale;
      const density = Math.exp(constant + (gaussian ? -0.5 * x * x : (-(nu + 1) / 2) * Math.log1p((x * x) / nu)));
      sum += Math.log((1 - ANOMALY_RATE) * density + anomaly);
    }
    if (errors.leftOut === 0) continue;
    const c = errors.cut;
    const beyond = gaussian ? erfc(c / scale / Math.SQRT2) : tTwoSided(c / scale, nu);
    sum += errors.leftOut * Math.log(ANOMALY_RATE + (1 - ANOMALY_RATE) * beyond);
  }
  return sum;
}

/** The scale that maximises the likelihood for `nu` (golden-section search on its log), and that likelihood. */
function bestScale(groups: readonly StandardisedErrors[], nu: number): { scale: number; logLik: number } {
  let lo = Math.log(0.05);
  let hi = Math.log(5);
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = hi - ratio * (hi - lo);
  let b = lo + ratio * (hi - lo);
  let fa = logLikelihood(groups, nu, Math.exp(a));
  let fb = logLikelihood(groups, nu, Math.exp(b));
  for (let i = 0; i < 40 && hi - lo > 0.01; i++) {
    if (fa > fb) {
      hi = b;
      b = a;
      fb = fa;
      a = hi - ratio * (hi - lo);
      fa = logLikelihood(groups, nu, Math.exp(a));
    } else {
      lo = a;
      a = b;
      fa = fb;
      b = lo + ratio * (hi - lo);
      fb = logLikelihood(groups, nu, Math.exp(b));
    }
  }
  return fa > fb ? { scale: Math.exp(a), logLik: fa } : { scale: Math.exp(b), logLik: fb };
}

/** The t (degrees of freedom and scale) that fits the errors best, and its evidence against a Gaussian tail. */
function bestTail(groups: readonly StandardisedErrors[]): Tails {
  const gaussian = bestScale(groups, Number.POSITIVE_INFINITY);
  const best = NU_GRID.map((nu) => ({ nu, ...bestScale(groups, nu) })).reduce((a, b) => (b.logLik > a.logLik ? b : a));
  return { nu: best.nu, scale: best.scale, evidence: 2 * (best.logLik - gaussian.logLik) };
}

/** One fit's errors, or several fits' (each standardised by its own fit, with its own cut), as a list. */
type Errors = StandardisedErrors | readonly StandardisedErrors[];
const groupsOf = (errors: Errors): readonly StandardisedErrors[] => ('kept' in errors ? [errors] : errors);
const keptCount = (groups: readonly StandardisedErrors[]) => groups.reduce((n, g) => n + g.kept.length, 0);

/** The groups without their `spare` farthest kept errors (the farthest over all groups). */
function withoutFarthest(groups: readonly StandardisedErrors[], spare: number): StandardisedErrors[] {
  const farthest = groups
    .flatMap((g, group) => g.kept.map((e, index) => ({ size: Math.abs(e), group, index })))
    .sort((a, b) => b.size - a.size)
    .slice(0, spare);
  return groups.map((g, group) => {
    const drop = new Set(farthest.filter((f) => f.group === group).map((f) => f.index));
    return { ...g, kept: g.kept.filter((_, index) => !drop.has(index)) };
  });
}

/**
 * The heavy tail the errors show beyond chance (`bar`), or null when a Gaussian tail does (or there are too few errors
 * to tell). Errors are in units of the fit's own noise standard deviation (each group in its own fit's). With `spare`,
 * the evidence must hold with that many of the farthest kept errors left out: no two stray days decide it (the tail
 * itself is fitted on all).
 */
export function learnTails(errors: Errors, bar = TAIL_LR, minValues = TAIL_MIN_VALUES, spare = 0): Tails | null {
  const groups = groupsOf(errors);
  if (keptCount(groups) < minValues) return null;
  if (spare > 0 && !(bestTail(withoutFarthest(groups, spare)).evidence > bar)) return null;
  const tail = bestTail(groups);
  return tail.evidence > bar ? tail : null;
}

/** Heavy tails learnt on each side of the baseline; null where the side is Gaussian. */
export interface SidedTails {
  below: Tails | null;
  above: Tails | null;
}

/**
 * The tails of errors below and above the baseline: heavy only when both sides together are beyond chance (TAIL_LR),
 * even without their STRAY_DAYS farthest days, and then each side as its own errors say (SIDE_LR).
 * Several fits' errors (the current baseline's and older blocks' of the same KPI) are given as lists, below and above
 * in the same order.
 */
export function learnSidedTails(below: Errors, above: Errors): SidedTails {
  const [belowGroups, aboveGroups] = [groupsOf(below), groupsOf(above)];
  const together = learnTails(
    belowGroups.map((b, i) => {
      const a = aboveGroups[i];
      return a ? { kept: [...b.kept, ...a.kept], cut: b.cut, leftOut: b.leftOut + a.leftOut } : b;
    }),
    TAIL_LR,
    TAIL_MIN_VALUES,
    STRAY_DAYS,
  );
  if (!together) return { below: null, above: null };
  const side = (groups: readonly StandardisedErrors[]): Tails | null => {
    if (keptCount(groups) < SIDE_MIN_VALUES) return together;
    const own = learnTails(groups, SIDE_LR, SIDE_MIN_VALUES);
    if (own) return own;
    const gaussian = bestScale(groups, Number.POSITIVE_INFINITY).logLik;
    const shared = logLikelihood(groups, together.nu, together.scale);
    return 2 * (gaussian - shared) > SIDE_LR ? null : together;
  };
  return { below: side(belowGroups), above: side(aboveGroups) };
}

/**
 * Degrees of freedom of a prediction error whose noise has `nu` (Infinity: Gaussian) and whose scale is known with
 * `df`: the two sources of tail weight add (as 1/nu, about as excess kurtosis does), so a long history with heavy tails
 * is judged by the tails, and a short Gaussian one by its uncertain scale.
 */
export function combinedDf(nu: number, df: number): number {
  return 1 / (1 / nu + 1 / df);
}

// Student's t distribution: the honest tail of a standardised prediction error when the noise scale was estimated
// from a few dozen points. Two-sided tail probabilities and their inverse, accurate far into the tail.

/** log Gamma(x) for x > 0 (Lanczos, g = 7, n = 9: about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-14) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(|T| >= t) for T ~ Student's t with `df` degrees of freedom (df may be fractional). */
export function tTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? 1 : 0;
  const x = df / (df + t * t);
  return Math.min(1, incompleteBeta(x, df / 2, 0.5));
}

/** Quantiles asked for again and again (the same few levels and degrees of freedom), remembered. */
const quantiles = new Map<string, number>();
const MAX_REMEMBERED = 10_000;

/** The t >= 0 with P(|T| >= t) = p: the half-width, in standard errors, of a two-sided (1 - p) interval. */
export function tQuantileTwoSided(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const key = `${p}|${df}`;
  const known = quantiles.get(key);
  if (known !== undefined) return known;
  const q = searchQuantile(p, df);
  if (quantiles.size >= MAX_REMEMBERED) quantiles.clear();
  quantiles.set(key, q);
  return q;
}

function searchQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (tTwoSided(hi, df) > p) hi *= 2;
  for (let i = 0; i < 80 && hi - lo > 1e-10 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (tTwoSided(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(T >= t) for T ~ Student's t with `df` degrees of freedom. */
export function tUpper(t: number, df: number): number {
  const half = tTwoSided(Math.abs(t), df) / 2;
  return t >= 0 ? half : 1 - half;
}

/**
 * Nodes and weights of an n-point Gauss-Hermite rule for the standard normal density: E[f(Z)] ~ sum w_i f(x_i).
 * Newton's method on the Hermite recurrence (as in Numerical Recipes' gauher), rescaled from exp(-x^2).
 */
export function normalQuadrature(n: number): { nodes: number[]; weights: number[] } {
  const nodes = new Array<number>(n).fill(0);
  const weights = new Array<number>(n).fill(0);
  const pim4 = Math.PI ** -0.25;
  let z = 0;
  for (let i = 0; i < (n + 1) >> 1; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** -0.16667;
    else if (i === 1) z -= (1.14 * n ** 0.426) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * (nodes[0] as number);
    else if (i === 3) z = 1.91 * z - 0.91 * (nodes[1] as number);
    else z = 2 * z - (nodes[i - 2] as number);
    let pp = 0;
    for (let it = 0; it < 100; it++) {
      let p1 = pim4;
      let p2 = 0;
      for (let j = 0; j < n; j++) {
        const p3 = p2;
        p2 = p1;
        p1 = z * Math.sqrt(2 / (j + 1)) * p2 - Math.sqrt(j / (j + 1)) * p3;
      }
      pp = Math.sqrt(2 * n) * p2;
      const z1 = z;
      z = z1 - p1 / pp;
      if (Math.abs(z - z1) < 1e-14) break;
    }
    nodes[i] = z;
    nodes[n - 1 - i] = -z;
    weights[i] = 2 / (pp * pp);
    weights[n - 1 - i] = weights[i] as number;
  }
  // exp(-x^2) nodes x and weights w become N(0, 1) nodes sqrt2 x and weights w / sqrt(pi).
  return {
    nodes: nodes.map((x) => x * Math.SQRT2),
    weights: weights.map((w) => w / Math.sqrt(Math.PI)),
  };
}

/**
 * Complementary error function with small *relative* error (Chebyshev fit, < 1.2e-7) even far in the tail, so
 * that 1 - erfc/2 keeps the ordering of extreme points as NAB's Python (math.erfc) does.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const c = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223,
    0.17087277,
  ];
  let poly = 0;
  for (let k = c.length - 1; k >= 0; k--) poly = (c[k] as number) + t * poly;
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

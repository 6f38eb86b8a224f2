// Weighted least squares for the small designs of the short-history baseline (a handful of columns, a few hundred
// rows): normal equations solved by Cholesky, with (X'WX)^-1 kept for the leverage of predictions.

export interface LeastSquares {
  /** Columns. */
  p: number;
  beta: Float64Array;
  /** (X'WX)^-1, row-major p x p. */
  inverse: Float64Array;
}

/** Relative size of a Cholesky pivot below which the design is taken as singular (a column the rows do not pin). */
const SINGULAR = 1e-10;

/** Inverse of a symmetric positive definite p x p matrix (row-major), or null when it is (nearly) singular. */
function invertSpd(a: Float64Array, p: number): Float64Array | null {
  const l = new Float64Array(p * p);
  let largest = 0;
  for (let i = 0; i < p; i++) largest = Math.max(largest, a[i * p + i] as number);
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j] as number;
    for (let k = 0; k < j; k++) d -= (l[j * p + k] as number) ** 2;
    if (!(d > SINGULAR * largest)) return null;
    const root = Math.sqrt(d);
    l[j * p + j] = root;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * p + k] as number) * (l[j * p + k] as number);
      l[i * p + j] = s / root;
    }
  }
  // inverse(L), lower triangular, then inverse(A) = inverse(L)' inverse(L).
  const li = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    li[j * p + j] = 1 / (l[j * p + j] as number);
    for (let i = j + 1; i < p; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= (l[i * p + k] as number) * (li[k * p + j] as number);
      li[i * p + j] = s / (l[i * p + i] as number);
    }
  }
  const inv = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < p; k++) s += (li[k * p + i] as number) * (li[k * p + j] as number);
      inv[i * p + j] = s;
      inv[j * p + i] = s;
    }
  }
  return inv;
}

/** Least squares of `y` on the rows `x` with weights `w` (0 leaves a row out); null when the columns are not pinned. */
export function weightedLeastSquares(
  x: readonly Float64Array[],
  y: ArrayLike<number>,
  w: ArrayLike<number>,
): LeastSquares | null {
  const p = (x[0] as Float64Array).length;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  for (let i = 0; i < x.length; i++) {
    const wi = w[i] as number;
    if (wi === 0) continue;
    const row = x[i] as Float64Array;
    const yi = y[i] as number;
    for (let a = 0; a < p; a++) {
      const wa = wi * (row[a] as number);
      if (wa === 0) continue;
      xty[a] = (xty[a] as number) + wa * yi;
      for (let b = 0; b <= a; b++) xtx[a * p + b] = (xtx[a * p + b] as number) + wa * (row[b] as number);
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[b * p + a] = xtx[a * p + b] as number;
  const inverse = invertSpd(xtx, p);
  if (!inverse) return null;
  const beta = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    let s = 0;
    for (let b = 0; b < p; b++) s += (inverse[a * p + b] as number) * (xty[b] as number);
    beta[a] = s;
  }
  return { p, beta, inverse };
}

/** The fitted value at a row. */
export function predict(ls: LeastSquares, row: ArrayLike<number>): number {
  let s = 0;
  for (let a = 0; a < ls.p; a++) s += (ls.beta[a] as number) * (row[a] as number);
  return s;
}

/** row' (X'WX)^-1 row: the variance of the fitted value at `row`, in units of the noise variance. */
export function leverage(ls: LeastSquares, row: ArrayLike<number>): number {
  let s = 0;
  for (let a = 0; a < ls.p; a++) {
    let t = 0;
    for (let b = 0; b < ls.p; b++) t += (ls.inverse[a * ls.p + b] as number) * (row[b] as number);
    s += (row[a] as number) * t;
  }
  return s;
}

import { describe, expect, it } from 'vitest';
import { leverage, predict, weightedLeastSquares } from '#shared/anomaly/least-squares.ts';
import { incompleteBeta, normalQuadrature, tQuantileTwoSided, tTwoSided, tUpper } from '#shared/anomaly/student-t.ts';

describe("Student's t", () => {
  it('gives the tabled two-sided tail probabilities', () => {
    expect(tTwoSided(2.228, 10)).toBeCloseTo(0.05, 4);
    expect(tTwoSided(12.706, 1)).toBeCloseTo(0.05, 4);
    expect(tTwoSided(2.576, 1e7)).toBeCloseTo(0.01, 4);
    expect(tTwoSided(0, 5)).toBe(1);
  });

  it('stays accurate far in the tail, where alerts are decided', () => {
    // P(|T| > 6) with 30 degrees of freedom is 1.3943e-6 (the density integrated numerically).
    expect(tTwoSided(6, 30) / 1.3943e-6).toBeCloseTo(1, 3);
    expect(tTwoSided(60, 30)).toBeGreaterThan(0);
  });

  it('its quantile inverts the tail probability', () => {
    for (const [p, df] of [
      [0.01, 4],
      [1e-4, 50],
      [0.3, 2.5],
    ] as const) {
      expect(tTwoSided(tQuantileTwoSided(p, df), df)).toBeCloseTo(p, 10);
    }
  });

  it('one-sided tails add up to one', () => {
    expect(tUpper(1.3, 7) + tUpper(-1.3, 7)).toBeCloseTo(1, 12);
    expect(incompleteBeta(0.3, 2, 3) + incompleteBeta(0.7, 3, 2)).toBeCloseTo(1, 12);
  });

  it('a Gauss-Hermite rule integrates the normal moments exactly', () => {
    const { nodes, weights } = normalQuadrature(16);
    const moment = (k: number) => nodes.reduce((s, x, i) => s + (weights[i] as number) * x ** k, 0);
    expect(moment(0)).toBeCloseTo(1, 12);
    expect(moment(2)).toBeCloseTo(1, 12);
    expect(moment(4)).toBeCloseTo(3, 10);
  });
});

describe('weighted least squares', () => {
  const rows = Array.from({ length: 10 }, (_, i) => Float64Array.of(1, i, i % 2));

  it('recovers the coefficients of noise-free data, and weight 0 leaves a row out', () => {
    const y = rows.map((r) => 3 + 0.5 * (r[1] as number) - 2 * (r[2] as number));
    y[4] = 1000;
    const w = rows.map((_, i) => (i === 4 ? 0 : 1));

    const ls = weightedLeastSquares(rows, y, w);

    expect(Array.from(ls?.beta ?? []).map((b) => Math.round(b * 1e9) / 1e9)).toEqual([3, 0.5, -2]);
    expect(predict(ls!, Float64Array.of(1, 20, 1))).toBeCloseTo(11, 9);
  });

  it('extrapolating further is less certain', () => {
    const ls = weightedLeastSquares(rows, new Float64Array(10), new Float64Array(10).fill(1))!;
    expect(leverage(ls, Float64Array.of(1, 12, 0))).toBeGreaterThan(leverage(ls, Float64Array.of(1, 5, 0)));
  });

  it('refuses a design whose columns the rows do not pin down', () => {
    const same = rows.map((r) => Float64Array.of(1, 2 * (r[1] as number), r[1] as number));
    expect(weightedLeastSquares(same, new Float64Array(10), new Float64Array(10).fill(1))).toBeNull();
  });
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { assessSeries, createDeviationDetector, type DataPoint } from '#shared/anomaly/engine.ts';

// The engine on arbitrary finite series: irregular or repeated timestamps, constant stretches, huge and tiny values.

const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
  fc.integer({ min: -3, max: 3 }),
  fc.constant(0),
);
const series = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 7 * 86_400_000 }), value), { minLength: 1, maxLength: 120 })
  .map((pairs) => {
    let t = Date.UTC(2026, 0, 1);
    return pairs.map(([gap, v]): DataPoint => {
      t += gap;
      return { timestamp: t, value: v };
    });
  });

describe('deviation engine on arbitrary series', () => {
  test.prop([series, fc.double({ min: 0, max: 1, noNaN: true })], { numRuns: 150 })(
    'never throws, never gives NaN, scores within [0, 1]',
    (points, sensitivity) => {
      for (const a of assessSeries(points, { sensitivity, minHistory: 3 })) {
        expect(a.score).toBeGreaterThanOrEqual(0);
        expect(a.score).toBeLessThanOrEqual(1);
        for (const x of [a.expected, a.lower, a.upper]) if (x !== null) expect(Number.isFinite(x)).toBe(true);
      }
    },
  );

  test.prop([series, fc.nat()], { numRuns: 150 })(
    'is causal: the scores of a prefix are the first scores of the whole series',
    (points, cut) => {
      const k = cut % (points.length + 1);
      const whole = assessSeries(points, { minHistory: 3 });
      expect(assessSeries(points.slice(0, k), { minHistory: 3 })).toEqual(whole.slice(0, k));
    },
  );

  test.prop([series, fc.nat()], { numRuns: 60 })('resumes from a JSON snapshot at any point', (points, cut) => {
    const k = cut % (points.length + 1);
    const first = createDeviationDetector({ minHistory: 3 });
    for (const p of points.slice(0, k)) first.update(p);
    const resumed = createDeviationDetector({ state: JSON.parse(JSON.stringify(first.snapshot())) });
    expect(points.slice(k).map((p) => resumed.update(p))).toEqual(assessSeries(points, { minHistory: 3 }).slice(k));
  });
});

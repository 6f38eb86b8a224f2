import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { DataPoint } from '#shared/anomaly/engine.ts';
import { judgeRecent } from '#shared/anomaly/recent-baseline.ts';

// The short-history judgement on arbitrary histories: irregular or repeated days, constant stretches, zeros,
// negative, huge and tiny values.

const DAY = 86_400_000;
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }),
  fc.double({ noNaN: true, min: 1, max: 1e6 }),
  fc.integer({ min: -3, max: 3 }),
  fc.constant(0),
);
const series = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), value), { minLength: 1, maxLength: 90 })
  .map((pairs) => {
    let t = Date.UTC(2026, 0, 1);
    return pairs.map(([gap, v]): DataPoint => {
      t += gap * DAY;
      return { timestamp: t, value: v };
    });
  });

describe('short-history judgement on arbitrary series', () => {
  test.prop([series, fc.double({ min: 0, max: 1, noNaN: true })], { numRuns: 150 })(
    'never throws, never gives NaN, scores within [0, 1]',
    (points, sensitivity) => {
      const last = points[points.length - 1] as DataPoint;
      const a = judgeRecent(points.slice(0, -1), last, { sensitivity, minHistory: 4 });
      expect(a.score).toBeGreaterThanOrEqual(0);
      expect(a.score).toBeLessThanOrEqual(1);
      for (const x of [a.expected, a.lower, a.upper]) if (x !== null) expect(Number.isNaN(x)).toBe(false);
    },
  );

  test.prop([series, fc.nat(), fc.array(value, { maxLength: 10 })], { numRuns: 100 })(
    'is causal: values at or after the judged day, and the order of the history, change nothing',
    (points, cut, later) => {
      const k = cut % points.length;
      const judged = points[k] as DataPoint;
      const before = points.slice(0, k).filter((p) => p.timestamp < judged.timestamp);
      const after = later.map((v, i) => ({ timestamp: judged.timestamp + i * DAY, value: v }));
      const a = judgeRecent(before, judged, { minHistory: 4 });
      expect(judgeRecent([...after, ...before.toReversed()], judged, { minHistory: 4 })).toEqual(a);
    },
  );
});

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

  test.prop([series, series, fc.double({ min: 0, max: 1, noNaN: true })], { numRuns: 100 })(
    'older values for the tails: any values never throw or give NaN, and those not before the history change nothing',
    (older, points, sensitivity) => {
      // The older series ends before `points` begins, so it is wholly older than the history.
      const shift = (older.at(-1) as DataPoint).timestamp - (points[0] as DataPoint).timestamp + DAY;
      const history = points.map((p) => ({ ...p, timestamp: p.timestamp + shift + 7 * DAY }));
      const judged = history.pop() as DataPoint;
      const options = { sensitivity, minHistory: 4 };
      const a = judgeRecent(history, judged, { ...options, tailHistory: older });
      expect(a.score).toBeGreaterThanOrEqual(0);
      expect(a.score).toBeLessThanOrEqual(1);
      for (const x of [a.expected, a.lower, a.upper]) if (x !== null) expect(Number.isNaN(x)).toBe(false);
      const first = history[0]?.timestamp ?? judged.timestamp;
      const notOlder = [...history, judged, { timestamp: judged.timestamp + DAY, value: 1e9 }].filter(
        (p) => p.timestamp >= first,
      );
      expect(judgeRecent(history, judged, { ...options, tailHistory: [...notOlder, ...older] })).toEqual(a);
    },
  );

  test.prop(
    [
      fc.record({
        seed: fc.integer({ min: 1, max: 2 ** 30 }),
        noise: fc.double({ min: 0.02, max: 0.1, noNaN: true }),
        weekend: fc.double({ min: 0.05, max: 1, noNaN: true }),
        weekendRatio: fc.double({ min: 1, max: 6, noNaN: true }),
      }),
    ],
    { numRuns: 40 },
  )(
    'weekdays are judged by their own noise whatever the weekends do: a 7-sd weekday drop alerts, a 2.5-sd weekend day alone would not',
    ({ seed, noise, weekend, weekendRatio }) => {
      // Log-normal days (a weekend's noise capped at 30%), 112 days from a Monday.
      let s = seed;
      const rand = () => {
        s = (s * 16807) % 2147483647;
        return s / 2147483647;
      };
      const normal = () => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
      const weekendNoise = Math.min(0.3, noise * weekendRatio);
      const start = Date.UTC(2026, 0, 5);
      const level = (i: number) => 1000 * (i % 7 >= 5 ? weekend : 1);
      const history = Array.from({ length: 112 }, (_, i) => ({
        timestamp: start + i * DAY,
        value: level(i) * Math.exp((i % 7 >= 5 ? weekendNoise : noise) * normal()),
      }));

      const monday = judgeRecent(history, { timestamp: start + 112 * DAY, value: level(112) * Math.exp(-7 * noise) });
      const saturday = judgeRecent(history, { timestamp: start + 117 * DAY, value: level(117) });

      expect(monday.score).toBeGreaterThanOrEqual(0.5);
      // A weekend day 2.5 of its own sd (as drawn) above the expected value would not alert by itself (runs of earlier
      // noisy days may still add up).
      const weekends = history.filter((_, i) => i % 7 >= 5).map((p, i) => Math.log(p.value / level(5 + 7 * (i >> 1))));
      const drawn = Math.sqrt(weekends.reduce((sum, e) => sum + e * e, 0) / weekends.length);
      expect(saturday.alertUpper).toBeGreaterThan((saturday.expected as number) * Math.exp(2.5 * drawn));
    },
  );
});

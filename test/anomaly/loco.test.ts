import { describe, expect, it } from 'vitest';
import { categoryOf, leaveOneCategoryOut, scoresByCategory, sweepCorpus } from '#shared/anomaly/loco.ts';
import type { NabFile } from '#shared/anomaly/nab.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** A 1000-row file with one window over rows 500..599, scoring 1 at the given rows. */
function file(name: string, hits: number[]): NabFile {
  const timestamps = Array.from({ length: 1000 }, (_, i) => T0 + i * MINUTE);
  const scores = timestamps.map((_, i) => (hits.includes(i) ? 1 : 0));
  return { name, timestamps, scores, windows: [{ start: T0 + 500 * MINUTE, end: T0 + 599 * MINUTE }] };
}

describe('leave-one-category-out', () => {
  it('reads the category from the file name', () => {
    expect(categoryOf('realTweets/Twitter_volume_AAPL.csv')).toBe('realTweets');
  });

  it('scores each category at the corpus threshold', () => {
    const corpus = sweepCorpus([file('a/1.csv', [510]), file('b/1.csv', [])], 'standard');
    const byCategory = scoresByCategory(corpus, 1);
    expect(byCategory.a?.score).toBeGreaterThan(95);
    expect(byCategory.b?.score).toBe(0);
  });

  it('chooses the setting on the other categories only, and scores the left-out one with it', () => {
    // Setting 0 detects categories a and b, misses c; setting 1 detects only c.
    const setting0 = sweepCorpus([file('a/1.csv', [510]), file('b/1.csv', [510]), file('c/1.csv', [])], 'standard');
    const setting1 = sweepCorpus([file('a/1.csv', []), file('b/1.csv', []), file('c/1.csv', [510])], 'standard');
    const loco = leaveOneCategoryOut([setting0, setting1]);
    const fold = (c: string) => loco.folds.find((f) => f.category === c);
    // Left out c: a and b prefer setting 0, which misses c.
    expect(fold('c')?.chosen).toBe(0);
    expect(fold('c')?.score).toBe(0);
    // Left out a: on b and c each setting catches one window; the tie keeps the first, which catches a.
    expect(fold('a')?.chosen).toBe(0);
    expect(fold('a')?.score).toBeGreaterThan(95);
    expect(loco.mean).toBeCloseTo(loco.folds.reduce((s, f) => s + f.score, 0) / 3, 9);
  });
});

import { describe, expect, it } from 'vitest';
import { recentRuns, recordRun } from '#shared/jobs/runs.ts';
import { freshStore } from '../support/dynamo.ts';

describe('job runs', () => {
  it('keeps two runs that start at the same instant, newest first, and records a failure with its error', async () => {
    const { store } = await freshStore('runs');
    const now = () => Date.parse('2026-11-23T00:30:04+08:00');
    await recordRun(store, 'rollup-kpis', now, async () => ({ periods: 3 }));
    await recordRun(store, 'rollup-kpis', now, async () => ({ periods: 4 }));
    await expect(
      recordRun(
        store,
        'rollup-kpis',
        () => now() + 1000,
        async () => {
          throw new RangeError('no events table');
        },
      ),
    ).rejects.toThrow('no events table');

    const runs = await recentRuns(store, 'rollup-kpis');
    expect(runs).toHaveLength(3);
    expect(runs[0]).toMatchObject({ status: 'failed', error: 'RangeError: no events table' });
    expect(
      runs
        .slice(1)
        .map((r) => r.summary?.periods)
        .sort(),
    ).toEqual([3, 4]);
    expect(runs.every((r) => r.startedAt.startsWith('2026-11-22T16:30:0'))).toBe(true);
  });
});

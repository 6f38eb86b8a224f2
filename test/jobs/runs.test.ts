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

  it('returns what a run did when the work succeeded but its record is refused, and says so to onUnrecorded', async () => {
    const { store } = await freshStore('runs-unrecorded');
    const now = () => Date.parse('2026-11-23T00:30:04+08:00');
    // DynamoDB refuses a map nested more than 32 levels deep: a refusal no size bound prevents.
    let deep: Record<string, unknown> = { opened: ['rule:conv:*:target_breach'] };
    for (let i = 0; i < 40; i++) deep = { deep };
    const refused: unknown[] = [];

    const result = await recordRun(store, 'detect-anomalies', now, async () => ({ mailed: 3 }), {
      record: () => deep,
      onUnrecorded: (error) => refused.push(error),
    });

    expect(result).toEqual({ mailed: 3 });
    expect(refused).toHaveLength(1);
    const [run] = await recentRuns(store, 'detect-anomalies');
    expect(run?.status).toBe('running');
  });

  it('records a run that succeeded as done even when its summary is far past 400 KB, the cut counted', async () => {
    const { store } = await freshStore('runs-large');
    const now = () => Date.parse('2026-11-23T00:30:04+08:00');
    const days = Array.from({ length: 2000 }, (_, i) => ({ day: i, results: 'r'.repeat(600) }));

    const result = await recordRun(store, 'rollup-kpis', now, async () => ({ from: '2026-01-01', days }));

    expect(result.days).toHaveLength(2000);
    const [run] = await recentRuns(store, 'rollup-kpis');
    expect(run?.status).toBe('ok');
    const kept = run?.summary?.days as unknown[];
    expect(kept.length).toBeGreaterThan(400);
    expect(run?.summary).toMatchObject({ from: '2026-01-01', leftOut: { days: 2000 - kept.length } });
  });
});

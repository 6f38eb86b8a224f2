// Job runs recorded for tests on a fixed clock.
import { type JobName, recordRun } from '#shared/jobs/runs.ts';
import type { StateStore } from '#shared/store/store.ts';

/**
 * One recorded run of `job` that starts at `start` and lasts a minute, doing `work` (default: nothing); a run whose
 * work throws is recorded as failed and the error is swallowed.
 */
export async function recordMinuteRun(
  store: StateStore,
  job: JobName,
  start: number,
  work: () => Promise<Record<string, unknown>> = async () => ({}),
  key?: string,
): Promise<void> {
  const ticks = [start, start + 60_000];
  await recordRun(store, job, () => ticks.shift() ?? start + 60_000, work, key === undefined ? {} : { key }).catch(
    () => undefined,
  );
}

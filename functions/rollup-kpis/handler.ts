// EventBridge Scheduler (after midnight, config time zone) -> the nightly KPI rollup, recorded as a job run.
import { recordRun } from '#shared/jobs/runs.ts';
import { nightlyRollup } from '#shared/kpi/rollup.ts';
import { lambdaRuntime } from '#shared/runtime/lambda.ts';

export async function handler(): Promise<Record<string, unknown>> {
  const { store, config, logger, now } = lambdaRuntime();
  const summary = await recordRun(store, 'rollup', now, () => nightlyRollup({ store, config, now }));
  logger.info('rollup done', summary);
  return summary;
}

// EventBridge Scheduler (after midnight, config time zone) -> the nightly KPI rollup, recorded as a job run.

import { lambdaRuntime } from '#functions/runtime.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { nightlyRollup } from '#shared/kpi/rollup.ts';
import { observability } from '#shared/observability/observe.ts';

export async function handler(event: unknown = {}): Promise<Record<string, unknown>> {
  const { store, config, now } = lambdaRuntime();
  return observability(config).job('rollup-kpis', event, () =>
    recordRun(store, 'rollup-kpis', now, () => nightlyRollup({ store, config, now })),
  );
}

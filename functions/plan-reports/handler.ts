// EventBridge Scheduler (a report's schedule, config time zone) -> one delivery message per recipient.
// The period comes from the scheduled time, not the clock, so a retried invocation plans the same period.

import { lambdaRuntime } from '#functions/runtime.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { observability } from '#shared/observability/observe.ts';
import { createSqsQueue } from '#shared/queue/sqs-queue.ts';
import { planReport } from '#shared/reporting/plan.ts';

interface ScheduleEvent {
  reportId?: unknown;
  scheduledTime?: unknown;
}

export async function handler(event: ScheduleEvent): Promise<Record<string, unknown>> {
  const { store, config, env, now } = lambdaRuntime();
  if (typeof event.reportId !== 'string') throw new Error('schedule input has no reportId');
  const firedAt = typeof event.scheduledTime === 'string' ? Date.parse(event.scheduledTime) : Number.NaN;
  if (!env.DELIVERY_QUEUE_URL) throw new Error('DELIVERY_QUEUE_URL is not set');
  const queue = createSqsQueue(env.DELIVERY_QUEUE_URL);
  const reportId = event.reportId;
  return observability(config).job('plan-reports', event, () =>
    recordRun(
      store,
      'plan-reports',
      now,
      () => planReport(reportId, Number.isNaN(firedAt) ? now() : firedAt, { config, queue }),
      { key: reportId },
    ),
  );
}

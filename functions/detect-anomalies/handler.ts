// EventBridge Scheduler (hourly, config time zone) -> anomaly detection: yesterday's alert rules (only the first run
// after the rollup does work; later ones find the day judged) and the live check of expected event streams.
// A payload `date` (YYYY-MM-DD) judges the rules for that day instead of yesterday (e.g. one a failed night missed).

import { lambdaRuntime } from '#functions/runtime.ts';
import { scheduledDetection } from '#shared/detection/detect.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { observability } from '#shared/observability/observe.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import { createSqsQueue } from '#shared/queue/sqs-queue.ts';
import { parseLocalDate } from '#shared/time/calendar.ts';

let queue: DeliveryQueue | undefined;

interface ScheduleEvent {
  date?: unknown;
}

export async function handler(event: ScheduleEvent = {}): Promise<Record<string, unknown>> {
  const { store, config, env, now } = lambdaRuntime();
  const obs = observability(config);
  if (!env.DELIVERY_QUEUE_URL) throw new Error('DELIVERY_QUEUE_URL is not set');
  const date = typeof event.date === 'string' ? parseLocalDate(event.date) : undefined;
  queue ??= createSqsQueue(env.DELIVERY_QUEUE_URL);
  return obs.job('detect-anomalies', event, async () => {
    const summary = await recordRun(store, 'detect-anomalies', now, () =>
      scheduledDetection({ store, config, now, queue: queue! }, date),
    );
    obs.incidents(summary.kpis, summary.events);
    return summary;
  });
}

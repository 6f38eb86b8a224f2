// EventBridge Scheduler (hourly, config time zone) -> the watchdog: judges the deployed jobs' due runs and the events
// queue, opens or resolves incidents, then beats its heartbeat metric (the alarm on it fires when the beats stop).

import { lambdaRuntime } from '#functions/runtime.ts';
import { observability } from '#shared/observability/observe.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import { createSqsQueue } from '#shared/queue/sqs-queue.ts';
import { parseWatchedJobs, watchdogCheck } from '#shared/watchdog/watchdog.ts';

let queue: DeliveryQueue | undefined;

export async function handler(event: unknown = {}): Promise<Record<string, unknown>> {
  const { store, config, env, now } = lambdaRuntime();
  const obs = observability(config);
  return obs.job('watchdog', event, async () => {
    if (!env.DELIVERY_QUEUE_URL) throw new Error('DELIVERY_QUEUE_URL is not set');
    queue ??= createSqsQueue(env.DELIVERY_QUEUE_URL);
    const jobs = parseWatchedJobs(process.env.WATCHED_JOBS);
    const summary = await watchdogCheck(now(), { store, config, queue, jobs, scrubber: obs.scrubber });
    obs.incidents(summary);
    obs.heartbeat(summary.findings.length);
    return summary;
  });
}

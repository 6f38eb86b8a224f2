// EventBridge Scheduler (a report's schedule, config time zone) -> one delivery message per recipient.
// The period comes from the scheduled time, not the clock, so a retried invocation plans the same period.
import * as z from 'zod/mini';
import { deliveryQueue, nightshiftHandler, ScheduledJob } from '#functions/middleware.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { planReport } from '#shared/reporting/plan.ts';

const Trigger = z.extend(ScheduledJob, { reportId: z.string().check(z.minLength(1)) });

export const handler = nightshiftHandler(Trigger, async (event, { store, config, env, now, obs }) => {
  const queue = deliveryQueue(env);
  const firedAt = event.scheduledTime === undefined ? now() : Date.parse(event.scheduledTime);
  return obs.job('plan-reports', event, () =>
    recordRun(store, 'plan-reports', now, () => planReport(event.reportId, firedAt, { config, queue }), {
      key: event.reportId,
    }),
  );
});

// EventBridge Scheduler (hourly, config time zone) -> anomaly detection: yesterday's alert rules (only the first run
// after the rollup does work; later ones find the day judged) and the live check of expected event streams.
// A payload `date` (YYYY-MM-DD) judges the rules for that day instead of yesterday (e.g. one a failed night missed).
import * as z from 'zod/mini';
import { deliveryQueue, LocalDateInput, nightshiftHandler, ScheduledJob } from '#functions/middleware.ts';
import { scheduledDetection } from '#shared/detection/detect.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { parseLocalDate } from '#shared/time/calendar.ts';

const Trigger = z.extend(ScheduledJob, { date: z.optional(LocalDateInput) });

export const handler = nightshiftHandler(Trigger, async (event, { store, config, env, now, obs }) => {
  const queue = deliveryQueue(env);
  const date = event.date === undefined ? undefined : parseLocalDate(event.date);
  return obs.job('detect-anomalies', event, async () => {
    const summary = await recordRun(store, 'detect-anomalies', now, () =>
      scheduledDetection({ store, config, now, queue }, date),
    );
    obs.incidents(summary.kpis, summary.events);
    return summary;
  });
});

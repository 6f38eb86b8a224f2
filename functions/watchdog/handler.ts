// EventBridge Scheduler (hourly, config time zone) -> the watchdog: judges the deployed jobs' due runs and the events
// queue, opens or resolves incidents, then beats its heartbeat metric (the alarm on it fires when the beats stop).
import { deliveryQueue, nightshiftHandler, ScheduledJob } from '#functions/middleware.ts';
import { parseWatchedJobs, watchdogCheck } from '#shared/watchdog/watchdog.ts';

export const handler = nightshiftHandler(ScheduledJob, async (event, { store, config, env, now, obs }) =>
  obs.job('watchdog', event, async () => {
    const queue = deliveryQueue(env);
    const jobs = parseWatchedJobs(process.env.WATCHED_JOBS);
    const summary = await watchdogCheck(now(), { store, config, queue, jobs, scrubber: obs.scrubber });
    obs.incidents(summary);
    obs.heartbeat(summary.findings.length);
    return summary;
  }),
);

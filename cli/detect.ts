// `nightshift detect`: judge the alert rules and expected events for past days, open/resolve incidents and mail
// their transitions through the local SES, as the hourly detection does in AWS.
import { type DetectSummary, detectAnomaliesBetween, scheduledDetection } from '#shared/detection/detect.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import type { LocalDate } from '#shared/time/calendar.ts';
import type { CommandContext } from './context.ts';
import { localDeliveryQueue } from './local-queue.ts';

export async function runDetect(ctx: CommandContext, from: LocalDate, to: LocalDate) {
  const { queue, sentCount, outbox } = await localDeliveryQueue(ctx);
  const summary = await recordRun(ctx.store, 'detect-anomalies', ctx.now, () =>
    detectAnomaliesBetween(from, to, { store: ctx.store, config: ctx.config, now: ctx.now, queue }),
  );
  return { ...summary, alertsSent: sentCount(), outbox };
}

/** The hourly detection job at `ctx.now()`: yesterday's rules (a no-op once judged), then the live check of events. */
export async function runHourlyDetect(ctx: CommandContext) {
  const { queue, sentCount, outbox } = await localDeliveryQueue(ctx);
  const summary = await recordRun(ctx.store, 'detect-anomalies', ctx.now, () =>
    scheduledDetection({ store: ctx.store, config: ctx.config, now: ctx.now, queue }),
  );
  // ScheduledSummary's parts are typed loosely (Omit over an index signature); their transitions are these.
  type Transitions = Pick<DetectSummary, 'opened' | 'escalated' | 'resolved' | 'open' | 'enqueued'>;
  return {
    kpis: summary.kpis as Transitions,
    events: summary.events as Transitions,
    alertsSent: sentCount(),
    outbox,
  };
}

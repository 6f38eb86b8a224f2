// `nightshift detect`: judge the alert rules and expected events for past days, open/resolve incidents and mail
// their transitions through the local SES, as the hourly detection does in AWS.
import {
  type DetectSummary,
  detectAnomaliesBetween,
  type SubjectResult,
  scheduledDetection,
} from '#shared/detection/detect.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import type { LocalDate } from '#shared/time/calendar.ts';
import type { CommandContext } from './context.ts';
import { localDeliveryQueue } from './local-queue.ts';

export async function runDetect(ctx: CommandContext, from: LocalDate, to: LocalDate) {
  const { queue, sentCount, outbox } = await localDeliveryQueue(ctx);
  const summary = await recordRun(ctx.store, 'detect-anomalies', ctx.now, () =>
    detectAnomaliesBetween(from, to, { store: ctx.store, config: ctx.config, now: ctx.now, queue }),
  );
  return { ...summary, days: summary.days.map(skippedAsCurrent), alertsSent: sentCount(), outbox };
}

/** A subject a run did not judge again, with what its incident says now (after the latest period judged). */
export interface SkippedResult extends Omit<SubjectResult, 'period' | 'status'> {
  outcome: 'already_judged';
  current: { period?: string; status?: SubjectResult['status']; summary: string };
}

/** One day of `nightshift detect`: detection's summary, a skipped subject's incident state under `current`. */
export type DetectDay = Pick<
  DetectSummary,
  'date' | 'judged' | 'opened' | 'escalated' | 'resolved' | 'open' | 'enqueued'
> & { results: Array<SubjectResult | SkippedResult> };

/**
 * A day judged before: incidents keep no result per period, only their latest state, which detection reports for a
 * subject it skips. Under the day asked for that read as the day's own result (`detect --date` of an old day showed the
 * latest day's summaries), so it moves under `current`, and `summary` says so.
 */
export function skippedAsCurrent(day: DetectSummary): DetectDay {
  const results = day.results.map((r): SubjectResult | SkippedResult => {
    if (r.outcome !== 'already_judged') return r;
    const { period, status, summary, ...rest } = r;
    const through = period ? ` (through ${period})` : '';
    return {
      ...rest,
      outcome: 'already_judged',
      summary: `not judged again: already judged by an earlier run${through}; current is the incident's state now, not ${day.date}'s result`,
      current: { ...(period ? { period } : {}), ...(status ? { status } : {}), summary },
    };
  });
  return { ...day, results };
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

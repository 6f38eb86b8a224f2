// `nightshift detect`: judge the alert rules and expected events for past days, open/resolve incidents and mail
// their transitions through the local SES, as the hourly detection does in AWS.
import {
  assertEnded,
  type DetectSummary,
  detectAnomaliesBetween,
  rangeRunRecord,
  type SubjectResult,
  scheduledDetection,
} from '#shared/detection/detect.ts';
import { readProfile } from '#shared/detection/stream-profile.ts';
import { readDayFigures } from '#shared/events/day-figures.ts';
import { nearestName } from '#shared/formula/formula.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import type { StateStore } from '#shared/store/store.ts';
import type { LocalDate } from '#shared/time/calendar.ts';
import type { CommandContext } from './context.ts';
import { localDeliveryQueue } from './local-queue.ts';

export interface DetectRunOptions {
  /**
   * false: judge and move incidents as usual, but send no alert mail (a backfill of history: the team hears of the
   * transitions from the first nightly run on, not of every past one). @default true
   */
  mail?: boolean;
}

export async function runDetect(ctx: CommandContext, from: LocalDate, to: LocalDate, options: DetectRunOptions = {}) {
  let unsent = 0;
  const mail = options.mail !== false;
  const { queue, sentCount, outbox } = mail
    ? await localDeliveryQueue(ctx)
    : {
        queue: {
          async enqueue(messages: readonly unknown[]) {
            unsent += messages.length;
          },
        },
        sentCount: () => 0,
        outbox: undefined,
      };
  // A day not over yet is refused before a run is recorded: a refused argument is no failed job in the report.
  assertEnded(to, { config: ctx.config, now: ctx.now });
  // Started by hand (or a nightly cron): job health judges it as the nightly run it is, not as missed hourly slots.
  const summary = await recordRun(
    ctx.store,
    'detect-anomalies',
    ctx.now,
    () => detectAnomaliesBetween(from, to, { store: ctx.store, config: ctx.config, now: ctx.now, queue }),
    // The run's mails are sent: a record that cannot be written must not hide its transitions.
    { manual: true, record: rangeRunRecord, onUnrecorded: (error) => console.error(unrecordedLine(error)) },
  );
  const unseen = await unseenExpectedEvents(ctx.store, ctx.config.alerts.expectedEvents, from, to);
  return {
    ...summary,
    transitions: transitionsInOrder(summary.days),
    days: summary.days.map(skippedAsCurrent),
    unseenEvents: unseen,
    alertsSent: sentCount(),
    // Only with --no-mail: the alert mails it left unsent.
    ...(mail ? {} : { alertsNotSent: unsent }),
    outbox,
  };
}

/** The warning `detect` prints when its run is done but could not be recorded. */
export function unrecordedLine(error: unknown): string {
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `nightshift: the run is done but its record could not be written (${why}); \`nightshift runs\` shows it as running`;
}

/** An incident's move in a range, as `detect` lists them: by day judged, in the order judged. */
export interface DetectTransition {
  /** The day judged. */
  date: LocalDate;
  /** The period the transition is about (a day, or a week or month of a rule on one). */
  period: string;
  transition: NonNullable<SubjectResult['transition']>;
  incident: string;
}

/**
 * The incidents opened, escalated and resolved over the days, in date order: a backfill reads as it happened (the
 * summary's `opened`, `escalated` and `resolved` hold the same, by kind).
 */
export function transitionsInOrder(
  days: ReadonlyArray<{
    date: LocalDate;
    results: ReadonlyArray<Pick<SubjectResult, 'incident' | 'period' | 'outcome' | 'transition'>>;
  }>,
): DetectTransition[] {
  return days.flatMap((d) =>
    d.results.flatMap((r) =>
      r.outcome === 'already_judged' || r.transition === undefined
        ? []
        : [{ date: d.date, period: r.period ?? d.date, transition: r.transition, incident: r.incident }],
    ),
  );
}

/**
 * An expected event no event has ever had as its name, as far as detection has seen: its stream is watched from its
 * first event on, so a misspelt name in `alerts.expectedEvents` is never watched at all.
 */
export interface UnseenEvent {
  event: string;
  /** Days of the range the rollup counted, and their events (all of other names; 0: no data at all yet). */
  days: number;
  events: number;
  /** The name those days had that it most likely meant. */
  suggestion?: string;
}

/**
 * The expected events detection has never seen one of, with what the range's days (as the rollup counted them) had
 * instead: the event names the config most likely meant.
 */
export async function unseenExpectedEvents(
  store: StateStore,
  expected: ReadonlyArray<{ event: string }>,
  from: LocalDate,
  to: LocalDate,
): Promise<UnseenEvent[]> {
  const unseen: string[] = [];
  for (const e of expected) if ((await readProfile(store, e.event)).firstSeen === undefined) unseen.push(e.event);
  if (unseen.length === 0) return [];
  const figures = await readDayFigures(store, from, to);
  const names = new Map<string, number>();
  for (const f of figures) for (const [name, n] of Object.entries(f.eventNames ?? {})) names.set(name, n);
  const events = figures.reduce((sum, f) => sum + f.events, 0);
  return unseen.map((event) => {
    const suggestion = nearestName(event, names.keys());
    return { event, days: figures.length, events, ...(suggestion === undefined ? {} : { suggestion }) };
  });
}

/** The line `nightshift detect` prints for an expected event never seen. */
export function unseenEventLine(u: UnseenEvent, from: LocalDate, to: LocalDate): string {
  const range = from === to ? from : `${from}..${to}`;
  const head = `${range}  not watched "${u.event}" (alerts.expectedEvents): no such event has arrived yet, and a stream is watched from its first event on`;
  if (u.suggestion !== undefined)
    return `${head}; did you mean "${u.suggestion}"? (${u.events} events of other names arrived; names are matched exactly, case included)`;
  if (u.days === 0) return `${head}; these days have not been rolled up, so the names that did arrive are not known`;
  if (u.events === 0) return `${head}; no events at all were counted on these days`;
  return `${head}; ${u.events} events of other names arrived: check the name (matched exactly, case included)`;
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

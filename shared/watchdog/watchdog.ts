// The watchdog: every hour, each scheduled job's latest due run is judged against its recorded runs (missed or late,
// failed, suspiciously short or long), the events queue against its silence limit, and the mail SES reported bounced
// or marked as spam (./mail-feedback.ts). Each problem is one incident, kept and routed by the same machinery as KPI
// incidents (shared/alerts), so it reaches the "outage" plan's first responder and resolves, with a mail, once the
// runs are healthy again.

import type { NightshiftConfig } from '#shared/config/schema.ts';
import type { IncidentSubject, Observation, Recorded, Severity } from '#shared/incidents/incidents.ts';
import { recordObservation } from '#shared/incidents/incidents.ts';
import { deliverTransitions } from '#shared/incidents/routing.ts';
import { JOBS, type JobName, type JobRun, parseJobNames, recentRuns, scheduleKeyOf } from '#shared/jobs/runs.ts';
import { defaultScrubber, type Scrubber } from '#shared/observability/scrub.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import { localHour } from '#shared/time/calendar.ts';
import { type Check, DEFAULT_THRESHOLDS, judgeStream, type Problem, type Thresholds, type Verdict } from './judge.ts';
import { judgeMailFeedback, type MailProblem } from './mail-feedback.ts';
import { checkQueueSilence, type QueueSilence, WATCHDOG_PK } from './queue-silence.ts';
import { asRun, dueTimes, periodMs, type RunStream, runStreams } from './schedule.ts';

export interface WatchdogDeps {
  store: StateStore;
  config: NightshiftConfig;
  queue: DeliveryQueue;
  /** The jobs deployed (and so expected to run). @default every job */
  jobs?: readonly JobName[];
  thresholds?: Partial<Thresholds>;
  /**
   * Expect runs due from this instant on, even of jobs that never ran. @default when the watchdog first ran (stored),
   * so a new deployment is not blamed for runs due before it existed. The demo passes a day ago.
   */
  expectSince?: number;
  /** Blanks personal data from run errors before an alert quotes them. @default one that knows no people */
  scrubber?: Scrubber;
}

export interface Finding {
  incident: string;
  problem: Problem | 'silent_queue' | MailProblem;
  summary: string;
}

export interface WatchdogSummary extends Record<string, unknown> {
  at: string;
  /** The local hour judged: '2026-11-22T14'. A second check in the same hour changes nothing. */
  period: string;
  jobs: JobName[];
  /** Subjects observed this check (repeats within the hour not counted). */
  judged: number;
  /** Problems seen now, whether their incident just opened or was already open. */
  findings: Finding[];
  opened: string[];
  escalated: string[];
  resolved: string[];
  /** Watchdog incidents open after the check, of the subjects it looked at. */
  open: string[];
  /** Alert messages put on the delivery queue. */
  enqueued: number;
  queue: Pick<QueueSilence, 'lastStored' | 'silentMinutes' | 'limitMinutes'> & {
    /** ISO 8601 instant events were last stored, or null if never. */
    lastStoredAt: string | null;
  };
}

/** Recent runs read per job: days of nightly runs, two days of hourly ones. */
export const RUNS_READ = 60;
const SINCE_SK = 'since';

const CHECK_TITLE: Record<Check, string> = {
  schedule: 'missed or late',
  outcome: 'failed',
  duration: 'unusual duration',
};

/**
 * One incident per stream and check, e.g. 'job:rollup-kpis.schedule:*:job_failed' (a report's planning has the report id
 * as its scope). The subject carries the severity of what is seen now: a critical verdict escalates an open incident.
 */
export function jobSubject(stream: RunStream, check: Check, severity: Severity = 'warning'): IncidentSubject {
  return {
    type: 'job',
    key: `${stream.job}.${check}`,
    kind: 'job_failed',
    ...(stream.key === undefined ? {} : { scope: stream.key }),
    granularity: 'hour',
    title: `${stream.label}: ${CHECK_TITLE[check]}`,
    label: stream.label,
    severity,
    openAfter: 1,
    resolveAfter: 1,
    cooldownDays: 0,
  };
}

export const QUEUE_SUBJECT: IncidentSubject = {
  type: 'job',
  key: 'ingest.queue',
  kind: 'missing_data',
  granularity: 'hour',
  title: 'Events queue: no events accepted',
  label: 'Events queue',
  // Data stopped arriving: critical from the start (and so never re-escalated by missing data's own rule).
  severity: 'critical',
  openAfter: 1,
  resolveAfter: 1,
  cooldownDays: 0,
};

/** When the watchdog first ran: due runs before it are not expected of jobs that never ran (a new deployment). */
async function watchingSince(store: StateStore, now: number): Promise<number> {
  const existing = await store.get('state', WATCHDOG_PK, SINCE_SK);
  if (existing && typeof existing.at === 'number') return existing.at;
  await store.put('state', { pk: WATCHDOG_PK, sk: SINCE_SK, at: now }, { ifAbsent: true });
  const stored = await store.get('state', WATCHDOG_PK, SINCE_SK);
  return typeof stored?.at === 'number' ? stored.at : now;
}

/**
 * The runs of each stream of a job. Runs that name their report (`key`, or `summary.reportId` of older records)
 * belong to its stream; others to the stream whose latest due time before the run is the closest.
 */
function runsByStream(streams: RunStream[], runs: JobRun[], dueBefore: (s: RunStream, t: number) => number) {
  const out = new Map<RunStream, JobRun[]>(streams.map((s) => [s, []]));
  for (const run of runs) {
    const key = scheduleKeyOf(run);
    const named = key === undefined ? undefined : streams.find((s) => s.key === key);
    if (named || streams.length === 1) {
      out.get(named ?? streams[0]!)!.push(run);
      continue;
    }
    const start = Date.parse(run.startedAt);
    const nearest = Math.max(...streams.map((s) => dueBefore(s, start)));
    for (const s of streams) if (dueBefore(s, start) === nearest) out.get(s)!.push(run);
  }
  return out;
}

/** Judges every watched job and the events queue at `now`, records one observation per subject and delivers alerts. */
export async function watchdogCheck(now: number, deps: WatchdogDeps): Promise<WatchdogSummary> {
  const { store, config } = deps;
  const thresholds = { ...DEFAULT_THRESHOLDS, ...deps.thresholds };
  const scrubber = deps.scrubber ?? defaultScrubber;
  const jobs = [...(deps.jobs ?? JOBS)];
  const at = new Date(now).toISOString();
  const period = localHour(now, config.timeZone);
  const since = deps.expectSince ?? (await watchingSince(store, now));
  // Scrubbed whole, then shortened: a quoted field cut mid-value would no longer be recognised as one.
  const errorText = (e: string) => scrubber.text(e.split('\n')[0]!).slice(0, 200);

  const observations: Array<{ subject: IncidentSubject; obs: Observation; problem?: Finding['problem'] }> = [];
  const observe = (
    subject: IncidentSubject,
    v: Pick<Verdict, 'severity' | 'magnitude' | 'summary'>,
    problem?: Finding['problem'],
  ) => {
    const anomalous = problem !== undefined;
    const obs: Observation = { period, anomalous, persists: anomalous, ...v };
    observations.push(problem ? { subject, obs, problem } : { subject, obs });
  };

  const streams = runStreams(config, jobs);
  for (const job of jobs) {
    if (!streams.some((s) => s.job === job)) continue;
    const runs = await recentRuns(store, job, RUNS_READ);
    // As the job is actually run: detection started by hand once a night is judged by that nightly run (asRun).
    const own = streams.filter((s) => s.job === job).map((s) => asRun(s, runs, now, config));
    const truncated = runs.length >= RUNS_READ;
    const dueBefore = (s: RunStream, t: number) =>
      dueTimes(s.cadence, config.timeZone, t - 2 * periodMs(s.cadence), t + thresholds.earlyMs).at(-1) ??
      Number.NEGATIVE_INFINITY;
    for (const [stream, streamRuns] of runsByStream(own, runs, dueBefore)) {
      const judgement = judgeStream(
        {
          stream,
          runs: streamRuns,
          truncated,
          now,
          timeZone: config.timeZone,
          graceMinutes: config.jobs.graceMinutes,
          watchingSince: since,
          thresholds,
        },
        errorText,
      );
      for (const v of judgement.verdicts) observe(jobSubject(stream, v.check, v.severity), v, v.problem);
    }
  }

  const silence = await checkQueueSilence(store, config, now, since);
  observe(QUEUE_SUBJECT, { severity: 'critical', ...silence }, silence.anomalous ? 'silent_queue' : undefined);
  for (const { subject, severity, magnitude, summary, problem } of await judgeMailFeedback(store, config, now)) {
    observe(subject, { severity, magnitude, summary }, problem);
  }

  const recorded: Array<{ rec: Recorded; problem?: Finding['problem'] }> = [];
  for (const { subject, obs, problem } of observations) {
    recorded.push({ rec: await recordObservation(store, subject, obs, at), ...(problem ? { problem } : {}) });
  }
  const enqueued = await deliver(
    recorded.map((r) => r.rec),
    deps,
  );

  const fresh = recorded.filter((r) => !r.rec.repeated);
  const ids = (t: string) => fresh.filter((r) => r.rec.transition?.transition === t).map((r) => r.rec.incident.id);
  return {
    at,
    period,
    jobs,
    judged: fresh.length,
    findings: recorded
      .filter((r) => r.problem !== undefined && r.rec.incident.last.anomalous)
      .map((r) => ({ incident: r.rec.incident.id, problem: r.problem!, summary: r.rec.incident.last.summary })),
    opened: ids('opened'),
    escalated: ids('escalated'),
    resolved: ids('resolved'),
    open: recorded.filter((r) => r.rec.incident.status === 'open').map((r) => r.rec.incident.id),
    enqueued,
    queue: {
      lastStoredAt: silence.lastStoredAt === undefined ? null : new Date(silence.lastStoredAt).toISOString(),
      lastStored: silence.lastStored,
      silentMinutes: silence.silentMinutes,
      limitMinutes: silence.limitMinutes,
    },
  };
}

/** Routes and enqueues every transition waiting in an outbox, as detection does. */
function deliver(recorded: Recorded[], deps: WatchdogDeps): Promise<number> {
  return deliverTransitions(recorded, deps);
}

/** `WATCHED_JOBS` as the stack sets it ('rollup,detect,plan-reports'); unset means every job. */
export function parseWatchedJobs(value: string | undefined): JobName[] | undefined {
  return value === undefined ? undefined : parseJobNames(value, 'WATCHED_JOBS');
}

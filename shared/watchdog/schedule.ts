// When each job was due, from the config alone: the same schedules infra/nightly-jobs.ts gives EventBridge
// Scheduler, read in the config's time zone. Like Scheduler, a local time that does not exist on a spring-forward
// night has no run, and a time that occurs twice on a fall-back night has one run (its first occurrence).
import type { NightshiftConfig, Schedule } from '#shared/config/schema.ts';
import { idleReason, type JobName, type JobRun } from '#shared/jobs/runs.ts';
import {
  addDays,
  clockTime,
  isoWeekday,
  type LocalDate,
  localDate,
  localParts,
  zonedInstant,
} from '#shared/time/calendar.ts';

/** How often a stream of runs is due, in local time. */
export type Cadence =
  | { every: 'hour'; minute: number }
  | { every: 'day'; at: string }
  | { every: 'week'; at: string; weekday: number }
  | { every: 'month'; at: string; dayOfMonth: number };

/** One schedule of one job: its runs are judged on their own (plan-reports has one stream per report). */
export interface RunStream {
  job: JobName;
  /** Runs of this stream carry it as `summary.reportId`; undefined for jobs with a single schedule. */
  key?: string;
  cadence: Cadence;
  /** 'Nightly rollup', 'Report planning (weekly)': how alerts name the stream. */
  label: string;
}

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

/** Minutes of the 'HH:MM' string. */
function minuteOf(at: string): number {
  return Number(at.slice(3, 5));
}

/** When a report's schedule fires (its planning is due), as a cadence. */
export function reportCadence(s: Schedule): Cadence {
  if (s.every === 'week') return { every: 'week', at: s.at, weekday: WEEKDAYS.indexOf(s.weekday ?? 'monday') + 1 };
  if (s.every === 'month') return { every: 'month', at: s.at, dayOfMonth: s.dayOfMonth ?? 1 };
  return { every: 'day', at: s.at };
}

/**
 * Every stream of runs the config schedules, for the given jobs (default all) that have work under the config (see
 * idleReason). Keep in step with JOBS in infra/nightly-jobs.ts: detection runs hourly at the rollup's minute + 30.
 */
export function runStreams(config: NightshiftConfig, jobs?: readonly JobName[]): RunStream[] {
  // A job with nothing to do under the config (no checks, no rules) is not expected to run: a missed run is no news.
  const wanted = (job: JobName) => (!jobs || jobs.includes(job)) && idleReason(config, job) === undefined;
  const out: RunStream[] = [];
  if (wanted('rollup-kpis'))
    out.push({ job: 'rollup-kpis', cadence: { every: 'day', at: config.jobs.rollupAt }, label: 'Nightly rollup' });
  if (wanted('detect-anomalies')) {
    const minute = (minuteOf(config.jobs.rollupAt) + 30) % 60;
    out.push({ job: 'detect-anomalies', cadence: { every: 'hour', minute }, label: 'Anomaly detection' });
  }
  if (wanted('check-backups')) {
    out.push({
      job: 'check-backups',
      cadence: { every: 'day', at: config.jobs.checksAt },
      label: 'Backup and data checks',
    });
  }
  if (wanted('plan-reports')) {
    for (const r of config.reports) {
      out.push({
        job: 'plan-reports',
        key: r.id,
        cadence: reportCadence(r.schedule),
        label: `Report planning (${r.id})`,
      });
    }
  }
  return out;
}

/** 'HH:MM' half an hour after `at`: the hourly detection slot after the rollup, the one that judges the day. */
function slotAfter(at: string): string {
  const minutes = (Number(at.slice(0, 2)) * 60 + minuteOf(at) + 30) % (24 * 60);
  return clockTime({ hour: Math.floor(minutes / 60), minute: minutes % 60 });
}

/** How long a run of the stack's own schedule keeps detection judged hourly: two days. */
const SCHEDULED_WITHIN_MS = 2 * 24 * 3_600_000;

/**
 * A stream as its job is actually run, judged at `now` from the runs of it read. The stack runs detection hourly;
 * detection whose latest run was started from the command line (`nightshift detect` once a night after the rollup, as
 * the README's local routine does) is judged as that one nightly run, due at the hourly slot after the rollup (the one
 * that judges the day), so the hours between are not read as missed. It stays hourly while any run of the stack's
 * schedule started in the two days before: a deployment whose hourly runs stop is still told of each missed slot.
 */
export function asRun(stream: RunStream, runs: readonly JobRun[], now: number, config: NightshiftConfig): RunStream {
  if (stream.job !== 'detect-anomalies' || stream.cadence.every !== 'hour') return stream;
  const started = runs
    .map((r) => ({ at: Date.parse(r.startedAt), manual: r.manual === true }))
    .filter((r) => r.at <= now)
    .sort((a, b) => b.at - a.at);
  const scheduled = started.some((r) => !r.manual && r.at > now - SCHEDULED_WITHIN_MS);
  if (started[0]?.manual !== true || scheduled) return stream;
  return {
    ...stream,
    cadence: { every: 'day', at: slotAfter(config.jobs.rollupAt) },
    label: 'Nightly anomaly detection',
  };
}

/** The instant a local date and time occurs, or undefined when the clocks skip it (Scheduler skips it too). */
function occurrence(date: LocalDate, time: string, timeZone: string): number | undefined {
  const instant = zonedInstant(date, time, timeZone);
  const p = localParts(instant, timeZone);
  return p.date === date && clockTime(p) === time ? instant : undefined;
}

function timesOn(date: LocalDate, cadence: Cadence): string[] {
  switch (cadence.every) {
    case 'hour':
      return Array.from({ length: 24 }, (_, hour) => clockTime({ hour, minute: cadence.minute }));
    case 'day':
      return [cadence.at];
    case 'week':
      return isoWeekday(date) === cadence.weekday ? [cadence.at] : [];
    case 'month':
      return Number(date.slice(8, 10)) === cadence.dayOfMonth ? [cadence.at] : [];
  }
}

/** Due instants of a cadence in [from, to], oldest first. */
export function dueTimes(cadence: Cadence, timeZone: string, from: number, to: number): number[] {
  const out: number[] = [];
  const last = addDays(localDate(to, timeZone), 1);
  for (let date = addDays(localDate(from, timeZone), -1); date <= last; date = addDays(date, 1)) {
    for (const time of timesOn(date, cadence)) {
      const t = occurrence(date, time, timeZone);
      if (t !== undefined && t >= from && t <= to) out.push(t);
    }
  }
  return out;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** About one period of the cadence (used to size look-back windows, never for due times themselves). */
export function periodMs(cadence: Cadence): number {
  switch (cadence.every) {
    case 'hour':
      return HOUR_MS;
    case 'day':
      return DAY_MS;
    case 'week':
      return 7 * DAY_MS;
    case 'month':
      return 31 * DAY_MS;
  }
}

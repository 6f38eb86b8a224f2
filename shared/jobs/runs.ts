// Every scheduled job records its runs (start, end, status, duration, what it processed, the error if it failed),
// so reports can show pipeline health and a watchdog can tell a job that did not run from one that found nothing.
import { randomUUID } from 'node:crypto';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { valueBytes } from '#shared/store/item-size.ts';
import type { Item, StateStore } from '#shared/store/store.ts';

export const JOBS = ['rollup-kpis', 'detect-anomalies', 'check-backups', 'plan-reports'] as const;
export type JobName = (typeof JOBS)[number];

export interface JobRun {
  job: JobName;
  /** Which of the job's schedules the run is for, when it has several (a report's planning: the report id). */
  key?: string;
  startedAt: string;
  endedAt?: string;
  status: 'running' | 'ok' | 'failed';
  durationMs?: number;
  /** What the run processed, e.g. { periods: 9, events: 52110 }. */
  summary?: Record<string, unknown>;
  error?: string;
  /**
   * Started from the command line (`nightshift detect`), not by the stack's schedule: judged by how it is actually run
   * (see asRun in shared/watchdog/schedule.ts), not as a missed hourly slot.
   */
  manual?: true;
}

/**
 * Why a job has nothing to do under the config ('No checks configured'), or undefined when it has work: the report
 * shows such a job as not needed, never as one that did not run, and the watchdog expects no runs of it.
 */
export function idleReason(config: NightshiftConfig, job: JobName): string | undefined {
  switch (job) {
    case 'check-backups':
      return config.checks.backups.length + config.checks.reconciliations.length === 0
        ? 'No checks configured'
        : undefined;
    case 'detect-anomalies':
      return config.alerts.rules.length + config.alerts.expectedEvents.length === 0
        ? 'No alert rules or expected events configured'
        : undefined;
    case 'plan-reports':
      return config.reports.length === 0 ? 'No reports configured' : undefined;
    default:
      return undefined;
  }
}

const RUN_RETENTION_DAYS = 90;

export class JobNameError extends Error {
  override name = 'JobNameError';
}

/** 'rollup, checks': known job names, each once; `source` names where the list came from for the error. */
export function parseJobNames(value: string, source: string): JobName[] {
  const names = [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    ),
  ];
  const unknown = names.filter((n) => !(JOBS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new JobNameError(`${source}: unknown job '${unknown.join("', '")}' (jobs: ${JOBS.join(', ')})`);
  }
  return names as JobName[];
}
const partition = (job: JobName) => `RUN#${job}`;

export interface RecordRunOptions<T> {
  /** Which of the job's schedules the run is for (a report id), kept on every state of the record. */
  key?: string;
  /** Started from the command line rather than by the stack's schedule. */
  manual?: boolean;
  /**
   * What of the work's result the record keeps as its summary (default: all of it); cut to `SUMMARY_MAX_BYTES`
   * either way (`boundedSummary`).
   */
  record?: (result: T) => Record<string, unknown>;
  /**
   * Called, instead of throwing, when the work succeeded but its record could not be written: the work's side
   * effects (mails sent, incidents moved) have happened, and a caller that reports them must not lose them to the
   * record. The record then still says 'running'. Without it the error is thrown.
   */
  onUnrecorded?: (error: unknown) => void;
}

/**
 * Runs `work` as a recorded run of `job`; a failure of the work is recorded with its error and rethrown. `key` names
 * the schedule the run is for (a report id), kept on every state of the record so even a failed run is matched to its
 * schedule; `manual` marks a run started from the command line rather than by the stack's schedule. Whatever the work
 * returns, the record stays within DynamoDB's item size limit (see `record` and `boundedSummary`).
 */
export async function recordRun<T extends Record<string, unknown>>(
  store: StateStore,
  job: JobName,
  now: () => number,
  work: () => Promise<T>,
  options: RecordRunOptions<T> = {},
): Promise<T> {
  const start = now();
  const base: Item = {
    pk: partition(job),
    // Two runs starting in the same millisecond (a CLI replaying one --now twice) must not overwrite each other.
    sk: `${new Date(start).toISOString()}#${randomUUID().slice(0, 8)}`,
    job,
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.manual ? { manual: true } : {}),
    startedAt: new Date(start).toISOString(),
    ttl: Math.floor(start / 1000) + RUN_RETENTION_DAYS * 86_400,
  };
  await store.put('state', { ...base, status: 'running' });
  let result: T;
  try {
    result = await work();
  } catch (error) {
    const end = now();
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await store.put('state', {
      ...base,
      status: 'failed',
      endedAt: new Date(end).toISOString(),
      durationMs: end - start,
      error: message.slice(0, 2000),
    });
    throw error;
  }
  // The work is done and its side effects happened: only the record is left, and it is not the work's failure (a
  // record refused used to mark a run that had mailed its alerts as failed).
  const end = now();
  try {
    await store.put('state', {
      ...base,
      status: 'ok',
      endedAt: new Date(end).toISOString(),
      durationMs: end - start,
      summary: boundedSummary(options.record ? options.record(result) : result),
    });
  } catch (error) {
    if (!options.onUnrecorded) throw error;
    options.onUnrecorded(error);
  }
  return result;
}

/**
 * The most a run record's summary takes. The rest of the record (keys, times, status) takes well under 1 KB, so a
 * record stays far inside DynamoDB's 400 KB item limit (`MAX_ITEM_BYTES`) whatever a run processed.
 */
export const SUMMARY_MAX_BYTES = 300 * 1024;

/**
 * `summary` as a run record keeps it: whole when it fits `maxBytes` (as DynamoDB sizes it). Otherwise its attributes
 * in order while they fit, a list that does not fit cut to the leading elements that do, any other attribute left out;
 * `leftOut` says what was cut: `{ days: 64 }` (the last 64 elements of `days`), `{ notes: 'omitted' }`.
 */
export function boundedSummary(
  summary: Record<string, unknown>,
  maxBytes = SUMMARY_MAX_BYTES,
): Record<string, unknown> {
  if (valueBytes(summary) <= maxBytes) return summary;
  const names = Object.keys(summary).filter((name) => summary[name] !== undefined);
  // Room kept for `leftOut` naming every attribute, each with a count (a number takes at most 21 bytes).
  const reserve = 1 + LEFT_OUT.length + 3 + names.reduce((n, name) => n + 1 + Buffer.byteLength(name) + 21, 0);
  let room = maxBytes - 3 - reserve;
  const kept: Record<string, unknown> = {};
  const leftOut: Record<string, number | 'omitted'> = {};
  for (const name of names) {
    const value = summary[name];
    const head = 1 + Buffer.byteLength(name);
    if (head + valueBytes(value) <= room) {
      kept[name] = value;
      room -= head + valueBytes(value);
    } else if (Array.isArray(value) && head + 3 <= room) {
      let used = head + 3;
      let count = 0;
      for (const element of value) {
        const bytes = 1 + valueBytes(element);
        if (used + bytes > room) break;
        used += bytes;
        count++;
      }
      kept[name] = value.slice(0, count);
      leftOut[name] = value.length - count;
      room -= used;
    } else {
      leftOut[name] = 'omitted';
    }
  }
  return { ...kept, [LEFT_OUT]: leftOut };
}

const LEFT_OUT = 'leftOut';

/** Which of its job's schedules a run was for: its key, or the report its summary names; undefined if neither. */
export function scheduleKeyOf(run: JobRun): string | undefined {
  const reportId = run.summary?.reportId;
  return run.key ?? (typeof reportId === 'string' ? reportId : undefined);
}

/** The newest `limit` runs of `job`, newest first; with `startedBy`, only runs that had started by that instant. */
export async function recentRuns(store: StateStore, job: JobName, limit = 10, startedBy?: number): Promise<JobRun[]> {
  const out: JobRun[] = [];
  // Sort keys are the start instant and a hex suffix: '~' sorts after every suffix of that instant.
  const to = startedBy === undefined ? {} : { to: `${new Date(startedBy).toISOString()}#~` };
  for await (const item of store.query('state', partition(job), { newestFirst: true, limit, ...to })) {
    const { pk: _pk, sk: _sk, ttl: _ttl, ...run } = item;
    out.push(run as unknown as JobRun);
  }
  return out;
}

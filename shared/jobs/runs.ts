// Every scheduled job records its runs (start, end, status, duration, what it processed, the error if it failed),
// so reports can show pipeline health and a watchdog can tell a job that did not run from one that found nothing.
import { randomUUID } from 'node:crypto';
import type { NightshiftConfig } from '#shared/config/schema.ts';
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

/**
 * Runs `work` as a recorded run of `job`; a failure is recorded with its error and rethrown. `key` names the schedule
 * the run is for (a report id), kept on every state of the record so even a failed run is matched to its schedule;
 * `manual` marks a run started from the command line rather than by the stack's schedule.
 */
export async function recordRun<T extends Record<string, unknown>>(
  store: StateStore,
  job: JobName,
  now: () => number,
  work: () => Promise<T>,
  options: { key?: string; manual?: boolean } = {},
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
  try {
    const summary = await work();
    const end = now();
    await store.put('state', {
      ...base,
      status: 'ok',
      endedAt: new Date(end).toISOString(),
      durationMs: end - start,
      summary,
    });
    return summary;
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
}

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

// `nightshift watchdog`: the hourly watchdog on demand. Judges each scheduled job's latest due run and the events
// queue at the context's clock (now, or --at), opens and resolves incidents, and mails their transitions through the
// local SES, as the watchdog function does in AWS.
import { JOBS, type JobName, parseJobNames } from '#shared/jobs/runs.ts';
import { parseOffsetTimestamp } from '#shared/time/calendar.ts';
import { type WatchdogSummary, watchdogCheck } from '#shared/watchdog/index.ts';
import type { CommandContext } from './context.ts';
import { localDeliveryQueue } from './local-queue.ts';

export interface WatchdogOptions {
  /** The jobs expected to run (default all). */
  jobs?: readonly JobName[];
  /** Expect runs due from this instant on (see WatchdogDeps.expectSince); default when the watchdog first ran. */
  expectSince?: number;
}

export interface WatchdogRun extends WatchdogSummary {
  /** Alert mails sent for the transitions of this check. */
  alertsSent: number;
  outbox: string;
}

/** `--jobs rollup,checks`: known job names only. */
export function parseJobList(value: string): JobName[] {
  const names = parseJobNames(value, '--jobs');
  if (names.length === 0) throw new Error(`--jobs names no job (jobs: ${JOBS.join(', ')})`);
  return names;
}

/** `--at 2026-11-23T03:45+08:00`: an instant with its offset (a local time alone is ambiguous). */
export function parseInstant(value: string, option = '--at'): number {
  const problem = instantProblem(value);
  if (typeof problem === 'string') throw new Error(`${option} ${value}: ${problem}`);
  return problem.ms;
}

/**
 * What is wrong with an instant, without the option and value (commander's argument errors name both already), or
 * the instant in epoch ms.
 */
export function instantProblem(value: string): string | { ms: number } {
  const parsed = parseOffsetTimestamp(value);
  if (parsed.ok) return { ms: parsed.ms };
  // An example helps with the format; a well-formed instant that does not exist (11-31, 24:30) is told why alone.
  return `${parsed.reason}${parsed.impossible ? '' : ', e.g. 2026-11-23T03:45+08:00'}`;
}

/** One watchdog check at `ctx.now()`. */
export async function runWatchdog(ctx: CommandContext, options: WatchdogOptions = {}): Promise<WatchdogRun> {
  const { queue, sentCount, outbox } = await localDeliveryQueue(ctx);
  const summary = await watchdogCheck(ctx.now(), {
    store: ctx.store,
    config: ctx.config,
    queue,
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.expectSince === undefined ? {} : { expectSince: options.expectSince }),
  });
  return { ...summary, alertsSent: sentCount(), outbox };
}

/** The lines `nightshift watchdog` prints: what is wrong now, what changed, and a total. */
export function watchdogLines(run: WatchdogRun): string[] {
  const out: string[] = [];
  for (const f of run.findings) out.push(`${f.problem.padEnd(12)} ${f.summary}`);
  for (const [what, ids] of [
    ['opened', run.opened],
    ['escalated', run.escalated],
    ['resolved', run.resolved],
  ] as const) {
    for (const id of ids) out.push(`${run.period}  ${what.padEnd(9)} ${id}`);
  }
  if (run.judged === 0) {
    // Every subject of this hour was judged by an earlier check: saying "nothing wrong" would claim a fresh look.
    out.push(
      `${run.period} was checked already: nothing judged again this hour (problems still open are listed above)`,
    );
  } else if (run.findings.length === 0) {
    out.push(
      `nothing wrong with ${run.jobs.join(', ')} or the events queue (events last stored: ${run.queue.lastStored})`,
    );
  }
  out.push(
    `${run.open.length} watchdog incident${run.open.length === 1 ? '' : 's'} open; ${run.alertsSent} alert mail${run.alertsSent === 1 ? '' : 's'} sent (copies in ${run.outbox})`,
  );
  return out;
}

// Judging one stream of runs (pure): the latest due run whose grace time has passed is missed, late or on time;
// its last attempt failed or succeeded; and it took about as long as that stream usually takes, or not.

import type { Severity } from '#shared/incidents/incidents.ts';
import type { JobRun } from '#shared/jobs/runs.ts';
import { clockTime, localParts, periodLabel } from '#shared/time/calendar.ts';
import { dueTimes, periodMs, type RunStream } from './schedule.ts';

export interface Thresholds {
  /** A run that starts up to this long before its due time still counts for it (a manual run just before). */
  earlyMs: number;
  /** A finished run shorter than this share of the median is suspicious ... */
  shortRatio: number;
  /** ... and one longer than this many times the median. */
  longRatio: number;
  /** Earlier successful runs needed before durations are judged at all. */
  minHistory: number;
  /** Earlier successful runs the median is taken over. */
  historySize: number;
  /** A run this close to the median is never suspicious, whatever the ratio: sub-second jobs jitter by 10x. */
  minDeviationMs: number;
  /** A run still marked running this long after it started never finished: Lambda stops any function by 15 min. */
  stuckAfterMs: number;
  /** Due runs looked back over to count misses or failures in a row. */
  lookback: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  earlyMs: 5 * 60_000,
  shortRatio: 0.1,
  longRatio: 5,
  minHistory: 5,
  historySize: 20,
  minDeviationMs: 60_000,
  stuckAfterMs: 16 * 60_000,
  lookback: 8,
};

export type Problem = 'missed' | 'late' | 'failed' | 'short' | 'long';
export type Check = 'schedule' | 'outcome' | 'duration';

export interface Verdict {
  check: Check;
  /** The problem found, or undefined when this check is healthy. */
  problem?: Problem;
  severity: Severity;
  /** How bad, capped at 2 so a long outage escalates once rather than every few hours. */
  magnitude: number;
  summary: string;
}

export interface StreamJudgement {
  stream: RunStream;
  /** The due run judged; undefined when none is judgeable yet. */
  dueAt?: number;
  /** One verdict per check that could be judged (no outcome without a run, no duration without history). */
  verdicts: Verdict[];
}

export interface StreamInput {
  stream: RunStream;
  /** Runs of this stream, any order. */
  runs: readonly JobRun[];
  /** Whether `runs` may miss older runs (the read was cut at its limit). */
  truncated: boolean;
  now: number;
  timeZone: string;
  graceMinutes: number;
  /** Due runs before this instant are not expected unless the stream ran before them (a new deployment). */
  watchingSince: number;
  thresholds: Thresholds;
}

const MAX_MAGNITUDE = 2;
const startOf = (r: JobRun) => Date.parse(r.startedAt);

/** '00:30 on 22 Nov' in the config's time zone. */
export function localWhen(instant: number, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${clockTime(p)} on ${periodLabel(p.date)}`;
}

/** '45 s', '9.8 min', '2.1 h' */
export function duration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)} min`;
  return `${+(ms / 3_600_000).toFixed(1)} h`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Scrubs and shortens a stored error for an alert: the first line, at most 200 characters. */
export type ErrorText = (error: string) => string;

/**
 * Judges the latest due run of a stream whose grace time has passed. `errorText` turns a stored error into what an
 * alert may quote (the watchdog passes the log scrubber, so no personal data reaches a mail).
 */
export function judgeStream(input: StreamInput, errorText: ErrorText = (e) => e): StreamJudgement {
  const windows = dueWindows(input);
  const latest = windows.judgeable.at(-1);
  if (!latest) return { stream: input.stream, verdicts: [] };
  const due = latest.due;
  const attempts = windows.attemptsOf(latest);
  if (attempts.length === 0)
    return { stream: input.stream, dueAt: due, verdicts: [missedVerdict(input, due, windows)] };
  const verdicts = [scheduleVerdict(input, due, attempts[0]!)];
  const outcome = outcomeVerdict(input, due, attempts, windows, errorText);
  if (outcome) verdicts.push(outcome);
  if (outcome?.problem !== 'failed') {
    const took = durationVerdict(input, due, attempts.at(-1)!, windows.runs);
    if (took) verdicts.push(took);
  }
  return { stream: input.stream, dueAt: due, verdicts };
}

interface DueWindow {
  due: number;
  /** The next due time: attempts started before it belong to this window. */
  next: number;
}

interface DueWindows {
  /** The stream's runs, oldest first. */
  runs: JobRun[];
  /** Due times whose grace has passed and for which a run was expected, oldest first. */
  judgeable: DueWindow[];
  attemptsOf(window: DueWindow): JobRun[];
  /** Due runs in a row, from the latest back, for which `bad` holds (as far as the runs read reach). */
  inARow(bad: (attempts: JobRun[]) => boolean): number;
}

function dueWindows(input: StreamInput): DueWindows {
  const { stream, now, timeZone, thresholds: t } = input;
  const grace = input.graceMinutes * 60_000;
  const span = periodMs(stream.cadence) * (t.lookback + 1) + grace;
  const dues = dueTimes(stream.cadence, timeZone, now - span, now + 2 * periodMs(stream.cadence));
  const runs = [...input.runs].sort((a, b) => startOf(a) - startOf(b));
  const oldestKnown = input.truncated && runs.length > 0 ? startOf(runs[0]!) : Number.NEGATIVE_INFINITY;
  const expected = (due: number) => due >= input.watchingSince || runs.some((r) => startOf(r) < due - t.earlyMs);
  const judgeable = dues
    .map((due, i) => ({ due, next: dues[i + 1] ?? Number.POSITIVE_INFINITY }))
    .filter(({ due }) => due + grace <= now && expected(due));
  const attemptsOf = ({ due, next }: DueWindow) =>
    runs.filter((r) => startOf(r) >= due - t.earlyMs && startOf(r) < next - t.earlyMs);
  const inARow = (bad: (attempts: JobRun[]) => boolean) => {
    let n = 0;
    for (let i = judgeable.length - 1; i >= 0 && n < t.lookback; i--) {
      const w = judgeable[i]!;
      if (w.due - t.earlyMs < oldestKnown || !bad(attemptsOf(w))) break;
      n++;
    }
    return n;
  };
  return { runs, judgeable, attemptsOf, inARow };
}

function missedVerdict(input: StreamInput, due: number, windows: DueWindows): Verdict {
  const n = windows.inARow((a) => a.length === 0);
  return {
    check: 'schedule',
    problem: 'missed',
    severity: 'critical',
    magnitude: Math.min(n, MAX_MAGNITUDE),
    summary:
      `${input.stream.label} did not run: due ${localWhen(due, input.timeZone)}, nothing started within the ${input.graceMinutes}-minute grace time` +
      (n > 1 ? ` (${n} due runs in a row)` : ''),
  };
}

function scheduleVerdict(input: StreamInput, due: number, first: JobRun): Verdict {
  const grace = input.graceMinutes * 60_000;
  const lateMs = startOf(first) - due;
  const dueText = localWhen(due, input.timeZone);
  if (lateMs <= grace) {
    return {
      check: 'schedule',
      severity: 'warning',
      magnitude: 0,
      summary: `${input.stream.label} started on time for ${dueText}`,
    };
  }
  return {
    check: 'schedule',
    problem: 'late',
    severity: 'warning',
    magnitude: Math.min(lateMs / grace - 1, MAX_MAGNITUDE),
    summary: `${input.stream.label} ran late: due ${dueText}, started ${localWhen(startOf(first), input.timeZone)} (${duration(lateMs)} late; grace ${input.graceMinutes} min)`,
  };
}

/** The latest attempt failed or is stuck (a failure), succeeded, or is still running (no verdict yet). */
function outcomeVerdict(
  input: StreamInput,
  due: number,
  attempts: JobRun[],
  windows: DueWindows,
  errorText: ErrorText,
): Verdict | undefined {
  const { now, timeZone, thresholds: t, stream } = input;
  const dueText = localWhen(due, timeZone);
  const last = attempts.at(-1)!;
  const stuck = (r: JobRun) => r.status === 'running' && now - startOf(r) > t.stuckAfterMs;
  const failed = (a: JobRun[]) => a.length > 0 && (a.at(-1)!.status === 'failed' || stuck(a.at(-1)!));
  if (failed(attempts)) {
    const n = windows.inARow(failed);
    const what =
      last.status === 'failed'
        ? `failed: ${errorText(last.error ?? 'no error recorded')}`
        : `never finished: started ${localWhen(startOf(last), timeZone)} and is still marked running after ${duration(now - startOf(last))} (the function timed out or crashed)`;
    return {
      check: 'outcome',
      problem: 'failed',
      severity: 'critical',
      magnitude: Math.min(n, MAX_MAGNITUDE),
      summary: `${stream.label} ${what} (due ${dueText}${n > 1 ? `; ${n} due runs in a row` : ''})`,
    };
  }
  if (last.status !== 'ok') return undefined;
  return { check: 'outcome', severity: 'warning', magnitude: 0, summary: `${stream.label} succeeded (due ${dueText})` };
}

/** The latest attempt's duration against the median of the successful runs before it. */
function durationVerdict(input: StreamInput, due: number, last: JobRun, runs: JobRun[]): Verdict | undefined {
  const { now, timeZone, thresholds: t, stream } = input;
  const history = runs
    .filter((r) => r !== last && r.status === 'ok' && typeof r.durationMs === 'number' && startOf(r) < startOf(last))
    .slice(-t.historySize)
    .map((r) => r.durationMs!);
  if (history.length < t.minHistory) return undefined;
  const usual = median(history);
  const took = last.status === 'ok' ? (last.durationMs ?? 0) : now - startOf(last);
  const against = `against a median of ${duration(usual)} over the last ${history.length} runs (due ${localWhen(due, timeZone)})`;
  if (last.status === 'ok' && took < usual * t.shortRatio && usual - took >= t.minDeviationMs) {
    return {
      check: 'duration',
      problem: 'short',
      severity: 'warning',
      magnitude: Math.min((usual - took) / usual, MAX_MAGNITUDE),
      summary: `${stream.label} ran suspiciously short: ${duration(took)} ${against}`,
    };
  }
  if (took > usual * t.longRatio && took - usual >= t.minDeviationMs) {
    return {
      check: 'duration',
      problem: 'long',
      severity: 'warning',
      magnitude: Math.min(took / (usual * t.longRatio), MAX_MAGNITUDE),
      summary: `${stream.label} ${last.status === 'ok' ? 'ran' : 'is running'} suspiciously long: ${duration(took)} ${against}`,
    };
  }
  if (last.status !== 'ok') return undefined;
  return {
    check: 'duration',
    severity: 'warning',
    magnitude: 0,
    summary: `${stream.label} took ${duration(took)} (median ${duration(usual)})`,
  };
}

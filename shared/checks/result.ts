// The one shape every backup and data check returns, and the helpers that build it: findings are collected as
// failures or warnings, the worst one sets the status, and an exception becomes a failed result, never a crash.

export type CheckStatus = 'pass' | 'warn' | 'fail';
export type CheckKind = 'dynamodb_pitr' | 'dynamodb_backup' | 'aws_backup' | 'restore_validation' | 'reconciliation';
/** The response-plan problem kind a failed check opens an incident for (see `PROBLEM_KINDS` in the config schema). */
export type CheckProblemKind = 'backup_failed' | 'data_mismatch';

export type Figures = Record<string, number | string>;

/** One reconciliation example; the id is its keyed pseudonym (HMAC-SHA-256 prefix), never the raw key. */
export interface MismatchExample {
  problem: 'mismatched' | 'missing_left' | 'missing_right';
  id: string;
  left?: number | string;
  right?: number | string;
}

export interface CheckResult {
  checkId: string;
  kind: CheckKind;
  status: CheckStatus;
  /** One sentence for a report line or an alert subject. */
  summary: string;
  figures: Figures;
  durationMs: number;
  /** Every failure and warning in words, worst first. Empty when the check passed. */
  problems: string[];
  /** Reconciliations only: up to `maxExamples` of the disagreeing items, ids masked. */
  examples?: MismatchExample[];
}

export class CheckError extends Error {
  override name = 'CheckError';
}

export function problemKindOf(kind: CheckKind): CheckProblemKind {
  return kind === 'reconciliation' ? 'data_mismatch' : 'backup_failed';
}

/** Collects what a check finds; `result()` turns it into a CheckResult. */
export class Findings {
  readonly failures: string[] = [];
  readonly warnings: string[] = [];
  readonly figures: Figures = {};

  fail(message: string): void {
    this.failures.push(message);
  }

  warn(message: string): void {
    this.warnings.push(message);
  }

  set(figures: Record<string, number | string | undefined>): void {
    for (const [name, value] of Object.entries(figures)) {
      if (value !== undefined && (typeof value === 'string' || Number.isFinite(value))) this.figures[name] = value;
    }
  }

  get status(): CheckStatus {
    return this.failures.length > 0 ? 'fail' : this.warnings.length > 0 ? 'warn' : 'pass';
  }

  result(checkId: string, kind: CheckKind, passSummary: string, durationMs: number): CheckResult {
    const problems = [...this.failures, ...this.warnings];
    const summary =
      problems.length === 0
        ? passSummary
        : problems.length === 1
          ? problems[0]!
          : `${problems[0]} (and ${problems.length - 1} more)`;
    return { checkId, kind, status: this.status, summary, figures: this.figures, durationMs, problems };
  }
}

/**
 * Runs one check and times it; whatever it throws becomes a `fail` result that names the error, so one broken
 * check (missing permission, deleted table) never stops the checks after it.
 */
export async function guarded(checkId: string, kind: CheckKind, run: () => Promise<CheckResult>): Promise<CheckResult> {
  const started = performance.now();
  try {
    const result = await run();
    return { ...result, durationMs: Math.round(performance.now() - started) };
  } catch (error) {
    const message = describeError(error);
    return {
      checkId,
      kind,
      status: 'fail',
      summary: `check could not run: ${message}`,
      figures: {},
      durationMs: Math.round(performance.now() - started),
      problems: [`check could not run: ${message}`],
    };
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A number rounded for display in figures (figures are read by people, not summed). */
export function round(value: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function iso(date: Date | number | undefined): string | undefined {
  if (date === undefined) return undefined;
  const ms = typeof date === 'number' ? date : date.getTime();
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

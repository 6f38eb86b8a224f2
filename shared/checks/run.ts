// The nightly run: every configured backup check and reconciliation, each on its own (an exception becomes a
// failed result naming the error, and the others go on), then all results stored with history.
import type { BackupCheck, NightshiftConfig } from '#shared/config/schema.ts';
import type { BackupLike, DynamoDBLike, RetryOptions } from '#shared/inspection/aws.ts';
import type { PseudonymKey } from '#shared/privacy/pseudonym.ts';
import type { StateStore } from '#shared/store/store.ts';
import { localDate } from '#shared/time/calendar.ts';
import { checkAwsBackup } from './aws-backup.ts';
import { checkDynamoBackups } from './dynamodb-backup.ts';
import { type StoredCheckResult, saveCheckResults } from './history.ts';
import { checkPitr } from './pitr.ts';
import { type ReconcileOptions, runReconciliation } from './reconcile.ts';
import { CheckError, type CheckResult, type CheckStatus, guarded } from './result.ts';

export interface CheckDeps {
  dynamodb: DynamoDBLike;
  backup: BackupLike;
  store: StateStore;
  /** Epoch ms (default Date.now). */
  clock?: () => number;
  retry?: RetryOptions;
  reconcile?: ReconcileOptions;
  /** Key of the reconciliation examples' pseudonymous ids. @default the process's key */
  pseudonymKey?: PseudonymKey;
}

export interface RunChecksOptions {
  /** Only these check ids (default all). */
  only?: readonly string[];
}

export interface CheckRun {
  at: string;
  date: string;
  /** The worst status of the run. */
  status: CheckStatus;
  results: StoredCheckResult[];
}

export type ChecksConfig = Pick<NightshiftConfig, 'timeZone' | 'checks'>;

/** One backup check of any kind. */
export function runBackupCheck(
  check: BackupCheck,
  deps: Omit<CheckDeps, 'store'> & { clock: () => number },
): Promise<CheckResult> {
  switch (check.kind) {
    case 'dynamodb_pitr':
      return checkPitr(check, deps);
    case 'dynamodb_backup':
      return checkDynamoBackups(check, deps);
    case 'aws_backup':
      return checkAwsBackup(check, deps);
  }
}

/**
 * Runs the configured checks and stores their results. Backup checks (a few API calls each) run four at a time;
 * reconciliations (full table scans) run one after another so they do not compete for memory and read capacity.
 */
export async function runChecks(
  config: ChecksConfig,
  deps: CheckDeps,
  options: RunChecksOptions = {},
): Promise<CheckRun> {
  const clock = deps.clock ?? Date.now;
  const at = clock();
  const { backups, reconciliations } = selected(config, options.only);
  const run = { ...deps, clock };

  const results: CheckResult[] = await mapLimited(backups, BACKUP_CHECKS_AT_ONCE, (check) =>
    guarded(check.id, check.kind, () => runBackupCheck(check, run)),
  );
  for (const rec of reconciliations) {
    results.push(await guarded(rec.id, 'reconciliation', () => runReconciliation(rec, run, deps.reconcile)));
  }

  const plans = Object.fromEntries(
    [...config.checks.backups, ...config.checks.reconciliations].map((c) => [c.id, c.plan]),
  );
  const stored = await saveCheckResults(deps.store, results, { at, timeZone: config.timeZone, plans });
  return {
    at: new Date(at).toISOString(),
    date: localDate(at, config.timeZone),
    status: worst(results.map((r) => r.status)),
    results: stored,
  };
}

function selected(config: ChecksConfig, only: readonly string[] | undefined) {
  const { backups, reconciliations } = config.checks;
  if (!only) return { backups, reconciliations };
  const known = new Set([...backups, ...reconciliations].map((c) => c.id));
  const unknown = only.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new CheckError(`unknown check ${unknown.join(', ')} (known: ${[...known].join(', ') || 'none'})`);
  }
  const wanted = new Set(only);
  return {
    backups: backups.filter((c) => wanted.has(c.id)),
    reconciliations: reconciliations.filter((c) => wanted.has(c.id)),
  };
}

/** Backup checks under way at once: enough to finish quickly, few enough not to be throttled by the APIs. */
const BACKUP_CHECKS_AT_ONCE = 4;

/** Maps with at most `limit` calls under way, keeping the order of the input. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'pass';
}

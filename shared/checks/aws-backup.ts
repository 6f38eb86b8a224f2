// AWS Backup for one DynamoDB table and vault: the newest recovery point is COMPLETED, younger than the RPO,
// encrypted and kept at least the minimum retention; the last backup job did not fail and did not finish
// suspiciously fast; the content is sane against the previous recovery point and the live table.
import {
  type BackupJob,
  DescribeRecoveryPointCommand,
  type DescribeRecoveryPointCommandOutput,
  ListBackupJobsCommand,
  ListRecoveryPointsByResourceCommand,
  type RecoveryPointByResource,
} from '@aws-sdk/client-backup';
import type { BackupCheck } from '#shared/config/schema.ts';
import {
  type BackupLike,
  type DynamoDBLike,
  describeLiveTable,
  type RetryOptions,
  withRetries,
} from '#shared/inspection/aws.ts';
import { describeDynamoBackup } from './dynamodb-backup.ts';
import { type CheckResult, DAY_MS, Findings, HOUR_MS, iso, round } from './result.ts';
import { type ContentSize, checkContent } from './sanity.ts';

export type AwsBackupCheck = Extract<BackupCheck, { kind: 'aws_backup' }>;

export interface AwsBackupDeps {
  dynamodb: DynamoDBLike;
  backup: BackupLike;
  clock: () => number;
  retry?: RetryOptions;
}

const COMPLETED = new Set(['COMPLETED', 'AVAILABLE']);
const IN_PROGRESS = new Set(['CREATING']);
const FAILED_JOB = new Set(['FAILED', 'ABORTED', 'EXPIRED', 'PARTIAL']);

export async function checkAwsBackup(check: AwsBackupCheck, deps: AwsBackupDeps): Promise<CheckResult> {
  const started = performance.now();
  const findings = new Findings();
  const done = (pass: string) => findings.result(check.id, check.kind, pass, Math.round(performance.now() - started));
  const now = deps.clock();
  findings.set({ table: check.table, vault: check.vault });

  const live = await describeLiveTable(deps.dynamodb, check.table, deps.retry);
  if (!live) {
    findings.fail(`table ${check.table} does not exist`);
    return done('');
  }

  const points = (await listRecoveryPoints(deps, live.arn))
    .filter((p) => p.BackupVaultName === check.vault && p.CreationDate)
    .sort((a, b) => b.CreationDate!.getTime() - a.CreationDate!.getTime());
  const completed = points.filter((p) => COMPLETED.has(p.Status ?? ''));
  findings.set({ recoveryPoints: points.length });
  const [newest, previous] = completed;
  const latest = points[0];
  if (latest && !COMPLETED.has(latest.Status ?? '') && !IN_PROGRESS.has(latest.Status ?? '')) {
    findings.fail(
      `newest recovery point of ${check.table} is ${latest.Status}${latest.StatusMessage ? `: ${latest.StatusMessage}` : ''}`,
    );
  }

  const jobs = await listBackupJobs(deps, live.arn, check.vault, now - Math.max(2 * check.rpoHours, 48) * HOUR_MS);
  checkLastJob(findings, jobs);

  if (!newest) {
    findings.fail(`no completed recovery point of ${check.table} in vault ${check.vault}`);
    return done('');
  }
  const ageHours = (now - newest.CreationDate!.getTime()) / HOUR_MS;
  findings.set({ newestRecoveryPoint: iso(newest.CreationDate), ageHours: round(ageHours, 1) });
  if (ageHours > check.rpoHours) {
    findings.fail(
      `newest recovery point of ${check.table} is ${round(ageHours, 1)} h old, older than the ${check.rpoHours} h RPO`,
    );
  }

  const detail = await withRetries(
    () =>
      deps.backup.send(
        new DescribeRecoveryPointCommand({ BackupVaultName: check.vault, RecoveryPointArn: newest.RecoveryPointArn }),
      ),
    deps.retry,
  );
  checkProtection(findings, check, detail);

  const job = jobs.find((j) => j.RecoveryPointArn === newest.RecoveryPointArn);
  const jobStart = job?.CreationDate ?? detail.CreationDate;
  const jobEnd = job?.CompletionDate ?? detail.CompletionDate;
  const [content, previousContent] = await Promise.all([
    contentOf(deps, newest, detail.BackupSizeInBytes),
    previous ? contentOf(deps, previous) : undefined,
  ]);
  checkContent(findings, {
    backup: content,
    previous: previousContent,
    live: { items: content.items === undefined ? undefined : live.items, bytes: live.bytes },
    maxShrinkPct: check.maxShrinkPct,
    durationSeconds: jobStart && jobEnd ? (jobEnd.getTime() - jobStart.getTime()) / 1000 : undefined,
    minDurationSeconds: check.minDurationSeconds,
  });
  return done(`newest recovery point of ${check.table} is ${round(ageHours, 1)} h old, encrypted and complete`);
}

function checkLastJob(findings: Findings, jobs: BackupJob[]): void {
  const last = [...jobs]
    .filter((j) => j.CreationDate)
    .sort((a, b) => b.CreationDate!.getTime() - a.CreationDate!.getTime())[0];
  findings.set({ lastJobState: last?.State ?? 'none', lastJobCreated: iso(last?.CreationDate) });
  if (last && FAILED_JOB.has(last.State ?? '')) {
    findings.fail(`last backup job ${last.State}${last.StatusMessage ? `: ${last.StatusMessage}` : ''}`);
  }
}

function checkProtection(findings: Findings, check: AwsBackupCheck, detail: DescribeRecoveryPointCommandOutput): void {
  const encrypted = detail.IsEncrypted ?? Boolean(detail.EncryptionKeyArn);
  findings.set({ encrypted: encrypted ? 'yes' : 'no' });
  if (!encrypted) findings.fail(`newest recovery point of ${check.table} is not encrypted`);

  const created = detail.CreationDate?.getTime();
  const deleteAt = detail.CalculatedLifecycle?.DeleteAt?.getTime();
  const retentionDays =
    detail.Lifecycle?.DeleteAfterDays ??
    (deleteAt !== undefined && created !== undefined ? (deleteAt - created) / DAY_MS : undefined);
  findings.set({ retentionDays: retentionDays === undefined ? 'indefinite' : round(retentionDays, 1) });
  if (retentionDays !== undefined && retentionDays < check.minRetentionDays) {
    findings.fail(
      `newest recovery point of ${check.table} is kept ${round(retentionDays, 1)} days, less than the ${check.minRetentionDays} days required`,
    );
  }
}

/**
 * Size of a recovery point; a DynamoDB recovery point without advanced backup features is a DynamoDB backup,
 * whose item count DescribeBackup reports too.
 */
async function contentOf(deps: AwsBackupDeps, point: RecoveryPointByResource, bytes?: number): Promise<ContentSize> {
  const arn = point.RecoveryPointArn ?? '';
  const size = bytes ?? point.BackupSizeBytes;
  if (/^arn:[^:]+:dynamodb:/.test(arn)) {
    const described = await describeDynamoBackup(deps.dynamodb, arn, deps.retry);
    return { items: described.items, bytes: size ?? described.bytes };
  }
  return { bytes: size };
}

async function listRecoveryPoints(deps: AwsBackupDeps, resourceArn: string): Promise<RecoveryPointByResource[]> {
  const all: RecoveryPointByResource[] = [];
  let token: string | undefined;
  do {
    const out = await withRetries(
      () => deps.backup.send(new ListRecoveryPointsByResourceCommand({ ResourceArn: resourceArn, NextToken: token })),
      deps.retry,
    );
    all.push(...(out.RecoveryPoints ?? []));
    token = out.NextToken;
  } while (token);
  return all;
}

async function listBackupJobs(
  deps: AwsBackupDeps,
  resourceArn: string,
  vault: string,
  since: number,
): Promise<BackupJob[]> {
  const all: BackupJob[] = [];
  let token: string | undefined;
  do {
    const out = await withRetries(
      () =>
        deps.backup.send(
          new ListBackupJobsCommand({
            ByResourceArn: resourceArn,
            ByBackupVaultName: vault,
            ByCreatedAfter: new Date(since),
            NextToken: token,
          }),
        ),
      deps.retry,
    );
    all.push(...(out.BackupJobs ?? []));
    token = out.NextToken;
  } while (token);
  return all;
}

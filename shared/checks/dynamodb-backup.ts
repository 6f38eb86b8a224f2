// DynamoDB on-demand backups (ListBackups / DescribeBackup): the newest is AVAILABLE, younger than the RPO, and
// its content is sane against the previous backup and the live table.
import { type BackupSummary, DescribeBackupCommand, ListBackupsCommand } from '@aws-sdk/client-dynamodb';
import type { BackupCheck } from '#shared/config/schema.ts';
import { type DynamoDBLike, describeLiveTable, type RetryOptions, withRetries } from '#shared/inspection/aws.ts';
import { type CheckResult, Findings, HOUR_MS, iso, round } from './result.ts';
import { type ContentSize, checkContent } from './sanity.ts';

export type DynamoBackupCheck = Extract<BackupCheck, { kind: 'dynamodb_backup' }>;

export interface DynamoBackupDeps {
  dynamodb: DynamoDBLike;
  clock: () => number;
  retry?: RetryOptions;
}

export async function checkDynamoBackups(check: DynamoBackupCheck, deps: DynamoBackupDeps): Promise<CheckResult> {
  const started = performance.now();
  const findings = new Findings();
  const done = (pass: string) => findings.result(check.id, check.kind, pass, Math.round(performance.now() - started));
  findings.set({ table: check.table });

  const live = await describeLiveTable(deps.dynamodb, check.table, deps.retry);
  if (!live) {
    findings.fail(`table ${check.table} does not exist`);
    return done('');
  }
  const backups = await listBackups(deps, check.table);
  const available = backups
    .filter((b) => b.BackupStatus === 'AVAILABLE' && b.BackupCreationDateTime)
    .sort((a, b) => b.BackupCreationDateTime!.getTime() - a.BackupCreationDateTime!.getTime());
  findings.set({ backups: backups.length, availableBackups: available.length });
  const [newest, previous] = available;
  if (!newest) {
    findings.fail(`no available on-demand backup of ${check.table}`);
    return done('');
  }

  const ageHours = (deps.clock() - newest.BackupCreationDateTime!.getTime()) / HOUR_MS;
  findings.set({ newestBackup: iso(newest.BackupCreationDateTime), ageHours: round(ageHours, 1) });
  if (ageHours > check.rpoHours) {
    findings.fail(
      `newest backup of ${check.table} is ${round(ageHours, 1)} h old, older than the ${check.rpoHours} h RPO`,
    );
  }

  const [content, previousContent] = await Promise.all([
    describeDynamoBackup(deps.dynamodb, newest.BackupArn!, deps.retry),
    previous ? describeDynamoBackup(deps.dynamodb, previous.BackupArn!, deps.retry) : undefined,
  ]);
  checkContent(findings, {
    backup: content,
    previous: previousContent,
    live: { items: live.items, bytes: live.bytes },
    maxShrinkPct: check.maxShrinkPct,
  });
  return done(`newest backup of ${check.table} is ${round(ageHours, 1)} h old and looks complete`);
}

/** Every backup of the table, following `LastEvaluatedBackupArn` page by page. */
async function listBackups(deps: DynamoBackupDeps, table: string): Promise<BackupSummary[]> {
  const all: BackupSummary[] = [];
  let start: string | undefined;
  do {
    const out = await withRetries(
      () =>
        deps.dynamodb.send(
          new ListBackupsCommand({ TableName: table, BackupType: 'ALL', ExclusiveStartBackupArn: start }),
        ),
      deps.retry,
    );
    all.push(...(out.BackupSummaries ?? []));
    start = out.LastEvaluatedBackupArn;
  } while (start);
  return all;
}

/** Item count and size of a DynamoDB backup (also of an AWS Backup recovery point stored as a DynamoDB backup). */
export async function describeDynamoBackup(
  dynamodb: DynamoDBLike,
  backupArn: string,
  retry?: RetryOptions,
): Promise<ContentSize> {
  const out = await withRetries(() => dynamodb.send(new DescribeBackupCommand({ BackupArn: backupArn })), retry);
  const d = out.BackupDescription;
  return {
    items: d?.SourceTableDetails?.ItemCount,
    bytes: d?.BackupDetails?.BackupSizeBytes ?? d?.SourceTableDetails?.TableSizeBytes,
  };
}

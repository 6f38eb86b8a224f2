import {
  BackupClient,
  DescribeRecoveryPointCommand,
  ListBackupJobsCommand,
  ListRecoveryPointsByResourceCommand,
  type RecoveryPointByResource,
} from '@aws-sdk/client-backup';
import { DescribeBackupCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkAwsBackup } from '#shared/checks/aws-backup.ts';
import { awsError, backupCheck, clock, hoursAgo, instantRetry, TABLE_ARN, throttling } from './support.ts';

const dynamodb = new DynamoDBClient({ region: 'eu-west-1' });
const backup = new BackupClient({ region: 'eu-west-1' });
const ddb = mockClient(dynamodb);
const aws = mockClient(backup);
afterEach(() => {
  ddb.reset();
  aws.reset();
});

const VAULT = 'Default';
const rpArn = (n: number) => `arn:aws:backup:eu-west-1:123456789012:recovery-point:rp-${n}`;
const point = (
  n: number,
  ageHours: number,
  fields: Partial<RecoveryPointByResource> = {},
): RecoveryPointByResource => ({
  RecoveryPointArn: rpArn(n),
  CreationDate: hoursAgo(ageHours),
  Status: 'COMPLETED',
  BackupVaultName: VAULT,
  BackupSizeBytes: 1_000_000,
  EncryptionKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/k',
  ...fields,
});
const job = (n: number, ageHours: number, seconds: number, state = 'COMPLETED', message?: string) => ({
  BackupJobId: `job-${n}`,
  RecoveryPointArn: rpArn(n),
  CreationDate: hoursAgo(ageHours),
  CompletionDate: new Date(hoursAgo(ageHours).getTime() + seconds * 1000),
  State: state as 'COMPLETED',
  StatusMessage: message,
  BackupVaultName: VAULT,
});
const detail = (n: number, ageHours: number, fields: Record<string, unknown> = {}) =>
  aws.on(DescribeRecoveryPointCommand, { RecoveryPointArn: rpArn(n) }).resolves({
    RecoveryPointArn: rpArn(n),
    Status: 'COMPLETED',
    CreationDate: hoursAgo(ageHours),
    CompletionDate: new Date(hoursAgo(ageHours).getTime() + 300_000),
    IsEncrypted: true,
    Lifecycle: { DeleteAfterDays: 35 },
    BackupSizeInBytes: 1_000_000,
    ...fields,
  });
const liveTable = (bytes: number, items = 10_000) =>
  ddb.on(DescribeTableCommand).resolves({
    Table: { TableName: 'orders', TableArn: TABLE_ARN, ItemCount: items, TableSizeBytes: bytes },
  });
/** The newest recovery point 3 h old and the previous one 27 h old, both 1 MB; jobs took 5 minutes. */
function healthyNight() {
  aws.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [point(1, 27), point(2, 3)] });
  aws.on(ListBackupJobsCommand).resolves({ BackupJobs: [job(1, 27, 300), job(2, 3, 300)] });
  detail(2, 3);
}
const check = (fields: Record<string, unknown> = {}) =>
  backupCheck('aws_backup', { vault: VAULT, rpoHours: 26, minRetentionDays: 7, minDurationSeconds: 30, ...fields });

describe('AWS Backup check', () => {
  beforeEach(() => liveTable(1_020_000));

  it('passes for a fresh, completed, encrypted, well-kept recovery point of normal size', async () => {
    healthyNight();

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ status: 'pass', kind: 'aws_backup' });
    expect(result.figures).toMatchObject({
      ageHours: 3,
      encrypted: 'yes',
      retentionDays: 35,
      lastJobState: 'COMPLETED',
      durationSeconds: 300,
      backupBytes: 1_000_000,
      previousBackupBytes: 1_000_000,
      liveBytes: 1_020_000,
    });
    expect(aws.commandCalls(ListRecoveryPointsByResourceCommand)[0]!.args[0].input.ResourceArn).toBe(TABLE_ARN);
  });

  it('fails when the newest recovery point is older than the RPO (stale)', async () => {
    aws.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [point(1, 30)] });
    aws.on(ListBackupJobsCommand).resolves({ BackupJobs: [job(1, 30, 300)] });
    detail(1, 30);

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.summary).toBe('newest recovery point of orders is 30 h old, older than the 26 h RPO');
  });

  it('fails when the last backup job failed, quoting its message', async () => {
    healthyNight();
    aws.on(ListBackupJobsCommand).resolves({
      BackupJobs: [job(2, 3, 300), job(3, 1, 20, 'FAILED', 'Insufficient privileges to perform backup')],
    });

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems).toContain('last backup job FAILED: Insufficient privileges to perform backup');
    expect(result.figures.lastJobState).toBe('FAILED');
  });

  it('fails when the recovery point is not encrypted', async () => {
    healthyNight();
    detail(2, 3, { IsEncrypted: false });

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems).toEqual(['newest recovery point of orders is not encrypted']);
  });

  it('fails when the recovery point is kept less than minRetentionDays', async () => {
    healthyNight();
    detail(2, 3, { Lifecycle: undefined, CalculatedLifecycle: { DeleteAt: hoursAgo(3 - 72) } });

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems).toEqual(['newest recovery point of orders is kept 3 days, less than the 7 days required']);
  });

  it('fails when the backup shrank by more than maxShrinkPct against the previous recovery point', async () => {
    healthyNight();
    detail(2, 3, { BackupSizeInBytes: 400_000 });
    liveTable(410_000);

    const result = await checkAwsBackup(check({ maxShrinkPct: 50 }), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems).toEqual([
      'backup shrank 60% against the previous one (1000000 -> 400000 bytes; limit 50%)',
    ]);
  });

  it('fails when the backup is far smaller than the live table', async () => {
    healthyNight();
    liveTable(3_000_000);

    const result = await checkAwsBackup(check({ maxShrinkPct: 50 }), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems[0]).toMatch(/^backup is 66\.7% smaller than the live table/);
  });

  it('compares item counts when the recovery point is a DynamoDB backup', async () => {
    const dynamoArn = (n: number) => `${TABLE_ARN}/backup/0${n}`;
    aws.on(ListRecoveryPointsByResourceCommand).resolves({
      RecoveryPoints: [
        point(1, 27, { RecoveryPointArn: dynamoArn(1) }),
        point(2, 3, { RecoveryPointArn: dynamoArn(2) }),
      ],
    });
    aws.on(ListBackupJobsCommand).resolves({ BackupJobs: [] });
    aws.on(DescribeRecoveryPointCommand).resolves({ IsEncrypted: true, BackupSizeInBytes: 1_000_000 });
    const items = (n: number, count: number) =>
      ddb.on(DescribeBackupCommand, { BackupArn: dynamoArn(n) }).resolves({
        BackupDescription: { SourceTableDetails: { ItemCount: count } as never },
      });
    items(1, 10_000);
    items(2, 3_000);

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems[0]).toBe('backup shrank 70% against the previous one (10000 -> 3000 items; limit 50%)');
  });

  it('fails when the backup job finished faster than minDurationSeconds (too fast)', async () => {
    healthyNight();
    aws.on(ListBackupJobsCommand).resolves({ BackupJobs: [job(1, 27, 300), job(2, 3, 4)] });

    const result = await checkAwsBackup(check({ minDurationSeconds: 30 }), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems).toEqual(['backup job finished in 4 s, faster than the 30 s expected of this table']);
  });

  it('fails when the vault holds no completed recovery point (missing), ignoring other vaults', async () => {
    aws.on(ListRecoveryPointsByResourceCommand).resolves({
      RecoveryPoints: [point(1, 3, { BackupVaultName: 'other-vault' })],
    });
    aws.on(ListBackupJobsCommand).resolves({ BackupJobs: [] });

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result).toMatchObject({ status: 'fail', summary: 'no completed recovery point of orders in vault Default' });
    expect(result.figures).toMatchObject({ recoveryPoints: 0, lastJobState: 'none' });
  });

  it('fails when the newest recovery point is PARTIAL, while an older one still counts for freshness', async () => {
    aws.on(ListRecoveryPointsByResourceCommand).resolves({
      RecoveryPoints: [point(1, 20), point(2, 2, { Status: 'PARTIAL', StatusMessage: 'Some data not copied' })],
    });
    aws.on(ListBackupJobsCommand).resolves({ BackupJobs: [] });
    detail(1, 20);

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result.status).toBe('fail');
    expect(result.problems).toEqual(['newest recovery point of orders is PARTIAL: Some data not copied']);
    expect(result.figures.ageHours).toBe(20);
  });

  it('follows NextToken through paginated recovery point and job listings', async () => {
    aws
      .on(ListRecoveryPointsByResourceCommand)
      .resolvesOnce({ RecoveryPoints: [point(1, 27)], NextToken: 'rp-page-2' })
      .resolvesOnce({ RecoveryPoints: [point(2, 3)] });
    aws
      .on(ListBackupJobsCommand)
      .resolvesOnce({ BackupJobs: [job(2, 3, 2)], NextToken: 'job-page-2' })
      .resolvesOnce({ BackupJobs: [job(9, 1, 0, 'ABORTED', 'Stopped by user')] });
    detail(2, 3);

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    const pointCalls = aws.commandCalls(ListRecoveryPointsByResourceCommand);
    const jobCalls = aws.commandCalls(ListBackupJobsCommand);
    expect(pointCalls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'rp-page-2']);
    expect(jobCalls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'job-page-2']);
    expect(jobCalls[0]!.args[0].input).toMatchObject({ ByResourceArn: TABLE_ARN, ByBackupVaultName: VAULT });
    expect(result.figures.ageHours).toBe(3);
    expect(result.problems).toEqual([
      'last backup job ABORTED: Stopped by user',
      'backup job finished in 2 s, faster than the 30 s expected of this table',
    ]);
  });

  it('retries throttled AWS Backup calls and then passes', async () => {
    healthyNight();
    aws
      .on(ListRecoveryPointsByResourceCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling('TooManyRequestsException'))
      .resolves({ RecoveryPoints: [point(1, 27), point(2, 3)] });
    const retry = instantRetry();

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock, retry });

    expect(result.status).toBe('pass');
    expect(aws.commandCalls(ListRecoveryPointsByResourceCommand)).toHaveLength(3);
    expect(retry.sleeps).toEqual([20, 30]);
  });

  it('gives up after the last attempt when throttling does not stop', async () => {
    healthyNight();
    aws.on(ListRecoveryPointsByResourceCommand).rejects(throttling());

    await expect(
      checkAwsBackup(check(), { dynamodb, backup, clock, retry: { ...instantRetry(), attempts: 3 } }),
    ).rejects.toThrow('Rate exceeded');
    expect(aws.commandCalls(ListRecoveryPointsByResourceCommand)).toHaveLength(3);
  });

  it('fails when the protected table does not exist', async () => {
    ddb.on(DescribeTableCommand).rejects(awsError('ResourceNotFoundException'));

    const result = await checkAwsBackup(check(), { dynamodb, backup, clock });

    expect(result).toMatchObject({ status: 'fail', summary: 'table orders does not exist' });
    expect(aws.commandCalls(ListRecoveryPointsByResourceCommand)).toHaveLength(0);
  });
});

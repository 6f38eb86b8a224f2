import {
  DescribeBackupCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDynamoBackups } from '#shared/checks/dynamodb-backup.ts';
import { awsError, backupCheck, clock, hoursAgo, instantRetry, TABLE_ARN, throttling } from './support.ts';

const dynamodb = new DynamoDBClient({ region: 'eu-west-1' });
const ddb = mockClient(dynamodb);
afterEach(() => ddb.reset());

const arn = (n: number) => `${TABLE_ARN}/backup/0${n}`;
const summary = (n: number, ageHours: number, status = 'AVAILABLE') => ({
  TableName: 'orders',
  BackupArn: arn(n),
  BackupCreationDateTime: hoursAgo(ageHours),
  BackupStatus: status as 'AVAILABLE',
  BackupType: 'USER' as const,
  BackupSizeBytes: 100_000,
});
const described = (n: number, items: number) =>
  ddb.on(DescribeBackupCommand, { BackupArn: arn(n) }).resolves({
    BackupDescription: {
      BackupDetails: {
        BackupArn: arn(n),
        BackupName: `b${n}`,
        BackupStatus: 'AVAILABLE',
        BackupType: 'USER',
        BackupCreationDateTime: hoursAgo(n),
        BackupSizeBytes: items * 100,
      },
      SourceTableDetails: {
        TableName: 'orders',
        TableId: 'id',
        ItemCount: items,
        TableSizeBytes: items * 100,
        KeySchema: [],
        TableCreationDateTime: hoursAgo(9000),
        ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0 },
      },
    },
  });
const liveTable = (items: number) =>
  ddb.on(DescribeTableCommand, { TableName: 'orders' }).resolves({
    Table: { TableName: 'orders', TableArn: TABLE_ARN, ItemCount: items, TableSizeBytes: items * 100 },
  });

describe('DynamoDB on-demand backup check', () => {
  beforeEach(() => liveTable(1005));

  it('passes when the newest backup is available, within the RPO and as full as the last one', async () => {
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [summary(2, 30), summary(1, 6)] });
    described(1, 1000);
    described(2, 990);

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup'), { dynamodb, clock });

    expect(result.status).toBe('pass');
    expect(result.figures).toMatchObject({ ageHours: 6, backupItems: 1000, previousBackupItems: 990, liveItems: 1005 });
  });

  it('fails when the newest available backup is older than the RPO (stale)', async () => {
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [summary(1, 30)] });
    described(1, 1000);

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup', { rpoHours: 26 }), { dynamodb, clock });

    expect(result.status).toBe('fail');
    expect(result.summary).toBe('newest backup of orders is 30 h old, older than the 26 h RPO');
  });

  it('fails when no backup is available yet (missing), ignoring one still being created', async () => {
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [summary(1, 1, 'CREATING')] });

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup'), { dynamodb, clock });

    expect(result).toMatchObject({ status: 'fail', summary: 'no available on-demand backup of orders' });
  });

  it('follows LastEvaluatedBackupArn and finds the newest backup on a later page', async () => {
    ddb
      .on(ListBackupsCommand)
      .resolvesOnce({ BackupSummaries: [summary(3, 50), summary(2, 30)], LastEvaluatedBackupArn: arn(2) })
      .resolvesOnce({ BackupSummaries: [summary(1, 4)] });
    described(1, 1000);
    described(2, 1000);

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup'), { dynamodb, clock });

    expect(result.status).toBe('pass');
    expect(result.figures.ageHours).toBe(4);
    expect(ddb.commandCalls(ListBackupsCommand)[1]!.args[0].input.ExclusiveStartBackupArn).toBe(arn(2));
  });

  it('fails when the newest backup has shrunk by more than maxShrinkPct against the previous one', async () => {
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [summary(2, 30), summary(1, 6)] });
    described(1, 400);
    described(2, 1000);
    liveTable(420);

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup', { maxShrinkPct: 50 }), { dynamodb, clock });

    expect(result.status).toBe('fail');
    expect(result.summary).toBe('backup shrank 60% against the previous one (1000 -> 400 items; limit 50%)');
  });

  it('fails when the backup is empty while the table has items', async () => {
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [summary(1, 6)] });
    described(1, 0);

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup'), { dynamodb, clock });

    expect(result).toMatchObject({ status: 'fail', summary: 'backup is empty while the table is not' });
  });

  it('warns when the live table is far smaller than its backup (a possible mass deletion)', async () => {
    ddb.on(ListBackupsCommand).resolves({ BackupSummaries: [summary(1, 6)] });
    described(1, 1000);
    liveTable(100);

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup'), { dynamodb, clock });

    expect(result.status).toBe('warn');
    expect(result.summary).toBe('live table is much smaller than its newest backup (100 vs 1000 items)');
  });

  it('fails when the table does not exist', async () => {
    ddb.on(DescribeTableCommand).rejects(awsError('ResourceNotFoundException'));

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup'), { dynamodb, clock });

    expect(result).toMatchObject({ status: 'fail', summary: 'table orders does not exist' });
  });

  it('retries a throttled ListBackups', async () => {
    ddb
      .on(ListBackupsCommand)
      .rejectsOnce(throttling('ProvisionedThroughputExceededException'))
      .resolves({ BackupSummaries: [summary(1, 6)] });
    described(1, 1000);

    const result = await checkDynamoBackups(backupCheck('dynamodb_backup'), {
      dynamodb,
      clock,
      retry: instantRetry(),
    });

    expect(result.status).toBe('pass');
    expect(ddb.commandCalls(ListBackupsCommand)).toHaveLength(2);
  });
});

import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkHistory, nightResults } from '#shared/checks/history.ts';
import { type ChecksConfig, runChecks } from '#shared/checks/run.ts';
import { PseudonymKey } from '#shared/privacy/pseudonym.ts';
import { freshStore } from '../support/dynamo.ts';
import {
  awsError,
  backupCheck,
  clock,
  createTable,
  instantRetry,
  localDynamo,
  minutesAgo,
  NOW,
  putItems,
  reconciliation,
} from './support.ts';

// One DynamoDB client for the run, as in the handler: PITR answers are mocked, table reads pass through to
// DynamoDB Local so the reconciliation reads real tables.
const real = localDynamo();
const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
const ddb = mockClient(dynamodb);
const backup = new BackupClient({ region: 'us-east-1' });
const aws = mockClient(backup);

beforeEach(() => {
  ddb.on(ScanCommand).callsFake((input) => real.send(new ScanCommand(input)));
  ddb.on(DescribeTableCommand).callsFake((input) => real.send(new DescribeTableCommand(input)));
  ddb.on(DescribeContinuousBackupsCommand).resolves({
    ContinuousBackupsDescription: {
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED', LatestRestorableDateTime: minutesAgo(5) },
    },
  });
  aws.on(ListRecoveryPointsByResourceCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
});
afterEach(() => {
  ddb.reset();
  aws.reset();
});

async function nightlyConfig(): Promise<ChecksConfig> {
  const [orders, payments] = await Promise.all([
    createTable(real, 'orders', 'order_id'),
    createTable(real, 'payments', 'order_id'),
  ]);
  await putItems(orders, [
    { order_id: 'o1', total_amount: 10 },
    { order_id: 'o2', total_amount: 20 },
  ]);
  await putItems(payments, [
    { order_id: 'o1', paid_amount: 10 },
    { order_id: 'o2', paid_amount: 2 },
  ]);
  return {
    timeZone: 'Asia/Shanghai',
    checks: {
      backups: [
        backupCheck('dynamodb_pitr', { id: 'orders_pitr', table: orders }),
        backupCheck('aws_backup', { id: 'orders_vault', table: orders, plan: 'outage' }),
      ],
      reconciliations: [
        reconciliation({
          id: 'orders_payments',
          left: { table: orders, key: 'order_id', amount: 'total_amount' },
          right: { table: payments, key: 'order_id', amount: 'paid_amount' },
        }),
      ],
    },
  };
}

const pseudonymKey = PseudonymKey.generate();

describe('the nightly check run', () => {
  it('runs every check; one that throws becomes a failure naming the error and the others still run', async () => {
    const { store } = await freshStore('checks');
    const config = await nightlyConfig();

    const run = await runChecks(config, { dynamodb, backup, store, clock, retry: instantRetry(), pseudonymKey });

    const byId = Object.fromEntries(run.results.map((r) => [r.checkId, r]));
    expect(byId.orders_pitr?.status).toBe('pass');
    expect(byId.orders_vault).toMatchObject({
      status: 'fail',
      summary: 'check could not run: AccessDeniedException: not authorized',
    });
    expect(byId.orders_payments).toMatchObject({ status: 'fail', figures: { matched: 1, mismatched: 1 } });
    expect(run).toMatchObject({ status: 'fail', date: '2026-11-23', at: new Date(NOW).toISOString() });
  });

  it("stores the night's results for the report, with the plan and problem kind for incidents", async () => {
    const { store } = await freshStore('checks');
    const config = await nightlyConfig();

    await runChecks(config, { dynamodb, backup, store, clock, pseudonymKey });
    const night = await nightResults(store, '2026-11-23');

    expect(night.map((r) => r.checkId).sort()).toEqual(['orders_payments', 'orders_pitr', 'orders_vault']);
    expect(night.find((r) => r.checkId === 'orders_vault')).toMatchObject({ plan: 'outage', problem: 'backup_failed' });
    expect(night.find((r) => r.checkId === 'orders_payments')).toMatchObject({ problem: 'data_mismatch' });
    expect(night.find((r) => r.checkId === 'orders_payments')?.examples).toHaveLength(1);
  });

  it('keeps every run in history, newest first, while the night keeps its latest run', async () => {
    const { store } = await freshStore('checks');
    const config = await nightlyConfig();

    await runChecks(config, { dynamodb, backup, store, clock, pseudonymKey });
    ddb
      .on(DescribeContinuousBackupsCommand)
      .resolves({ ContinuousBackupsDescription: { ContinuousBackupsStatus: 'DISABLED' } });
    await runChecks(config, { dynamodb, backup, store, clock: () => NOW + 600_000 });

    const history = await checkHistory(store, 'orders_pitr');
    expect(history.map((r) => r.status)).toEqual(['fail', 'pass']);
    expect(history[0]!.at).toBe(new Date(NOW + 600_000).toISOString());
    const night = await nightResults(store, '2026-11-23');
    expect(night.find((r) => r.checkId === 'orders_pitr')?.status).toBe('fail');
  });

  it('runs only the named checks, and names the known ones when asked for an unknown one', async () => {
    const { store } = await freshStore('checks');
    const config = await nightlyConfig();

    const run = await runChecks(config, { dynamodb, backup, store, clock }, { only: ['orders_pitr'] });

    expect(run.results.map((r) => r.checkId)).toEqual(['orders_pitr']);
    await expect(runChecks(config, { dynamodb, backup, store, clock }, { only: ['nope'] })).rejects.toThrow(
      'unknown check nope (known: orders_pitr, orders_vault, orders_payments)',
    );
  });
});

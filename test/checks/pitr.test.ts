import { DescribeContinuousBackupsCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPitr } from '#shared/checks/pitr.ts';
import { awsError, backupCheck, clock, instantRetry, minutesAgo, throttling } from './support.ts';

const dynamodb = new DynamoDBClient({ region: 'eu-west-1' });
const ddb = mockClient(dynamodb);
afterEach(() => ddb.reset());

const pitr = (status: 'ENABLED' | 'DISABLED', latest?: Date) => ({
  ContinuousBackupsDescription: {
    ContinuousBackupsStatus: status,
    PointInTimeRecoveryDescription: {
      PointInTimeRecoveryStatus: status,
      EarliestRestorableDateTime: minutesAgo(35 * 24 * 60),
      LatestRestorableDateTime: latest,
      RecoveryPeriodInDays: 35,
    },
  },
});

describe('DynamoDB point-in-time recovery check', () => {
  it('passes when PITR is on and restorable to a few minutes ago', async () => {
    ddb.on(DescribeContinuousBackupsCommand, { TableName: 'orders' }).resolves(pitr('ENABLED', minutesAgo(5)));

    const result = await checkPitr(backupCheck('dynamodb_pitr'), { dynamodb, clock });

    expect(result).toMatchObject({ status: 'pass', kind: 'dynamodb_pitr', checkId: 'orders_dynamodb_pitr' });
    expect(result.figures).toMatchObject({ lagMinutes: 5, recoveryPeriodDays: 35, pitrStatus: 'ENABLED' });
    expect(result.problems).toEqual([]);
  });

  it('fails when PITR is disabled', async () => {
    ddb.on(DescribeContinuousBackupsCommand).resolves(pitr('DISABLED'));

    const result = await checkPitr(backupCheck('dynamodb_pitr'), { dynamodb, clock });

    expect(result.status).toBe('fail');
    expect(result.summary).toBe('point-in-time recovery is not enabled on orders');
  });

  it('fails when the latest restorable time lags more than maxLagMinutes (stale)', async () => {
    ddb.on(DescribeContinuousBackupsCommand).resolves(pitr('ENABLED', minutesAgo(45)));

    const result = await checkPitr(backupCheck('dynamodb_pitr', { maxLagMinutes: 30 }), { dynamodb, clock });

    expect(result.status).toBe('fail');
    expect(result.summary).toContain('45 min old (limit 30 min)');
    expect(result.figures.lagMinutes).toBe(45);
  });

  it('fails, naming the table, when the table does not exist', async () => {
    ddb.on(DescribeContinuousBackupsCommand).rejects(awsError('TableNotFoundException', 'Table not found: orders'));

    const result = await checkPitr(backupCheck('dynamodb_pitr'), { dynamodb, clock });

    expect(result).toMatchObject({ status: 'fail', summary: 'table orders does not exist' });
  });

  it('retries throttling and then passes', async () => {
    ddb
      .on(DescribeContinuousBackupsCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling('LimitExceededException'))
      .resolves(pitr('ENABLED', minutesAgo(2)));
    const retry = instantRetry();

    const result = await checkPitr(backupCheck('dynamodb_pitr'), { dynamodb, clock, retry });

    expect(result.status).toBe('pass');
    expect(ddb.commandCalls(DescribeContinuousBackupsCommand)).toHaveLength(3);
    expect(retry.sleeps).toHaveLength(2);
  });

  it('does not retry an access-denied error', async () => {
    ddb.on(DescribeContinuousBackupsCommand).rejects(awsError('AccessDeniedException'));

    await expect(checkPitr(backupCheck('dynamodb_pitr'), { dynamodb, clock, retry: instantRetry() })).rejects.toThrow(
      'AccessDeniedException',
    );
    expect(ddb.commandCalls(DescribeContinuousBackupsCommand)).toHaveLength(1);
  });
});

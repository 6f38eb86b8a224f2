import { BackupClient, DescribeRestoreJobCommand, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { canonical, validateRestoredTable, validateRestoreJob } from '#shared/checks/restore.ts';
import { backupCheck, createTable, localDynamo, putItems } from './support.ts';

const dynamodb = localDynamo();
const backup = new BackupClient({ region: 'eu-west-1' });
const aws = mockClient(backup);
afterEach(() => aws.reset());

const arnOf = (table: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${table}`;
const orders = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    order_id: `o_${i}`,
    total_amount: 10 + i,
    lines: [{ sku: `s${i}`, qty: 1 }],
    tags: new Set(['web', `t${i % 3}`]),
  }));

/** A source table and its "restored" copy; `change` edits the copy before it is written. */
async function restoredPair(n: number, change: (items: ReturnType<typeof orders>) => ReturnType<typeof orders>) {
  const [source, restored] = await Promise.all([
    createTable(dynamodb, 'orders', 'order_id'),
    createTable(dynamodb, 'orders-restored', 'order_id'),
  ]);
  await putItems(source, orders(n));
  await putItems(restored, change(orders(n)));
  return { source, restored };
}

function restoreJob(source: string, restored: string, status = 'COMPLETED') {
  aws.on(DescribeRestoreJobCommand, { RestoreJobId: 'job-1' }).resolves({
    RestoreJobId: 'job-1',
    Status: status as 'COMPLETED',
    StatusMessage: status === 'COMPLETED' ? undefined : 'Access denied to KMS key',
    SourceResourceArn: arnOf(source),
    CreatedResourceArn: arnOf(restored),
  });
  aws.on(PutRestoreValidationResultCommand).resolves({});
}

const configFor = (source: string, fields: Record<string, unknown> = {}) => ({
  checks: {
    backups: [backupCheck('aws_backup', { id: 'orders_vault', table: source, restoreTest: true, ...fields })],
    reconciliations: [],
  },
});

describe('restore validation (restored tables on DynamoDB Local, AWS Backup mocked)', () => {
  it('passes a faithful restore and reports SUCCESSFUL to AWS Backup', async () => {
    const { source, restored } = await restoredPair(60, (items) => items);
    restoreJob(source, restored);

    const result = await validateRestoreJob('job-1', configFor(source), { dynamodb, backup });

    expect(result).toMatchObject({ status: 'pass', kind: 'restore_validation', checkId: 'orders_vault_restore' });
    expect(result.figures).toMatchObject({ restoredItems: 60, sourceItems: 60, sampled: 20, sampleEqual: 20 });
    const put = aws.commandCalls(PutRestoreValidationResultCommand);
    expect(put).toHaveLength(1);
    expect(put[0]!.args[0].input).toMatchObject({ RestoreJobId: 'job-1', ValidationStatus: 'SUCCESSFUL' });
  });

  it('fails a restore whose item count is off by more than the tolerance and reports FAILED', async () => {
    const { source, restored } = await restoredPair(100, (items) => items.slice(0, 80));
    restoreJob(source, restored);

    const result = await validateRestoreJob('job-1', configFor(source, { restoreCountTolerancePct: 5 }), {
      dynamodb,
      backup,
    });

    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`restored table has 80 items, ${source} about 100: 20% apart (limit 5%)`);
    expect(aws.commandCalls(PutRestoreValidationResultCommand)[0]!.args[0].input.ValidationStatus).toBe('FAILED');
  });

  it('warns when a few sampled items differ from the source (changed since the backup)', async () => {
    const { source, restored } = await restoredPair(30, (items) =>
      items.map((o, i) => (i < 2 ? { ...o, total_amount: 0 } : o)),
    );

    const result = await validateRestoredTable(
      { checkId: 'r', restoredTable: restored, sourceTable: source, countTolerancePct: 5, sampleSize: 30 },
      { dynamodb },
    );

    expect(result.status).toBe('warn');
    expect(result.figures).toMatchObject({ sampled: 30, sampleEqual: 28, sampleDifferent: 2 });
  });

  it('fails when most sampled items differ from the source', async () => {
    const { source, restored } = await restoredPair(30, (items) => items.map((o) => ({ ...o, lines: [] })));

    const result = await validateRestoredTable(
      { checkId: 'r', restoredTable: restored, sourceTable: source, countTolerancePct: 5, sampleSize: 10 },
      { dynamodb },
    );

    expect(result.status).toBe('fail');
    expect(result.summary).toBe(`10 of 10 sampled items differ from ${source} or are gone from it`);
  });

  it('fails an empty restored table', async () => {
    const { source, restored } = await restoredPair(10, () => []);

    const result = await validateRestoredTable(
      { checkId: 'r', restoredTable: restored, sourceTable: source, countTolerancePct: 5, sampleSize: 5 },
      { dynamodb },
    );

    expect(result).toMatchObject({
      status: 'fail',
      summary: `restored table ${restored} is empty while ${source} has 10 items`,
    });
  });

  it('reports a failed restore job without validating it', async () => {
    restoreJob('orders', 'orders-restored', 'FAILED');

    const result = await validateRestoreJob('job-1', configFor('orders'), { dynamodb, backup });

    expect(result).toMatchObject({
      status: 'fail',
      summary: 'restore job job-1 ended FAILED: Access denied to KMS key',
    });
    expect(aws.commandCalls(PutRestoreValidationResultCommand)).toHaveLength(0);
  });

  it('compares attribute values regardless of map key and set member order', () => {
    expect(canonical({ M: { a: { N: '1' }, b: { SS: ['x', 'y'] } } })).toBe(
      canonical({ M: { b: { SS: ['y', 'x'] }, a: { N: '1' } } }),
    );
    expect(canonical({ L: [{ S: 'a' }, { S: 'b' }] })).not.toBe(canonical({ L: [{ S: 'b' }, { S: 'a' }] }));
  });
});

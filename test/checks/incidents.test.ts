import {
  BackupClient,
  DescribeRecoveryPointCommand,
  DescribeRestoreJobCommand,
  ListBackupJobsCommand,
  ListRecoveryPointsByResourceCommand,
  PutRestoreValidationResultCommand,
} from '@aws-sdk/client-backup';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNightlyChecks, runRestoreValidation } from '#shared/checks/incidents.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { loadAlertMail } from '#shared/email/alert-mail.ts';
import { readIncident, readIncidentHistory } from '#shared/incidents/incidents.ts';
import { PseudonymKey } from '#shared/privacy/pseudonym.ts';
import type { AlertDelivery } from '#shared/queue/messages.ts';
import { reportIncidents } from '#shared/reporting/report-incidents.ts';
import { memoryQueue } from '../alerts/support.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import {
  backupCheck,
  createTable,
  hoursAgo,
  instantRetry,
  localDynamo,
  NOW,
  putItems,
  reconciliation,
} from './support.ts';

// AWS Backup has no local stand-in: its answers are mocked. Table reads go to DynamoDB Local.
const real = localDynamo();
const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
const ddb = mockClient(dynamodb);
const backup = new BackupClient({ region: 'us-east-1' });
const aws = mockClient(backup);
const VAULT = 'orders_vault:*:backup_failed';

/** The table's one recovery point in the vault, `hours` old. */
function backupAged(hours: number) {
  const RecoveryPointArn = `arn:aws:backup:eu-west-1:123456789012:recovery-point:${hours}`;
  const point = { RecoveryPointArn, Status: 'COMPLETED' as const, CreationDate: hoursAgo(hours) };
  aws.on(ListRecoveryPointsByResourceCommand).resolves({
    RecoveryPoints: [{ ...point, BackupVaultName: 'Default', BackupSizeBytes: 200 }],
  });
  aws.on(DescribeRecoveryPointCommand).resolves({ ...point, IsEncrypted: true, BackupSizeInBytes: 200 });
}

beforeEach(() => {
  ddb.on(ScanCommand).callsFake((input) => real.send(new ScanCommand(input)));
  ddb.on(GetItemCommand).callsFake((input) => real.send(new GetItemCommand(input)));
  ddb.on(DescribeTableCommand).callsFake((input) => real.send(new DescribeTableCommand(input)));
  aws.on(ListBackupJobsCommand).resolves({ BackupJobs: [] });
});
afterEach(() => {
  ddb.reset();
  aws.reset();
});

async function setup(): Promise<{ config: NightshiftConfig; orders: string; payments: string }> {
  const [orders, payments] = await Promise.all([
    createTable(real, 'orders', 'order_id'),
    createTable(real, 'payments', 'order_id'),
  ]);
  await putItems(orders, [
    { order_id: 'o1', total_amount: 10 },
    { order_id: 'o2', total_amount: 20 },
    { order_id: 'o3', total_amount: 30 },
  ]);
  await putItems(payments, [
    { order_id: 'o1', paid_amount: 10 },
    { order_id: 'o2', paid_amount: 20 },
    { order_id: 'o3', paid_amount: 30 },
  ]);
  const config = exampleConfig();
  config.checks = {
    backups: [backupCheck('aws_backup', { id: 'orders_vault', table: orders, rpoHours: 26, restoreTest: true })],
    reconciliations: [
      reconciliation({
        id: 'orders_payments',
        left: { table: orders, key: 'order_id', amount: 'total_amount' },
        right: { table: payments, key: 'order_id', amount: 'paid_amount' },
      }),
    ],
  };
  return { config, orders, payments };
}

const recipients = (messages: ReturnType<typeof memoryQueue>['messages']) =>
  (messages as AlertDelivery[]).map((m) => `${m.incidentId.split(':')[1]}:${m.transition}:${m.recipientId}`);

describe('failed checks open incidents', () => {
  it('a stale backup opens a critical incident for the outage plan; the next passing run resolves it', async () => {
    const { config } = await setup();
    const { store } = await freshStore('check-incidents');
    const queue = memoryQueue();
    const deps = { dynamodb, backup, store, queue, retry: instantRetry() };
    backupAged(30);

    const night = await runNightlyChecks(config, { ...deps, clock: () => NOW });

    expect(night.results.find((r) => r.checkId === 'orders_vault')?.summary).toMatch(/is 30(\.0)? h old/);
    expect(night.incidents.opened).toEqual([`check:${VAULT}`]);
    expect(await readIncident(store, `check:${VAULT}`)).toMatchObject({
      status: 'open',
      severity: 'critical',
      kind: 'backup_failed',
      openedPeriod: '2026-11-23T02:00',
    });
    // The outage plan handles backup_failed: its first responder and the people it also tells.
    expect(recipients(queue.messages)).toEqual(['orders_vault:opened:tech_ops_manager', 'orders_vault:opened:it_ops']);

    // Judging the same run again changes nothing and mails nobody.
    const again = await runNightlyChecks(config, { ...deps, clock: () => NOW });
    expect(again.incidents).toMatchObject({ opened: [], resolved: [], enqueued: 0 });

    // A re-run after the fix, an hour later the same night, resolves it.
    backupAged(0.5);
    const fixed = await runNightlyChecks(config, { ...deps, clock: () => NOW + 3_600_000 });
    expect(fixed.results.find((r) => r.checkId === 'orders_vault')?.status).not.toBe('fail');
    expect(fixed.incidents.resolved).toEqual([`check:${VAULT}`]);
    expect((await readIncidentHistory(store, `check:${VAULT}`)).map((t) => t.transition)).toEqual([
      'opened',
      'resolved',
    ]);
    expect(recipients(queue.messages).slice(2)).toEqual([
      'orders_vault:resolved:tech_ops_manager',
      'orders_vault:resolved:it_ops',
    ]);
    // The daily report of the night lists it, resolved.
    const listed = await reportIncidents(store, config)('2026-11-23');
    expect(listed).toEqual([expect.objectContaining({ state: 'resolved', severity: 'critical' })]);
  });

  it('a reconciliation that disagrees opens a data-mismatch incident whose mail lists masked examples', async () => {
    const { config, payments } = await setup();
    await putItems(payments, [{ order_id: 'o2', paid_amount: 2 }]);
    // The reconciliation names its own plan: the money people hear of it, not the outage plan.
    config.checks.reconciliations[0]!.plan = 'satisfaction';
    const { store } = await freshStore('check-incidents');
    const queue = memoryQueue();
    backupAged(3);
    const pseudonymKey = PseudonymKey.generate();

    const night = await runNightlyChecks(config, {
      dynamodb,
      backup,
      store,
      queue,
      clock: () => NOW,
      pseudonymKey,
    });

    const id = 'check:orders_payments:*:data_mismatch';
    expect(night.incidents.opened).toEqual([id]);
    const incident = await readIncident(store, id);
    expect(incident).toMatchObject({ severity: 'warning', plan: 'satisfaction' });
    expect(recipients(queue.messages)).toEqual([
      'orders_payments:opened:user_ops_lead',
      'orders_payments:opened:product',
      'orders_payments:opened:customer_service',
    ]);
    // One of three orders disagrees.
    expect(incident?.trigger?.magnitude).toBeCloseTo(1 / 3);
    const message = queue.messages[0] as AlertDelivery;
    const mail = await loadAlertMail(store, config, message);
    expect(mail?.subject).toMatch(/^\[Nightshift\] OPENED warning: orders_payments: /);
    expect(mail?.text).toContain('Examples (masked ids)');
    expect(mail?.text).toContain(`${pseudonymKey.pseudonym('o2')} amounts differ: 20 vs 2`);
    // Ids are masked in the mail, as in the report.
    expect(mail?.text).not.toMatch(/\bo2\b/);
    expect(mail?.html).not.toMatch(/\bo2\b/);
  });

  it('a restore test is validated, reported to AWS Backup, stored as <check>_restore and raises its own incident', async () => {
    const { config, orders } = await setup();
    const restored = await createTable(real, 'orders-restored', 'order_id');
    await putItems(restored, [{ order_id: 'o1', total_amount: 10 }]);
    const { store } = await freshStore('check-incidents');
    const queue = memoryQueue();
    aws.on(DescribeRestoreJobCommand).resolves({
      RestoreJobId: 'job-1',
      Status: 'COMPLETED',
      SourceResourceArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${orders}`,
      CreatedResourceArn: `arn:aws:dynamodb:eu-west-1:123456789012:table/${restored}`,
    });
    aws.on(PutRestoreValidationResultCommand).resolves({});

    const { result, incidents } = await runRestoreValidation('job-1', config, {
      dynamodb,
      backup,
      store,
      queue,
      clock: () => NOW,
    });

    // One item restored out of three: far beyond the 5% tolerance.
    expect(result).toMatchObject({ checkId: 'orders_vault_restore', status: 'fail', kind: 'restore_validation' });
    expect(aws.commandCalls(PutRestoreValidationResultCommand)[0]?.args[0].input).toMatchObject({
      RestoreJobId: 'job-1',
      ValidationStatus: 'FAILED',
    });
    expect(incidents.opened).toEqual(['check:orders_vault_restore:*:backup_failed']);
    expect(recipients(queue.messages)[0]).toBe('orders_vault_restore:opened:tech_ops_manager');
  });

  it('a restore validation that cannot run at all still fails into one incident', async () => {
    const { config } = await setup();
    const { store } = await freshStore('check-incidents');
    const queue = memoryQueue();
    aws.on(DescribeRestoreJobCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    const { result, incidents } = await runRestoreValidation('job-2', config, {
      dynamodb,
      backup,
      store,
      queue,
      clock: () => NOW,
      retry: instantRetry(),
    });

    expect(result).toMatchObject({ checkId: 'restore_validation', status: 'fail' });
    expect(result.summary).toContain('AccessDenied: not authorized');
    expect(incidents.opened).toEqual(['check:restore_validation:*:backup_failed']);
  });
});

describe('check-backups handler triggers', () => {
  it('tells an AWS Backup restore-job event from the nightly schedule payload', async () => {
    const { restoreJobOf } = await import('../../functions/check-backups/handler.ts');
    const event = {
      source: 'aws.backup',
      'detail-type': 'Restore Job State Change',
      detail: { restoreJobId: 'D2A5D7C4-1B3E', status: 'COMPLETED' },
    };

    expect(restoreJobOf(event)).toBe('D2A5D7C4-1B3E');
    expect(restoreJobOf({ job: 'check-backups', scheduledTime: '2026-11-22T18:00:00Z' })).toBeUndefined();
    expect(restoreJobOf({ ...event, 'detail-type': 'Backup Job State Change' })).toBeUndefined();
    expect(restoreJobOf({ ...event, detail: {} })).toBeUndefined();
  });
});

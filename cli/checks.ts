// `nightshift check-backups`: the night's backup and data checks. Reconciliations run against the DynamoDB the
// command uses; the backup checks call AWS Backup and DynamoDB's backup APIs, which have no local stand-in, so
// locally they run only with --aws (real credentials). The demo creates and reconciles its own orders and payments.
import { BackupClient } from '@aws-sdk/client-backup';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { demoLedger } from '#cli/demo/ledger.ts';
import { type NightlyCheckRun, runNightlyChecks } from '#shared/checks/incidents.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { createDocumentClient } from '#shared/store/dynamodb.ts';
import type { CommandContext } from './context.ts';
import { localDeliveryQueue } from './local-queue.ts';

export interface CheckBackupsRun extends NightlyCheckRun {
  /** Alert mails sent for the incidents the run opened or resolved. */
  alertsSent: number;
  outbox: string;
}

/** The nightly checks as the check-backups function runs them: results stored, failures raised as incidents. */
export async function runCheckBackups(
  ctx: CommandContext,
  options: { aws?: boolean; only?: string[] } = {},
): Promise<CheckBackupsRun> {
  const dynamodb = options.aws
    ? new DynamoDBClient({})
    : new DynamoDBClient({ endpoint: ctx.dynamoEndpoint, ...LOCAL_AWS });
  const only = options.only ?? (options.aws ? undefined : ctx.config.checks.reconciliations.map((r) => r.id));
  const { queue, sentCount, outbox } = await localDeliveryQueue(ctx);
  const run = await recordRun(ctx.store, 'check-backups', ctx.now, async () => {
    const run = await runNightlyChecks(
      ctx.config,
      { dynamodb, backup: new BackupClient({}), store: ctx.store, clock: ctx.now, queue },
      only ? { only } : {},
    );
    return run as unknown as Record<string, unknown> & NightlyCheckRun;
  });
  return { ...run, alertsSent: sentCount(), outbox };
}

/** Creates the tables of the config's first reconciliation locally and fills them with the demo ledger. */
export async function seedDemoLedger(
  ctx: CommandContext,
): Promise<ReturnType<typeof demoLedger>['planted'] | undefined> {
  const rec = ctx.config.checks.reconciliations[0];
  if (!rec) return undefined;
  const client = new DynamoDBClient({ endpoint: ctx.dynamoEndpoint, ...LOCAL_AWS });
  const doc = createDocumentClient({ endpoint: ctx.dynamoEndpoint, ...LOCAL_AWS });
  const ledger = demoLedger(ctx.now());
  for (const [side, rows] of [
    [rec.left, ledger.orders],
    [rec.right, ledger.payments],
  ] as const) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: side.table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: side.key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: side.key, KeyType: 'HASH' }],
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: side.table });
    for (let i = 0; i < rows.length; i += 25) {
      let pending = rows.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [side.table]: pending } }));
        pending = (out.UnprocessedItems?.[side.table] ?? []) as typeof pending;
      }
    }
  }
  return ledger.planted;
}

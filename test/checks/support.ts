// Shared by the check tests: a fixed clock, config parsed through the real schema (so defaults apply), a retry
// without waiting, throttling errors as the SDK raises them, and real tables on the run's DynamoDB Local.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { BackupCheck, Reconciliation } from '#shared/config/schema.ts';
import type { RetryOptions } from '#shared/inspection/aws.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { localClient } from '../support/dynamo.ts';

/** 02:00 in Shanghai on 23 November 2026: the nightly checks run. */
export const NOW = Date.parse('2026-11-23T02:00:00+08:00');
export const clock = () => NOW;
export const hoursAgo = (h: number) => new Date(NOW - h * 3_600_000);
export const minutesAgo = (m: number) => new Date(NOW - m * 60_000);

export const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders';

/** Retries without waiting; `sleeps` records the pauses asked for. */
export function instantRetry(): RetryOptions & { sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, backoffMs: (n) => n * 10, sleep: async (ms) => void sleeps.push(ms) };
}

export function throttling(name = 'ThrottlingException'): Error {
  return Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: 400 }, $retryable: {} });
}

export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

export function backupCheck<K extends BackupCheck['kind']>(
  kind: K,
  fields: Record<string, unknown> = {},
): Extract<BackupCheck, { kind: K }> {
  return BackupCheck.parse({ id: `orders_${kind}`, table: 'orders', kind, ...fields }) as Extract<
    BackupCheck,
    { kind: K }
  >;
}

export function reconciliation(fields: Record<string, unknown>): Reconciliation {
  return Reconciliation.parse({ id: 'orders_payments', ...fields });
}

/** A low-level client on the run's DynamoDB Local (reconciliation reads raw attribute values). */
export function localDynamo(): DynamoDBClient {
  return new DynamoDBClient({ endpoint: inject('dynamoEndpoint'), ...LOCAL_AWS });
}

/** Creates an on-demand table with a string hash key and returns its unique name. */
export async function createTable(client: DynamoDBClient, label: string, key: string): Promise<string> {
  const name = `${label}-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: name });
  return name;
}

const writer = localClient();

export async function putItems(table: string, items: Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches.slice(i, i + 8).map(async (batch) => {
        let pending = batch.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const out = await writer.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
          pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
        }
      }),
    );
  }
}

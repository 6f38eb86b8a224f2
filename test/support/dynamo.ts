// A fresh pair of tables on the run's DynamoDB Local for each test file (or each call).
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { createDocumentClient, createDynamoStore, ensureTables } from '#shared/store/dynamodb.ts';
import type { StateStore } from '#shared/store/store.ts';
import { type TableNames, tableNames } from '#shared/store/tables.ts';

export function localClient() {
  return createDocumentClient({ endpoint: inject('dynamoEndpoint'), ...LOCAL_AWS });
}

export async function freshStore(label = 'test'): Promise<{ store: StateStore; tables: TableNames }> {
  const client = localClient();
  const tables = tableNames(`${label}-${randomUUID().slice(0, 8)}`);
  await ensureTables(client, tables);
  return { store: createDynamoStore({ client, tables, backoffMs: () => 1 }), tables };
}

// DynamoDB adapter of the state store port. Counts consumed capacity so benchmarks report real units.

import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import {
  BillingMode,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  CapacityUsage,
  DeleteCondition,
  Item,
  PutCondition,
  QueryOptions,
  RefusedItem,
  StateStore,
  TableName,
} from './store.ts';
import { PutManyError, StoreError } from './store.ts';
import { PARTITION_KEY, SORT_KEY, TABLES, type TableNames } from './tables.ts';

const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 8;

/** How items become DynamoDB attribute values (the document client's options, also used to find a bad item). */
const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), { marshallOptions: MARSHALL_OPTIONS });
}

export interface DynamoStoreOptions {
  client: DynamoDBDocumentClient;
  tables: TableNames;
  /** Pause between retries of unprocessed batch items; tests shorten it. */
  backoffMs?: (attempt: number) => number;
}

export function createDynamoStore(options: DynamoStoreOptions): StateStore {
  const store = new DynamoStore(options);
  // A plain object of bound methods: callers (and tests that inject faults) may spread it and replace one method.
  return {
    get: store.get.bind(store),
    put: store.put.bind(store),
    putMany: store.putMany.bind(store),
    delete: store.delete.bind(store),
    increment: store.increment.bind(store),
    query: store.query.bind(store),
    usage: store.usage.bind(store),
  };
}

/** The state store on DynamoDB: each call one request (bulk writes in batches of 25), consumed capacity counted. */
class DynamoStore implements StateStore {
  private readonly client: DynamoStoreOptions['client'];
  private readonly tables: DynamoStoreOptions['tables'];
  private readonly backoffMs: NonNullable<DynamoStoreOptions['backoffMs']>;
  private readonly used: CapacityUsage = { readUnits: 0, writeUnits: 0 };

  constructor({ client, tables, backoffMs = defaultBackoff }: DynamoStoreOptions) {
    this.client = client;
    this.tables = tables;
    this.backoffMs = backoffMs;
  }

  private count(capacity: ConsumedCapacity | ConsumedCapacity[] | undefined, kind: 'read' | 'write'): void {
    for (const c of Array.isArray(capacity) ? capacity : capacity ? [capacity] : []) {
      if (kind === 'read') this.used.readUnits += c.CapacityUnits ?? 0;
      else this.used.writeUnits += c.CapacityUnits ?? 0;
    }
  }

  private name(table: TableName): string {
    return this.tables[table];
  }

  /** One BatchWriteItem of at most 25 items, retrying unprocessed ones; on failure, what is still unwritten. */
  private async writeBatch(
    table: TableName,
    batch: readonly Item[],
  ): Promise<{ error: unknown; pending: Item[] } | undefined> {
    let pending = batch.map((Item) => ({ PutRequest: { Item } }));
    // Unprocessed items come back as copies: callers are told about their own objects.
    const unwritten = () => {
      const original = new Map(batch.map((item) => [keyOf(item), item]));
      return pending.map((r) => original.get(keyOf(r.PutRequest.Item)) ?? r.PutRequest.Item);
    };
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_BATCH_ATTEMPTS) {
        const error = new StoreError(
          `${pending.length} items not written to ${this.name(table)} after ${MAX_BATCH_ATTEMPTS} attempts`,
        );
        return { error, pending: unwritten() };
      }
      if (attempt > 1) await sleep(this.backoffMs(attempt));
      try {
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.name(table)]: pending }, ReturnConsumedCapacity: 'TOTAL' }),
        );
        this.count(out.ConsumedCapacity, 'write');
        pending = (out.UnprocessedItems?.[this.name(table)] ?? []) as typeof pending;
      } catch (error) {
        return { error, pending: unwritten() };
      }
    }
    return undefined;
  }

  async get(table: TableName, pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.name(table), Key: { pk, sk }, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.count(out.ConsumedCapacity, 'read');
    return out.Item as Item | undefined;
  }

  async put(table: TableName, item: Item, condition?: PutCondition): Promise<boolean> {
    const conditional = conditionExpression(condition);
    try {
      const out = await this.client.send(
        new PutCommand({ TableName: this.name(table), Item: item, ReturnConsumedCapacity: 'TOTAL', ...conditional }),
      );
      this.count(out.ConsumedCapacity, 'write');
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async putMany(table: TableName, items: readonly Item[]): Promise<void> {
    const refused: RefusedItem[] = [];
    const unwritten: Item[] = [];
    let cause: unknown;
    // A request DynamoDB refuses as invalid writes nothing and does not say which item is at fault: halving it
    // finds the item in a few requests, and its neighbours are written.
    const write = async (batch: readonly Item[]): Promise<void> => {
      const failure = await this.writeBatch(table, batch);
      if (!failure) return;
      const { error, pending } = failure;
      if (error instanceof Error && error.name === 'ValidationException') {
        if (pending.length === 1) {
          refused.push({ item: pending[0]!, message: error.message });
          return;
        }
        const half = Math.ceil(pending.length / 2);
        await write(pending.slice(0, half));
        await write(pending.slice(half));
        return;
      }
      // Marshalling runs before any request is sent: find the items it cannot convert, and write the others.
      const unconvertible = new Set<Item>();
      for (const item of pending) {
        try {
          marshall(item, MARSHALL_OPTIONS);
        } catch (error) {
          refused.push({ item, message: error instanceof Error ? error.message : String(error) });
          unconvertible.add(item);
        }
      }
      if (unconvertible.size > 0) {
        const rest = pending.filter((item) => !unconvertible.has(item));
        if (rest.length > 0) await write(rest);
        return;
      }
      unwritten.push(...pending);
      cause ??= error;
    };
    for (let i = 0; i < items.length; i += BATCH_SIZE) await write(items.slice(i, i + BATCH_SIZE));
    if (refused.length > 0 || unwritten.length > 0) throw new PutManyError(this.name(table), refused, unwritten, cause);
  }

  async delete(table: TableName, pk: string, sk: string, condition?: DeleteCondition): Promise<boolean> {
    const entries = Object.entries(condition?.ifEquals ?? {});
    const conditional =
      entries.length === 0
        ? {}
        : {
            ConditionExpression: entries.map((_, i) => `#d${i} = :d${i}`).join(' AND '),
            ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#d${i}`, k])),
            ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:d${i}`, v])),
          };
    try {
      const out = await this.client.send(
        new DeleteCommand({
          TableName: this.name(table),
          Key: { pk, sk },
          ReturnConsumedCapacity: 'TOTAL',
          ...conditional,
        }),
      );
      this.count(out.ConsumedCapacity, 'write');
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async increment(table: TableName, pk: string, sk: string, counts: Record<string, number>): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n !== 0);
    if (entries.length === 0) return;
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.name(table),
        Key: { pk, sk },
        UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#c${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(entries.map(([, n], i) => [`:c${i}`, n])),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.count(out.ConsumedCapacity, 'write');
  }

  async *query(table: TableName, pk: string, options: QueryOptions = {}): AsyncIterable<Item> {
    const input = queryInput(this.name(table), pk, options);
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    do {
      const out = await this.client.send(
        new QueryCommand({ ...input, ...(Number.isFinite(remaining) ? { Limit: remaining } : {}) }),
      );
      this.count(out.ConsumedCapacity, 'read');
      for (const item of out.Items ?? []) {
        yield item as Item;
        remaining--;
      }
      input.ExclusiveStartKey = out.LastEvaluatedKey;
    } while (input.ExclusiveStartKey && remaining > 0);
  }

  usage(): CapacityUsage {
    return { ...this.used };
  }
}

const keyOf = (item: Item) => `${item.pk}\u0000${item.sk}`;

function conditionExpression(condition: PutCondition | undefined) {
  if (!condition) return {};
  if ('ifAbsent' in condition) return { ConditionExpression: 'attribute_not_exists(pk)' };
  return {
    ConditionExpression: 'attribute_not_exists(pk) OR #version = :expected',
    ExpressionAttributeNames: { '#version': 'version' },
    ExpressionAttributeValues: { ':expected': condition.ifVersion },
  };
}

function queryInput(table: string, pk: string, o: QueryOptions): QueryCommandInput {
  const names: Record<string, string> = { '#pk': PARTITION_KEY };
  const values: Record<string, unknown> = { ':pk': pk };
  let key = '#pk = :pk';
  if (o.prefix !== undefined) {
    names['#sk'] = SORT_KEY;
    values[':prefix'] = o.prefix;
    key += ' AND begins_with(#sk, :prefix)';
  } else if (o.from !== undefined && o.to !== undefined) {
    names['#sk'] = SORT_KEY;
    values[':from'] = o.from;
    values[':to'] = o.to;
    key += ' AND #sk BETWEEN :from AND :to';
  } else if (o.from !== undefined || o.to !== undefined) {
    // One bound only: DynamoDB refuses an empty string as a key value, so no open end can stand in for the other.
    names['#sk'] = SORT_KEY;
    values[':bound'] = o.from ?? o.to;
    key += o.from !== undefined ? ' AND #sk >= :bound' : ' AND #sk <= :bound';
  }
  const projection = o.attributes?.map((a, i) => {
    names[`#a${i}`] = a;
    return `#a${i}`;
  });
  return {
    TableName: table,
    KeyConditionExpression: key,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: !o.newestFirst,
    ReturnConsumedCapacity: 'TOTAL',
    ...(projection ? { ProjectionExpression: projection.join(', ') } : {}),
  };
}

/** Creates the tables if they do not exist (local mode and tests; in AWS the stack owns them, with TTL on). */
/**
 * Creates the tables that do not exist yet and returns their names. One DescribeTable per table, all at once: a table
 * that exists costs no CreateTable call (the common case on every command after the first).
 */
export async function ensureTables(client: DynamoDBDocumentClient, tables: TableNames): Promise<string[]> {
  const created = await Promise.all(
    TABLES.map(async (logical) => {
      const TableName = tables[logical];
      const status = await tableStatus(client, TableName);
      if (status === 'ACTIVE') return undefined;
      // Not there: create it. Being created (by another command): wait for it like for our own.
      const made = status === undefined ? await createTable(client, TableName) : false;
      await waitForTable(client, TableName);
      return made ? TableName : undefined;
    }),
  );
  return created.filter((name) => name !== undefined);
}

async function tableStatus(client: DynamoDBDocumentClient, TableName: string): Promise<string | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName }))).Table?.TableStatus;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** True if this call created the table; false if another one did first. */
async function createTable(client: DynamoDBDocumentClient, TableName: string): Promise<boolean> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions: [
          { AttributeName: PARTITION_KEY, AttributeType: 'S' },
          { AttributeName: SORT_KEY, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: SORT_KEY, KeyType: 'RANGE' },
        ],
      }),
    );
    // No TTL here: DynamoDB Local expires items by this machine's clock, not the command's (--now) or a test's, so
    // a night replayed on a virtual clock would find its events gone. The stack turns TTL on in AWS.
    return true;
  } catch (error) {
    if (error instanceof ResourceInUseException) return false;
    throw error;
  }
}

async function waitForTable(client: DynamoDBDocumentClient, TableName: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await tableStatus(client, TableName)) === 'ACTIVE') return;
    await sleep(100);
  }
  throw new StoreError(`table ${TableName} did not become ACTIVE`);
}

function defaultBackoff(attempt: number): number {
  return Math.min(2000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

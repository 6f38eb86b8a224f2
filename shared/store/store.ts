// The state store port: what domain code may ask of DynamoDB. Two tables: `events` (raw events and quarantine,
// day-sharded) and `state` (KPI values, incidents, deliveries, job runs, check results).
export type TableName = 'events' | 'state';

/** Every item has a partition key `pk`, a sort key `sk`, and may expire at `ttl` (epoch seconds). */
export interface Item {
  pk: string;
  sk: string;
  ttl?: number;
  [attribute: string]: unknown;
}

export interface QueryOptions {
  /** Only sort keys starting with this. */
  prefix?: string;
  /** Sort keys between from and to, both included. */
  from?: string;
  to?: string;
  limit?: number;
  newestFirst?: boolean;
  /** Attributes to read (default all); cheaper reads when items are large. */
  attributes?: string[];
}

export type PutCondition = { ifAbsent: true } | { ifVersion: number };
/** Delete only while these attributes still hold these values (nobody rewrote the item since it was read). */
export type DeleteCondition = { ifEquals: Record<string, string | number> };

export interface CapacityUsage {
  readUnits: number;
  writeUnits: number;
}

export interface StateStore {
  get(table: TableName, pk: string, sk: string): Promise<Item | undefined>;
  /** Writes the item; with a condition, returns false (and writes nothing) when the condition does not hold. */
  put(table: TableName, item: Item, condition?: PutCondition): Promise<boolean>;
  /**
   * Idempotent bulk write: writing the same keys again overwrites them. Retries unprocessed items, and writes every
   * item it can: one that DynamoDB refuses does not keep its neighbours out. Throws a `PutManyError` naming the items
   * refused and those still unwritten.
   */
  putMany(table: TableName, items: readonly Item[]): Promise<void>;
  /** Deletes the item; with a condition, returns false (and deletes nothing) when the condition does not hold. */
  delete(table: TableName, pk: string, sk: string, condition?: DeleteCondition): Promise<boolean>;
  /** Atomically adds to numeric attributes (creating the item and attributes at 0 when absent). */
  increment(table: TableName, pk: string, sk: string, counts: Record<string, number>): Promise<void>;
  /** Every item of one partition in sort-key order, page by page. */
  query(table: TableName, pk: string, options?: QueryOptions): AsyncIterable<Item>;
  /** Capacity consumed by this store since it was created (from ReturnConsumedCapacity). */
  usage(): CapacityUsage;
}

export class StoreError extends Error {
  override name = 'StoreError';
}

/** An item DynamoDB (or the marshalling before it) refused as invalid: writing it again cannot succeed. */
export interface RefusedItem {
  item: Item;
  message: string;
}

/** What a bulk write left out: every other item was written. */
export class PutManyError extends StoreError {
  override name = 'PutManyError';
  /** Refused for good (invalid item). */
  readonly refused: readonly RefusedItem[];
  /** Not written for a reason that may pass (throttling after retries, a network or service error). */
  readonly unwritten: readonly Item[];

  constructor(table: string, refused: readonly RefusedItem[], unwritten: readonly Item[], cause?: unknown) {
    const first = refused[0]?.message ?? (cause instanceof Error ? cause.message : undefined);
    super(
      `${refused.length} items refused and ${unwritten.length} not written to ${table}${first ? `: ${first}` : ''}`,
      cause === undefined ? undefined : { cause },
    );
    this.refused = refused;
    this.unwritten = unwritten;
  }
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

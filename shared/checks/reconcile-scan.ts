// Parallel segmented Scan of one reconciliation side, reading only the key, amount and time attributes (the
// projection saves transfer and parsing; DynamoDB still charges the full item size: 0.5 read units per 4 KB).
import { type AttributeValue, ScanCommand, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import type { Reconciliation } from '#shared/config/schema.ts';
import { type DynamoDBLike, type RetryOptions, withRetries } from '#shared/inspection/aws.ts';
import { NO_AMOUNT, TOO_RECENT } from './reconcile-spill.ts';

export type ReconcileSide = Reconciliation['left'];

export interface SideScanStats {
  items: number;
  pages: number;
  readUnits: number;
  /** Items whose time attribute was missing or unreadable; they are treated as old enough. */
  undated: number;
}

export type ItemSink = (flags: number, key: string, amount: number) => void;

export interface SideScanOptions {
  dynamodb: DynamoDBLike;
  segments: number;
  /** Items with a time after this (epoch ms) are still in flight: recorded as TOO_RECENT. */
  cutoff: number;
  retry?: RetryOptions | undefined;
}

/** Scans a side with `segments` parallel workers and hands each item to `sink` as (flags, key, amount). */
export async function scanSide(side: ReconcileSide, sink: ItemSink, options: SideScanOptions): Promise<SideScanStats> {
  const stats: SideScanStats = { items: 0, pages: 0, readUnits: 0, undated: 0 };
  const base = scanInput(side);
  const { key, amount, timeAttribute } = side;
  const cutoff = options.cutoff;

  const worker = async (segment: number) => {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const input: ScanCommandInput = {
        ...base,
        Segment: segment,
        TotalSegments: options.segments,
        ExclusiveStartKey: start,
      };
      const out = await withRetries(() => options.dynamodb.send(new ScanCommand(input)), options.retry);
      stats.pages++;
      stats.readUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
      for (const item of out.Items ?? []) {
        const id = keyText(item[key]);
        if (id === undefined) continue;
        const value = amountOf(item[amount]);
        let flags = Number.isNaN(value) ? NO_AMOUNT : 0;
        if (timeAttribute) {
          const t = timeOf(item[timeAttribute]);
          if (t === undefined) stats.undated++;
          else if (t > cutoff) flags |= TOO_RECENT;
        }
        stats.items++;
        sink(flags, id, value);
      }
      start = out.LastEvaluatedKey;
    } while (start);
  };
  await Promise.all(Array.from({ length: options.segments }, (_, s) => worker(s)));
  return stats;
}

function scanInput(side: ReconcileSide): ScanCommandInput {
  const names: Record<string, string> = { '#k': side.key, '#a': side.amount };
  const projection = ['#k', '#a'];
  if (side.timeAttribute) {
    names['#t'] = side.timeAttribute;
    projection.push('#t');
  }
  const values: Record<string, AttributeValue> = {};
  const conditions = Object.entries(side.filter ?? {}).map(([attribute, wanted], i) => {
    names[`#f${i}`] = attribute;
    const list = Array.isArray(wanted) ? wanted : [wanted];
    const placeholders = list.map((v, j) => {
      values[`:f${i}_${j}`] = attributeValue(v);
      return `:f${i}_${j}`;
    });
    return placeholders.length === 1 ? `#f${i} = ${placeholders[0]}` : `#f${i} IN (${placeholders.join(', ')})`;
  });
  return {
    TableName: side.table,
    ProjectionExpression: projection.join(', '),
    ExpressionAttributeNames: names,
    ReturnConsumedCapacity: 'TOTAL',
    ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeValues: values } : {}),
  };
}

function attributeValue(v: string | number | boolean): AttributeValue {
  if (typeof v === 'string') return { S: v };
  if (typeof v === 'number') return { N: String(v) };
  return { BOOL: v };
}

/** The key as text, so `42` and `"42"` pair up; binary keys as base64. Items without the key are skipped. */
function keyText(v: AttributeValue | undefined): string | undefined {
  if (!v) return undefined;
  if (v.S !== undefined) return v.S;
  if (v.N !== undefined) return v.N;
  if (v.B !== undefined) return Buffer.from(v.B).toString('base64');
  return undefined;
}

const NUMERIC = /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** Numbers, and numbers stored as strings; anything else is NaN (reported as an unreadable amount). */
function amountOf(v: AttributeValue | undefined): number {
  if (!v) return Number.NaN;
  if (v.N !== undefined) return Number(v.N);
  if (v.S !== undefined && NUMERIC.test(v.S)) return Number(v.S);
  return Number.NaN;
}

/** Epoch ms of an ISO 8601 string or an epoch number (seconds below 1e11, milliseconds above). */
export function timeOf(v: AttributeValue | undefined): number | undefined {
  if (!v) return undefined;
  const raw = v.N ?? (v.S !== undefined && NUMERIC.test(v.S) ? v.S : undefined);
  if (raw !== undefined) {
    const n = Number(raw);
    return Math.abs(n) < 1e11 ? n * 1000 : n;
  }
  if (v.S !== undefined) {
    const ms = Date.parse(v.S);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

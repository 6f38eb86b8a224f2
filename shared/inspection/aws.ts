// What the checks need from AWS: the two SDK clients (passed in; the handler builds them once per cold start), a
// retry for throttling that does not depend on the SDK's own middleware, and the few ARN helpers.
import type { BackupClient } from '@aws-sdk/client-backup';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Only `send` is used, so tests may pass an `aws-sdk-client-mock`ed client or any fake. */
export type DynamoDBLike = Pick<DynamoDBClient, 'send'>;
export type BackupLike = Pick<BackupClient, 'send'>;

export interface RetryOptions {
  /** Attempts in all, the first one included (default 6). */
  attempts?: number;
  /** Pause before attempt n (n >= 2); default full-jitter exponential from 100 ms, at most 5 s. */
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
]);

/** Throttling and server-side errors are worth another attempt; anything else (not found, access denied) is not. */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (THROTTLING.has(error.name)) return true;
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown }).$metadata;
  return (meta?.httpStatusCode ?? 0) >= 500 || (error as { $retryable?: unknown }).$retryable !== undefined;
}

export const defaultBackoff = (attempt: number) => Math.random() * Math.min(5000, 100 * 2 ** (attempt - 1));
export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `fn` until it succeeds, retrying throttling with jittered backoff. The SDK retries too, but only three
 * times; a nightly job that has the whole night prefers waiting to failing a check on a busy account.
 */
export async function withRetries<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { attempts = 6, backoffMs = defaultBackoff, sleep = realSleep } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      await sleep(backoffMs(attempt + 1));
    }
  }
}

/** `orders` from `arn:aws:dynamodb:eu-west-1:123456789012:table/orders` (or from `orders` itself). */
export function tableNameOf(tableOrArn: string): string {
  const m = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)/.exec(tableOrArn);
  return m ? m[1]! : tableOrArn;
}

export function isNamed(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

export interface LiveTable {
  name: string;
  arn: string;
  /** DescribeTable's estimates, refreshed by DynamoDB about every six hours. */
  items: number | undefined;
  bytes: number | undefined;
  keyAttributes: string[];
}

/** The live table as DescribeTable reports it, or undefined when it does not exist. */
export async function describeLiveTable(
  dynamodb: DynamoDBLike,
  table: string,
  retry?: RetryOptions,
): Promise<LiveTable | undefined> {
  try {
    const out = await withRetries(() => dynamodb.send(new DescribeTableCommand({ TableName: table })), retry);
    const t = out.Table;
    return {
      name: t?.TableName ?? table,
      arn: t?.TableArn ?? table,
      items: t?.ItemCount,
      bytes: t?.TableSizeBytes,
      keyAttributes: (t?.KeySchema ?? []).map((k) => k.AttributeName ?? '').filter(Boolean),
    };
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException', 'TableNotFoundException')) return undefined;
    throw error;
  }
}

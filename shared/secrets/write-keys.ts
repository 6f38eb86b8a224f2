// The write keys the HTTP ingestion API accepts: a fixed list for `nightshift serve`, or a Secrets Manager secret in
// AWS, read once per cold start and again every few minutes, so a key added for a rotation works without a deploy.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** The keys accepted now; rejects when they cannot be read (the API then answers 503: a retry may pass). */
export type WriteKeys = () => Promise<readonly string[]>;

export class WriteKeyError extends Error {
  override name = 'WriteKeyError';
}

const MAX_KEY_LENGTH = 256;
/** After a failed refresh, the keys read last are used this long before the secret is read again. */
const RETRY_MS = 60_000;

/** Why a key cannot be used, or undefined when it can. */
export function writeKeyProblem(key: string): string | undefined {
  if (key === '') return 'is empty';
  if (key.length > MAX_KEY_LENGTH) return `is longer than ${MAX_KEY_LENGTH} characters`;
  // SDKs send the key as the Basic auth user name: a colon would end it, and spaces do not survive HTTP headers.
  if (!/^[\x21-\x7e]+$/.test(key)) return 'has characters other than printable ASCII without spaces';
  if (key.includes(':')) return 'contains a colon, which ends the user name of Basic auth';
  return undefined;
}

function checked(keys: readonly string[], source: string): string[] {
  if (keys.length === 0) throw new WriteKeyError(`${source}: no write key`);
  for (const [i, key] of keys.entries()) {
    const problem = writeKeyProblem(key);
    if (problem) throw new WriteKeyError(`${source}: write key ${i + 1} ${problem}`);
  }
  return [...keys];
}

/**
 * The keys in a secret's value: `{"writeKey": "..."}` (what the stack generates), `{"writeKeys": ["new", "old"]}`
 * (both accepted while clients move to the new one), both, or the key alone as plain text.
 */
export function parseWriteKeys(secret: string, source = 'write key secret'): string[] {
  let value: unknown;
  try {
    value = JSON.parse(secret);
  } catch {
    return checked([secret.trim()], source);
  }
  if (typeof value === 'string') return checked([value], source);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WriteKeyError(`${source}: expected {"writeKey": "..."} or {"writeKeys": ["...", ...]}`);
  }
  const { writeKey, writeKeys } = value as Record<string, unknown>;
  const keys: string[] = [];
  if (writeKey !== undefined) {
    if (typeof writeKey !== 'string') throw new WriteKeyError(`${source}: writeKey must be a string`);
    keys.push(writeKey);
  }
  if (writeKeys !== undefined) {
    if (!Array.isArray(writeKeys) || !writeKeys.every((k) => typeof k === 'string')) {
      throw new WriteKeyError(`${source}: writeKeys must be a list of strings`);
    }
    keys.push(...writeKeys);
  }
  return checked(keys, source);
}

export function staticWriteKeys(keys: readonly string[]): WriteKeys {
  const valid = checked(keys, '--write-key');
  return async () => valid;
}

export interface SecretWriteKeysOptions {
  secretId: string;
  /** @default a client for the function's region */
  client?: SecretsManagerClient;
  now: () => number;
  /** How long keys read are used before the secret is read again. @default 5 minutes */
  refreshMs?: number;
}

/**
 * Keys from Secrets Manager, read at most once per `refreshMs`. When a refresh fails, the keys read last go on being
 * used (an outage of Secrets Manager does not stop ingestion); only without any keys read does it reject.
 */
export function secretsManagerWriteKeys(options: SecretWriteKeysOptions): WriteKeys {
  const refreshMs = options.refreshMs ?? 5 * 60_000;
  let client = options.client;
  let cached: { keys: readonly string[]; readAt: number } | undefined;
  let pending: Promise<readonly string[]> | undefined;

  const read = async (): Promise<readonly string[]> => {
    // Loaded on first use: the CLI, which imports this module for `serve`, never needs the SDK.
    const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    client ??= new SecretsManagerClient({});
    const out = await client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
    if (out.SecretString === undefined) throw new WriteKeyError(`secret ${options.secretId} has no string value`);
    const keys = parseWriteKeys(out.SecretString, `secret ${options.secretId}`);
    cached = { keys, readAt: options.now() };
    return keys;
  };

  return async () => {
    if (cached && options.now() - cached.readAt < refreshMs) return cached.keys;
    // One read at a time: concurrent requests of a cold start share it.
    pending ??= read().finally(() => {
      pending = undefined;
    });
    try {
      return await pending;
    } catch (error) {
      if (!cached) throw error;
      // Read again in a minute rather than on every request meanwhile.
      cached = { keys: cached.keys, readAt: Math.max(cached.readAt, options.now() - refreshMs + RETRY_MS) };
      return cached.keys;
    }
  };
}

/** Whether `candidate` is one of `keys`, in time that does not depend on how much of a key it matches. */
export function isWriteKey(keys: readonly string[], candidate: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const c = digest(candidate);
  let found = false;
  for (const key of keys) found = timingSafeEqual(digest(key), c) || found;
  return found;
}

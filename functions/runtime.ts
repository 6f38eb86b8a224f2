// What every Lambda handler needs, built once per cold start: the config baked into the bundle at synth time,
// the environment and the state store (logs and metrics come from shared/observability, which scrubs personal data).
// Handlers stay adapters of a dozen lines. A function the stack gives the pseudonym key (PSEUDONYM_KEY_SECRET) reads
// it from Secrets Manager once per cold start, before its first invocation, and sets it for the process: the key is
// never in the bundle, the environment or a log.
// The config is not re-validated here: `cdk synth` validated exactly this JSON before baking it into this bundle,
// and leaving the schema (zod + yaml, ~550 KB) out keeps every bundle far under the cold-start budget.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { PseudonymKey, setPseudonymKey } from '#shared/privacy/pseudonym.ts';
import { createDocumentClient, createDynamoStore } from '#shared/store/dynamodb.ts';
import type { StateStore } from '#shared/store/store.ts';

/** Replaced at bundle time by esbuild's `define` with the validated config as JSON (see infra/nightshift-function.ts). */
declare const __NIGHTSHIFT_CONFIG__: string | undefined;

export interface LambdaEnv {
  EVENTS_TABLE?: string;
  STATE_TABLE?: string;
  DELIVERY_QUEUE_URL?: string;
  SES_CONFIGURATION_SET?: string;
  /** ARN of the Secrets Manager secret holding the pseudonym key (set only for functions granted to read it). */
  PSEUDONYM_KEY_SECRET?: string;
  /** The raw event archive's bucket (set only for functions granted to it). */
  ARCHIVE_BUCKET?: string;
}

export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/** Reads the variables the stack sets; a present but empty or malformed one is a deployment error, named. */
export function readLambdaEnv(env: NodeJS.ProcessEnv): LambdaEnv {
  const out: LambdaEnv = {};
  for (const name of [
    'EVENTS_TABLE',
    'STATE_TABLE',
    'DELIVERY_QUEUE_URL',
    'SES_CONFIGURATION_SET',
    'PSEUDONYM_KEY_SECRET',
    'ARCHIVE_BUCKET',
  ] as const) {
    const value = env[name];
    if (value === undefined) continue;
    if (value.trim() === '') throw new EnvironmentError(`${name} is set but empty`);
    if (name === 'DELIVERY_QUEUE_URL' && !/^https:\/\/\S+$/.test(value)) {
      throw new EnvironmentError(`DELIVERY_QUEUE_URL: expected an https URL, got '${value}'`);
    }
    out[name] = value;
  }
  return out;
}

export interface LambdaRuntime {
  config: NightshiftConfig;
  env: LambdaEnv;
  store: StateStore;
  now: () => number;
}

let runtime: LambdaRuntime | undefined;

export function lambdaRuntime(): LambdaRuntime {
  if (runtime) return runtime;
  if (typeof __NIGHTSHIFT_CONFIG__ === 'undefined') {
    throw new Error('no config in this bundle: it must be built by the Nightshift stack (esbuild define)');
  }
  const config = JSON.parse(__NIGHTSHIFT_CONFIG__) as NightshiftConfig;
  const env = readLambdaEnv(process.env);
  const store = createDynamoStore({
    client: createDocumentClient(),
    // A function bound to one table only has the other's name unset; using it fails with a clear AWS error.
    tables: { events: env.EVENTS_TABLE ?? 'unbound-events-table', state: env.STATE_TABLE ?? 'unbound-state-table' },
  });
  runtime = { config, env, store, now: Date.now };
  return runtime;
}

/** A secret's text value. The SDK is loaded only by functions that read a secret, not in every cold start. */
async function readSecret(secretId: string): Promise<string> {
  const { GetSecretValueCommand, SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
  if (SecretString === undefined) throw new EnvironmentError(`secret ${secretId} has no text value`);
  return SecretString;
}

/**
 * The pseudonym key of the secret named by PSEUDONYM_KEY_SECRET; undefined for a function the stack gives no key
 * (its log lines withhold ids rather than hash them unkeyed).
 */
export async function readPseudonymKey(env: LambdaEnv): Promise<PseudonymKey | undefined> {
  const secretId = env.PSEUDONYM_KEY_SECRET;
  if (secretId === undefined) return undefined;
  return PseudonymKey.fromText(await readSecret(secretId), `secret ${secretId}`);
}

// Once per cold start: module initialization finishes (and the first invocation starts) only after the key is set.
setPseudonymKey(await readPseudonymKey(readLambdaEnv(process.env)));

// What every Lambda handler needs, built once per cold start: the function's slice of the config baked into the
// bundle at synth time, the people it may know read from SSM, the environment and the state store (logs and metrics
// come from shared/observability, which scrubs personal data). Handlers stay adapters of a dozen lines.
// Before the first invocation, once per cold start: a function the stack gives the pseudonym key
// (PSEUDONYM_KEY_SECRET) reads it from Secrets Manager and sets it for the process (never in the bundle, the
// environment or a log); a function that routes or plans mail reads the people directory (PEOPLE_DIRECTORY_PARAMETER)
// and the sender also their names and addresses (PEOPLE_CONTACTS_PARAMETER), in one GetParameters call.
// The slice is not re-validated here: `cdk synth` validated the config before cutting this slice from it, and leaving
// the schema (zod + yaml, ~550 KB) out keeps every bundle far under the cold-start budget. The people parameters can
// be edited outside a deployment, so they are checked (zod/mini) when read.

import type { NightshiftConfig } from '#shared/config/schema.ts';
import {
  type ConfigSlice,
  deployedConfig,
  type People,
  parsePeopleContacts,
  parsePeopleDirectory,
} from '#shared/config/slice.ts';
import { PseudonymKey, setPseudonymKey } from '#shared/privacy/pseudonym.ts';
import { createDocumentClient, createDynamoStore } from '#shared/store/dynamodb.ts';
import type { StateStore } from '#shared/store/store.ts';

/** Replaced at bundle time by esbuild's `define` with the function's config slice as JSON (infra/function-config.ts). */
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
  /** Name of the SSM parameter holding the people directory (set only for functions granted to read it). */
  PEOPLE_DIRECTORY_PARAMETER?: string;
  /** Name of the SSM parameter holding names and addresses (set only for the sender). */
  PEOPLE_CONTACTS_PARAMETER?: string;
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
    'PEOPLE_DIRECTORY_PARAMETER',
    'PEOPLE_CONTACTS_PARAMETER',
  ] as const) {
    const value = env[name];
    if (value === undefined) continue;
    if (value.trim() === '') throw new EnvironmentError(`${name} is set but empty`);
    if (name === 'DELIVERY_QUEUE_URL' && !/^https:\/\/\S+$/.test(value)) {
      throw new EnvironmentError(`DELIVERY_QUEUE_URL: expected an https URL, got '${value}'`);
    }
    out[name] = value;
  }
  if (out.PEOPLE_CONTACTS_PARAMETER && !out.PEOPLE_DIRECTORY_PARAMETER) {
    throw new EnvironmentError('PEOPLE_CONTACTS_PARAMETER is set without PEOPLE_DIRECTORY_PARAMETER');
  }
  return out;
}

export interface LambdaRuntime {
  /** The function's slice with the people it may know; reading a section it was not given throws. */
  config: NightshiftConfig;
  /** Names and addresses this function holds (the sender's contacts), for the log scrubber to blank; else none. */
  people: ReadonlyArray<{ name: string; email: string }>;
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
  const slice = JSON.parse(__NIGHTSHIFT_CONFIG__) as ConfigSlice & Partial<Pick<NightshiftConfig, 'people'>>;
  const config = deployedConfig(slice, people);
  const known = people?.contacts ? Object.values(people.contacts) : (slice.people ?? []);
  const env = readLambdaEnv(process.env);
  const store = createDynamoStore({
    client: createDocumentClient(),
    // A function bound to one table only has the other's name unset; using it fails with a clear AWS error.
    tables: { events: env.EVENTS_TABLE ?? 'unbound-events-table', state: env.STATE_TABLE ?? 'unbound-state-table' },
  });
  runtime = { config, people: known, env, store, now: Date.now };
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

/**
 * The people this function may know: the directory named by PEOPLE_DIRECTORY_PARAMETER and, for the sender, the
 * contacts named by PEOPLE_CONTACTS_PARAMETER, in one GetParameters call; undefined for a function given neither.
 * The SSM SDK is loaded only by the functions that read them.
 */
export async function readPeople(env: LambdaEnv): Promise<People | undefined> {
  const directoryName = env.PEOPLE_DIRECTORY_PARAMETER;
  if (directoryName === undefined) return undefined;
  const contactsName = env.PEOPLE_CONTACTS_PARAMETER;
  const names = contactsName === undefined ? [directoryName] : [directoryName, contactsName];
  const { GetParametersCommand, SSMClient } = await import('@aws-sdk/client-ssm');
  const out = await new SSMClient({}).send(new GetParametersCommand({ Names: names }));
  if (out.InvalidParameters && out.InvalidParameters.length > 0) {
    throw new EnvironmentError(`SSM parameters not found: ${out.InvalidParameters.join(', ')}`);
  }
  const parameterValue = (name: string): string => {
    const value = out.Parameters?.find((p) => p.Name === name)?.Value;
    if (value === undefined) throw new EnvironmentError(`SSM parameter ${name} has no value`);
    return value;
  };
  const directory = parsePeopleDirectory(parameterValue(directoryName), `parameter ${directoryName}`);
  if (contactsName === undefined) return { directory };
  return { directory, contacts: parsePeopleContacts(parameterValue(contactsName), `parameter ${contactsName}`) };
}

// Once per cold start: module initialization finishes (and the first invocation starts) only after the key is set
// and the people are read.
const coldStartEnv = readLambdaEnv(process.env);
const [pseudonymKeyRead, people] = await Promise.all([readPseudonymKey(coldStartEnv), readPeople(coldStartEnv)]);
setPseudonymKey(pseudonymKeyRead);

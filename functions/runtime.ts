// What every Lambda handler needs, built once per cold start: the config baked into the bundle at synth time,
// the environment and the state store (logs and metrics come from shared/observability, which scrubs personal data).
// Handlers stay adapters of a dozen lines.
// The config is not re-validated here: `cdk synth` validated exactly this JSON before baking it into this bundle,
// and leaving the schema (zod + yaml, ~550 KB) out keeps every bundle far under the cold-start budget.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { createDocumentClient, createDynamoStore } from '#shared/store/dynamodb.ts';
import type { StateStore } from '#shared/store/store.ts';

/** Replaced at bundle time by esbuild's `define` with the validated config as JSON (see infra/nightshift-function.ts). */
declare const __NIGHTSHIFT_CONFIG__: string | undefined;

export interface LambdaEnv {
  EVENTS_TABLE?: string;
  STATE_TABLE?: string;
  DELIVERY_QUEUE_URL?: string;
  SES_CONFIGURATION_SET?: string;
}

export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}

/** Reads the variables the stack sets; a present but empty or malformed one is a deployment error, named. */
export function readLambdaEnv(env: NodeJS.ProcessEnv): LambdaEnv {
  const out: LambdaEnv = {};
  for (const name of ['EVENTS_TABLE', 'STATE_TABLE', 'DELIVERY_QUEUE_URL', 'SES_CONFIGURATION_SET'] as const) {
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

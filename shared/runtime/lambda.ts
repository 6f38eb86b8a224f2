// What every Lambda handler needs, built once per cold start: the config baked into the bundle at synth time,
// the environment (validated), the state store and a logger. Handlers stay adapters of a dozen lines.
import { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { createDocumentClient, createDynamoStore } from '#shared/store/dynamodb.ts';
import type { StateStore } from '#shared/store/store.ts';

/** Replaced at bundle time by esbuild's `define` with the validated config as JSON (see infra/nightshift-function.ts). */
declare const __NIGHTSHIFT_CONFIG__: string | undefined;

const LambdaEnv = z.object({
  EVENTS_TABLE: z.string().min(1).optional(),
  STATE_TABLE: z.string().min(1).optional(),
  DELIVERY_QUEUE_URL: z.url().optional(),
});
export type LambdaEnv = z.infer<typeof LambdaEnv>;

export interface LambdaRuntime {
  config: NightshiftConfig;
  env: LambdaEnv;
  store: StateStore;
  logger: Logger;
  now: () => number;
}

let runtime: LambdaRuntime | undefined;

export function lambdaRuntime(): LambdaRuntime {
  if (runtime) return runtime;
  if (typeof __NIGHTSHIFT_CONFIG__ === 'undefined') {
    throw new Error('no config in this bundle: it must be built by the Nightshift stack (esbuild define)');
  }
  const config = validateConfig(JSON.parse(__NIGHTSHIFT_CONFIG__), 'bundled config');
  const env = LambdaEnv.parse(process.env);
  const store = createDynamoStore({
    client: createDocumentClient(),
    // A function bound to one table only has the other's name unset; using it fails with a clear AWS error.
    tables: { events: env.EVENTS_TABLE ?? 'unbound-events-table', state: env.STATE_TABLE ?? 'unbound-state-table' },
  });
  runtime = { config, env, store, logger: new Logger(), now: Date.now };
  return runtime;
}

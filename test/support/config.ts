// The example config, as tests use it (the same file a new user starts from).
import { loadConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';

let example: NightshiftConfig | undefined;
export function exampleConfig(): NightshiftConfig {
  example ??= loadConfig('nightshift.config.yaml');
  return structuredClone(example);
}

// What each function is given of the config (baked into its bundle) and which people it may read at run time (from
// the PeopleParameters). A section is listed here because the function's code reads it; reading one that is not listed
// fails at run time with a ConfigSliceError naming it (shared/config/slice.ts), so a gap shows up in the handler tests.

import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type ConfigSection, type ConfigSlice, configSlice } from '#shared/config/slice.ts';

/**
 * 'directory': ids, roles, departments, report recipients and plan responders (routing and planning);
 * 'contacts': the directory and everyone's name and address (sending). @default none
 */
export type PeopleAccess = 'directory' | 'contacts';

export interface FunctionConfig {
  readonly sections: readonly ConfigSection[];
  readonly people?: PeopleAccess;
}

/** By function (folder under functions/). */
export const FUNCTION_CONFIG = {
  // Validates and stores events: the local day, the shards, the limits, how many days the rollup recomputes, and the
  // properties the KPI formulas add up (an event holding one as text is quarantined as not_a_number).
  'ingest-events': { sections: ['name', 'timeZone', 'ingest', 'jobs', 'kpis'] },
  // The same checks as ingest-events before it queues, and quarantines refused calls the same way.
  'http-ingest': { sections: ['name', 'timeZone', 'ingest', 'jobs', 'kpis'] },
  // Reads the day's events and computes every KPI (not judged on a closed day: a holiday, or an empty day off).
  'rollup-kpis': { sections: ['name', 'timeZone', 'ingest', 'jobs', 'kpis', 'holidays'] },
  // Judges the KPIs by the alert rules (known holidays out of the deviation baseline) and the expected events (read
  // from the day's shards), routes incidents.
  'detect-anomalies': {
    sections: ['name', 'timeZone', 'ingest', 'jobs', 'kpis', 'alerts', 'holidays', 'responsePlans'],
    people: 'directory',
  },
  // Runs the configured checks and routes their incidents.
  'check-backups': { sections: ['name', 'timeZone', 'checks', 'responsePlans'], people: 'directory' },
  // One delivery message per recipient of the report that is due.
  'plan-reports': { sections: ['name', 'timeZone', 'reports'], people: 'directory' },
  // Judges the job runs against their schedules (reports included; a job with nothing to do under the alerts or
  // checks is not expected) and the queue's silence; routes its incidents.
  watchdog: {
    sections: ['name', 'timeZone', 'jobs', 'reports', 'alerts', 'checks', 'monitoring', 'responsePlans'],
    people: 'directory',
  },
  // Renders reports and alerts for a recipient (their role's scope; a daily report names a holiday) and sends them.
  'send-email': {
    sections: ['name', 'timeZone', 'email', 'kpis', 'alerts', 'checks', 'reports', 'jobs', 'responsePlans', 'holidays'],
    people: 'contacts',
  },
  // Records bounces and complaints by the recipient id SES echoes back; the day is local.
  'email-feedback': { sections: ['name', 'timeZone'] },
} as const satisfies Record<string, FunctionConfig>;

export type FunctionName = keyof typeof FUNCTION_CONFIG;

export class UnknownFunctionError extends Error {
  override name = 'UnknownFunctionError';
}

export function functionConfig(name: string): FunctionConfig {
  const entry = (FUNCTION_CONFIG as Record<string, FunctionConfig>)[name];
  if (!entry) {
    throw new UnknownFunctionError(
      `functions/${name} has no entry in infra/function-config.ts: list the config sections it reads there`,
    );
  }
  return entry;
}

/** The slice baked into the function's bundle. */
export function functionSlice(name: string, config: NightshiftConfig): ConfigSlice {
  return configSlice(config, functionConfig(name).sections);
}

// EventBridge Scheduler (after midnight, config time zone) -> the nightly KPI rollup, recorded as a job run: it reads
// yesterday and the days that received late events, archives them to S3 and merges the weeks and months.
// Invoked with `{"backfill": {"from": "YYYY-MM-DD", "to"?: ..., "kpis"?: [...]}}` it recomputes past days exactly
// from the archive instead (what `nightshift backfill` does on a laptop).

import { lambdaRuntime } from '#functions/runtime.ts';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import { createS3Archive, createS3Client } from '#shared/archive/s3.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { backfill, nightlyRollup } from '#shared/kpi/rollup.ts';
import { observability } from '#shared/observability/observe.ts';
import { parseLocalDate } from '#shared/time/calendar.ts';

let archive: ObjectArchive | undefined;

interface RollupEvent {
  backfill?: { from?: unknown; to?: unknown; kpis?: unknown };
}

export async function handler(event: RollupEvent = {}): Promise<Record<string, unknown>> {
  const { store, config, env, now } = lambdaRuntime();
  if (!env.ARCHIVE_BUCKET) throw new Error('ARCHIVE_BUCKET is not set');
  archive ??= createS3Archive({ client: createS3Client(), bucket: env.ARCHIVE_BUCKET });
  const deps = { store, config, now, archive };
  const b = event.backfill;
  if (b !== undefined) {
    const kpis = Array.isArray(b.kpis) ? b.kpis.map(String) : undefined;
    const options = {
      from: parseLocalDate(String(b.from)),
      ...(typeof b.to === 'string' ? { to: parseLocalDate(b.to) } : {}),
      ...(kpis ? { kpis } : {}),
    };
    return observability(config).job('rollup-kpis', event, () => backfill(deps, options));
  }
  return observability(config).job('rollup-kpis', event, () =>
    recordRun(store, 'rollup-kpis', now, () => nightlyRollup(deps)),
  );
}

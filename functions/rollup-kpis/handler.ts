// EventBridge Scheduler (after midnight, config time zone) -> the nightly KPI rollup, recorded as a job run: it reads
// yesterday and the days that received late events, archives them to S3 and merges the weeks and months.
// Invoked with `{"backfill": {"from": "YYYY-MM-DD", "to"?: ..., "kpis"?: [...]}}` it recomputes past days exactly
// from the archive instead (what `nightshift backfill` does on a laptop).
import * as z from 'zod/mini';
import { LocalDateInput, nightshiftHandler, ScheduledJob, traced } from '#functions/middleware.ts';
import { EnvironmentError } from '#functions/runtime.ts';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import { createS3Archive, createS3Client } from '#shared/archive/s3.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { backfill, nightlyRollup } from '#shared/kpi/rollup.ts';
import { parseLocalDate } from '#shared/time/calendar.ts';

let archive: ObjectArchive | undefined;

const Trigger = z.extend(ScheduledJob, {
  backfill: z.optional(
    z.object({
      from: LocalDateInput,
      to: z.optional(LocalDateInput),
      kpis: z.optional(z.array(z.string())),
    }),
  ),
});

export const handler = nightshiftHandler(Trigger, async (event, { store, config, env, now, obs }) => {
  if (!env.ARCHIVE_BUCKET) throw new EnvironmentError('ARCHIVE_BUCKET is not set');
  archive ??= createS3Archive({ client: traced(createS3Client()), bucket: env.ARCHIVE_BUCKET });
  const deps = { store, config, now, archive };
  const b = event.backfill;
  if (b !== undefined) {
    const to = b.to === undefined ? {} : { to: parseLocalDate(b.to) };
    const options = { from: parseLocalDate(b.from), ...to, ...(b.kpis ? { kpis: b.kpis } : {}) };
    return obs.job('rollup-kpis', event, () => backfill(deps, options));
  }
  return obs.job('rollup-kpis', event, () => recordRun(store, 'rollup-kpis', now, () => nightlyRollup(deps)));
});

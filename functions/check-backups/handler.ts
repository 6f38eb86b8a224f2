// Two triggers, one function:
// - EventBridge Scheduler (nightly at jobs.checksAt, config time zone) -> the backup and data checks, recorded as a
//   job run; results stored for the daily report, a failed check opens an incident routed by the response plans;
// - EventBridge rule on AWS Backup "Restore Job State Change" (a restore test finished) -> the restored table is
//   validated and the verdict reported back to AWS Backup. Not a scheduled run, so not recorded as one.
// Clients are built once per cold start, with one layer of retries: the SDK's.
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod/mini';
import { deliveryQueue, nightshiftHandler, ScheduledJob, traced } from '#functions/middleware.ts';
import { runNightlyChecks, runRestoreValidation } from '#shared/checks/incidents.ts';
import type { RetryOptions } from '#shared/inspection/aws.ts';
import { recordRun } from '#shared/jobs/runs.ts';

/**
 * Attempts per AWS call. The SDK's standard retries (throttling and transient errors, jittered backoff, a retry quota
 * shared by the client) get a nightly job's patience; the checks' own retry makes a single attempt, so the two never
 * multiply (they did: 6 of ours around the SDK's 3, up to 18 requests for one call).
 */
export const SDK_MAX_ATTEMPTS = 6;

export interface CheckClients {
  dynamodb: DynamoDBClient;
  backup: BackupClient;
  retry: RetryOptions;
}

/** The clients the checks call AWS with, and the retry they are given. */
export function checkClients(wrap: <T>(client: T) => T = traced): CheckClients {
  return {
    dynamodb: wrap(new DynamoDBClient({ maxAttempts: SDK_MAX_ATTEMPTS })),
    backup: wrap(new BackupClient({ maxAttempts: SDK_MAX_ATTEMPTS })),
    retry: { attempts: 1 },
  };
}

let clients: CheckClients | undefined;

/** AWS Backup's event for a restore job that changed state (the rule filters on source and detail-type). */
const RestoreJobStateChange = z.looseObject({
  source: z.literal('aws.backup'),
  'detail-type': z.literal('Restore Job State Change'),
  detail: z.looseObject({ restoreJobId: z.string().check(z.minLength(1)) }),
});

/** The restore job of an AWS Backup restore event; undefined for anything else (a schedule's payload). */
export function restoreJobOf(event: unknown): string | undefined {
  const parsed = z.safeParse(RestoreJobStateChange, event);
  return parsed.success ? parsed.data.detail.restoreJobId : undefined;
}

export const handler = nightshiftHandler(
  z.union([RestoreJobStateChange, ScheduledJob]),
  async (event, { store, config, env, now, obs }) => {
    clients ??= checkClients();
    const deps = { ...clients, store, queue: deliveryQueue(env), clock: now };
    const restoreJobId = restoreJobOf(event);
    if (restoreJobId) {
      return obs.job('restore-validation', event, async () => {
        const { result, incidents } = await runRestoreValidation(restoreJobId, config, deps);
        obs.incidents(incidents);
        return { restoreJobId, checkId: result.checkId, status: result.status, summary: result.summary, incidents };
      });
    }
    return obs.job('check-backups', event, () =>
      recordRun(store, 'check-backups', now, async () => {
        const run = await runNightlyChecks(config, deps);
        obs.incidents(run.incidents);
        return {
          status: run.status,
          results: run.results.map((r) => ({ id: r.checkId, status: r.status })),
          incidents: run.incidents,
        };
      }),
    );
  },
);

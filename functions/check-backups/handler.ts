// Two triggers, one function:
// - EventBridge Scheduler (nightly at jobs.checksAt, config time zone) -> the backup and data checks, recorded as a
//   job run; results stored for the daily report, a failed check opens an incident routed by the response plans;
// - EventBridge rule on AWS Backup "Restore Job State Change" (a restore test finished) -> the restored table is
//   validated and the verdict reported back to AWS Backup. Not a scheduled run, so not recorded as one.
// Clients are built once per cold start.
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { lambdaRuntime } from '#functions/runtime.ts';
import { runNightlyChecks, runRestoreValidation } from '#shared/checks/incidents.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { observability } from '#shared/observability/observe.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import { createSqsQueue } from '#shared/queue/sqs-queue.ts';

const dynamodb = new DynamoDBClient({});
const backup = new BackupClient({});
let queue: DeliveryQueue | undefined;

/** The AWS Backup event of a restore job that changed state; undefined for anything else. */
export function restoreJobOf(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const e = event as { source?: unknown; 'detail-type'?: unknown; detail?: { restoreJobId?: unknown } };
  if (e.source !== 'aws.backup' || e['detail-type'] !== 'Restore Job State Change') return undefined;
  const id = e.detail?.restoreJobId;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

export async function handler(event: unknown = {}): Promise<Record<string, unknown>> {
  const { store, config, env, now } = lambdaRuntime();
  const obs = observability(config);
  if (!env.DELIVERY_QUEUE_URL) throw new Error('DELIVERY_QUEUE_URL is not set');
  queue ??= createSqsQueue(env.DELIVERY_QUEUE_URL);
  const deps = { dynamodb, backup, store, queue, clock: now };

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
}

// EventBridge Scheduler (nightly at jobs.checksAt, config time zone) -> the backup and data checks, recorded as a
// job run; the results are stored for the daily report. Clients are built once per cold start.
import { BackupClient } from '@aws-sdk/client-backup';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runChecks } from '#shared/checks/run.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { observability } from '#shared/observability/observe.ts';
import { lambdaRuntime } from '#shared/runtime/lambda.ts';

const dynamodb = new DynamoDBClient({});
const backup = new BackupClient({});

export async function handler(event: unknown = {}): Promise<Record<string, unknown>> {
  const { store, config, now } = lambdaRuntime();
  return observability(config).job('checks', event, () =>
    recordRun(store, 'checks', now, async () => {
      const run = await runChecks(config, { dynamodb, backup, store, clock: now });
      return { status: run.status, results: run.results.map((r) => ({ id: r.checkId, status: r.status })) };
    }),
  );
}

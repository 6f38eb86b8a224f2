// DynamoDB point-in-time recovery: enabled, and the latest restorable time is recent (DynamoDB keeps it within
// about five minutes of now; a lag beyond the limit means continuous backups have stalled).
import { DescribeContinuousBackupsCommand } from '@aws-sdk/client-dynamodb';
import type { BackupCheck } from '#shared/config/schema.ts';
import { type DynamoDBLike, isNamed, type RetryOptions, withRetries } from '#shared/inspection/aws.ts';
import { type CheckResult, Findings, iso, MINUTE_MS, round } from './result.ts';

export type PitrCheck = Extract<BackupCheck, { kind: 'dynamodb_pitr' }>;

export interface PitrDeps {
  dynamodb: DynamoDBLike;
  clock: () => number;
  retry?: RetryOptions;
}

export async function checkPitr(check: PitrCheck, deps: PitrDeps): Promise<CheckResult> {
  const started = performance.now();
  const findings = new Findings();
  const done = (pass: string) => findings.result(check.id, check.kind, pass, Math.round(performance.now() - started));
  findings.set({ table: check.table });

  let description: Awaited<ReturnType<typeof describe>>;
  try {
    description = await describe(check, deps);
  } catch (error) {
    if (!isNamed(error, 'TableNotFoundException', 'ResourceNotFoundException')) throw error;
    findings.fail(`table ${check.table} does not exist`);
    return done('');
  }
  const pitr = description?.PointInTimeRecoveryDescription;
  findings.set({ pitrStatus: pitr?.PointInTimeRecoveryStatus ?? 'DISABLED' });
  if (pitr?.PointInTimeRecoveryStatus !== 'ENABLED') {
    findings.fail(`point-in-time recovery is not enabled on ${check.table}`);
    return done('');
  }

  const latest = pitr.LatestRestorableDateTime?.getTime();
  findings.set({
    recoveryPeriodDays: pitr.RecoveryPeriodInDays ?? 35,
    earliestRestorable: iso(pitr.EarliestRestorableDateTime),
    latestRestorable: iso(latest),
  });
  if (latest === undefined) {
    findings.fail(`point-in-time recovery on ${check.table} reports no restorable time yet`);
    return done('');
  }
  const lagMinutes = Math.max(0, (deps.clock() - latest) / MINUTE_MS);
  findings.set({ lagMinutes: round(lagMinutes, 1) });
  if (lagMinutes > check.maxLagMinutes) {
    findings.fail(
      `latest restorable time of ${check.table} is ${round(lagMinutes, 0)} min old (limit ${check.maxLagMinutes} min)`,
    );
  }
  return done(`point-in-time recovery of ${check.table} is on, restorable to ${round(lagMinutes, 0)} min ago`);
}

async function describe(check: PitrCheck, deps: PitrDeps) {
  const out = await withRetries(
    () => deps.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: check.table })),
    deps.retry,
  );
  return out.ContinuousBackupsDescription;
}

// Restore validation for AWS Backup restore testing: when a test restore of a DynamoDB table completes, count the
// restored table's items against the source (within a tolerance: the source kept changing after the backup) and
// compare a sample of items with the source, then report the verdict back (PutRestoreValidationResult).
import { DescribeRestoreJobCommand, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { type AttributeValue, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import {
  type BackupLike,
  type DynamoDBLike,
  describeLiveTable,
  type RetryOptions,
  tableNameOf,
  withRetries,
} from '#shared/inspection/aws.ts';
import { type CheckResult, Findings, round } from './result.ts';

export interface RestoreValidationInput {
  checkId: string;
  /** The table the test restore created. */
  restoredTable: string;
  /** The protected table it was restored from. */
  sourceTable: string;
  /** Largest accepted difference of item counts, in percent of the source's count. */
  countTolerancePct: number;
  /** Items read from the restored table and compared with the source by key. */
  sampleSize: number;
}

export interface RestoreDeps {
  dynamodb: DynamoDBLike;
  retry?: RetryOptions;
  /** Parallel scan segments for counting the restored table (default 4). */
  segments?: number;
}

/** The share of sampled items that may differ from the source (changed since the backup) before it is a failure. */
const MAX_SAMPLE_DIFFERENT = 0.5;

export async function validateRestoredTable(input: RestoreValidationInput, deps: RestoreDeps): Promise<CheckResult> {
  const started = performance.now();
  const findings = new Findings();
  const done = (pass: string) =>
    findings.result(input.checkId, 'restore_validation', pass, Math.round(performance.now() - started));
  findings.set({ table: input.sourceTable, restoredTable: input.restoredTable });

  const [source, restored] = await Promise.all([
    describeLiveTable(deps.dynamodb, input.sourceTable, deps.retry),
    describeLiveTable(deps.dynamodb, input.restoredTable, deps.retry),
  ]);
  if (!restored) {
    findings.fail(`restored table ${input.restoredTable} does not exist`);
    return done('');
  }
  if (!source) {
    findings.fail(`source table ${input.sourceTable} does not exist`);
    return done('');
  }

  // The restored table is counted exactly (its DescribeTable count is not refreshed for hours after a restore);
  // the source's estimate is good enough to compare with, and counting it would read the production table.
  const restoredItems = await countItems(deps, input.restoredTable);
  const sourceItems = source.items ?? 0;
  findings.set({ restoredItems, sourceItems });
  if (restoredItems === 0 && sourceItems > 0) {
    findings.fail(`restored table ${input.restoredTable} is empty while ${input.sourceTable} has ${sourceItems} items`);
    return done('');
  }
  if (sourceItems > 0) {
    const diffPct = (Math.abs(restoredItems - sourceItems) / sourceItems) * 100;
    findings.set({ countDiffPct: round(diffPct, 2) });
    if (diffPct > input.countTolerancePct) {
      findings.fail(
        `restored table has ${restoredItems} items, ${input.sourceTable} about ${sourceItems}: ${round(diffPct, 1)}% apart (limit ${input.countTolerancePct}%)`,
      );
    }
  } else if (restoredItems > 0) {
    findings.warn(`${input.sourceTable} reports no item count yet, so the restored count could not be compared`);
  }

  const sample = await compareSample(deps, input, source.keyAttributes);
  findings.set({ sampled: sample.sampled, sampleEqual: sample.equal, sampleDifferent: sample.different });
  if (sample.different > 0) {
    const message = `${sample.different} of ${sample.sampled} sampled items differ from ${input.sourceTable} or are gone from it`;
    if (sample.different > sample.sampled * MAX_SAMPLE_DIFFERENT) findings.fail(message);
    else findings.warn(`${message} (changed since the backup?)`);
  }
  return done(
    `restore of ${input.sourceTable} holds ${restoredItems} items and ${sample.equal} of ${sample.sampled} sampled items equal the source`,
  );
}

export interface RestoreJobDeps extends RestoreDeps {
  backup: BackupLike;
}

/**
 * Validates the table a restore testing job created and reports the verdict to AWS Backup. The handler calls it
 * for the EventBridge "Restore Job State Change" event of a completed restore test (`detail.restoreJobId`).
 * Limits come from the `aws_backup` check of the source table; the result's checkId is `<that check's id>_restore`.
 */
export async function validateRestoreJob(
  restoreJobId: string,
  config: Pick<NightshiftConfig, 'checks'>,
  deps: RestoreJobDeps,
): Promise<CheckResult> {
  const job = await withRetries(
    () => deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: restoreJobId })),
    deps.retry,
  );
  const sourceTable = tableNameOf(job.SourceResourceArn ?? '');
  const check = config.checks.backups.find(
    (c): c is Extract<typeof c, { kind: 'aws_backup' }> =>
      c.kind === 'aws_backup' && tableNameOf(c.table) === sourceTable,
  );
  const checkId = `${check?.id ?? (sourceTable || 'unknown')}_restore`;

  let result: CheckResult;
  if (job.Status !== 'COMPLETED' || !job.CreatedResourceArn || !sourceTable) {
    const why = job.Status !== 'COMPLETED' ? `ended ${job.Status}` : 'names no restored or source table';
    result = {
      checkId,
      kind: 'restore_validation',
      status: 'fail',
      summary: `restore job ${restoreJobId} ${why}${job.StatusMessage ? `: ${job.StatusMessage}` : ''}`,
      figures: { restoreJobId, table: sourceTable || 'unknown' },
      durationMs: 0,
      problems: [`restore job ${restoreJobId} ${why}`],
    };
    return result;
  }
  result = await validateRestoredTable(
    {
      checkId,
      restoredTable: tableNameOf(job.CreatedResourceArn),
      sourceTable,
      countTolerancePct: check?.restoreCountTolerancePct ?? 5,
      sampleSize: check?.restoreSampleSize ?? 20,
    },
    deps,
  );
  result.figures.restoreJobId = restoreJobId;
  await withRetries(
    () =>
      deps.backup.send(
        new PutRestoreValidationResultCommand({
          RestoreJobId: restoreJobId,
          ValidationStatus: result.status === 'fail' ? 'FAILED' : 'SUCCESSFUL',
          ValidationStatusMessage: result.summary.slice(0, 1000),
        }),
      ),
    deps.retry,
  );
  return result;
}

async function countItems(deps: RestoreDeps, table: string): Promise<number> {
  const segments = deps.segments ?? 4;
  const counts = await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      let count = 0;
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await withRetries(
          () =>
            deps.dynamodb.send(
              new ScanCommand({
                TableName: table,
                Select: 'COUNT',
                Segment: segment,
                TotalSegments: segments,
                ExclusiveStartKey: start,
              }),
            ),
          deps.retry,
        );
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start);
      return count;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function compareSample(
  deps: RestoreDeps,
  input: RestoreValidationInput,
  keyAttributes: string[],
): Promise<{ sampled: number; equal: number; different: number }> {
  if (input.sampleSize <= 0) return { sampled: 0, equal: 0, different: 0 };
  const page = await withRetries(
    () => deps.dynamodb.send(new ScanCommand({ TableName: input.restoredTable, Limit: input.sampleSize })),
    deps.retry,
  );
  const items = page.Items ?? [];
  const verdicts = await Promise.all(
    items.map(async (item) => {
      const Key = Object.fromEntries(keyAttributes.map((k) => [k, item[k]!]));
      const out = await withRetries(
        () => deps.dynamodb.send(new GetItemCommand({ TableName: input.sourceTable, Key })),
        deps.retry,
      );
      return out.Item !== undefined && canonical({ M: out.Item }) === canonical({ M: item });
    }),
  );
  const equal = verdicts.filter(Boolean).length;
  return { sampled: items.length, equal, different: items.length - equal };
}

/** A stable text form of an attribute value: map keys sorted, set members sorted, binary as base64. */
export function canonical(value: AttributeValue): string {
  if (value.M) {
    const entries = Object.keys(value.M)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value.M![k]!)}`);
    return `{${entries.join(',')}}`;
  }
  if (value.L) return `[${value.L.map(canonical).join(',')}]`;
  if (value.SS) return `SS${JSON.stringify([...value.SS].sort())}`;
  if (value.NS) return `NS${JSON.stringify([...value.NS].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b)))}`;
  if (value.BS) return `BS${JSON.stringify(value.BS.map((b) => Buffer.from(b).toString('base64')).sort())}`;
  if (value.B) return `B${Buffer.from(value.B).toString('base64')}`;
  if (value.N !== undefined) return `N${value.N}`;
  if (value.S !== undefined) return `S${JSON.stringify(value.S)}`;
  if (value.BOOL !== undefined) return `BOOL${value.BOOL}`;
  if (value.NULL) return 'NULL';
  return JSON.stringify(value);
}

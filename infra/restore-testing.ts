// AWS Backup restore testing for the `aws_backup` checks with `restoreTest: true`: a restore testing plan per check
// that restores the table's latest recovery point from the check's vault every night, after the checks; and the
// EventBridge rule that hands each finished test restore to check-backups, which validates the restored table
// (shared/checks/restore.ts) and reports the verdict back to AWS Backup before the restored table is deleted.
import { ArnFormat, Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BackupCheck, NightshiftConfig } from '#shared/config/schema.ts';
import { dailyAt } from './nightly-jobs.ts';
import type { NightshiftFunction } from './nightshift-function.ts';

export type RestoreTestedCheck = Extract<BackupCheck, { kind: 'aws_backup' }>;

/**
 * The name restore testing gives a restored DynamoDB table: this prefix and a random suffix (its "inferred
 * metadata" `targetTableName`, which a selection cannot override). The only handle on the restored tables' ARNs.
 */
export const RESTORED_TABLE_PREFIX = 'awsbackup-restore-test-';

/**
 * The tests start this long after `jobs.checksAt`: the checks have judged the newest recovery point by then, so the
 * test restores the one they passed, and its result is stored under the same local date for the morning report.
 */
export const RESTORE_TEST_DELAY_MINUTES = 60;

/** A test that cannot start within this many hours of its scheduled time is cancelled: the next night tries again. */
export const START_WINDOW_HOURS = 2;

/**
 * Hours the restored table is kept for validation; AWS Backup deletes it when check-backups reports a verdict, at
 * the latest when the window closes. It covers the event's delivery (AWS Backup emits best effort, within minutes),
 * the rule's retries (up to RULE_MAX_EVENT_AGE), Lambda's asynchronous retries (up to an hour with the default
 * `jobs.graceMinutes`) and three attempts of the 15-minute validation: about 2.5 hours at worst. Keeping a table a
 * few hours more costs next to nothing (storage is billed per GB-month).
 */
export const VALIDATION_WINDOW_HOURS = 4;

/** How long EventBridge keeps retrying to deliver a restore event: well within the validation window. */
export const RULE_MAX_EVENT_AGE = Duration.hours(1);

/** The checks that get a restore test. */
export function restoreTestedChecks(config: NightshiftConfig): RestoreTestedCheck[] {
  return config.checks.backups.filter((c): c is RestoreTestedCheck => c.kind === 'aws_backup' && c.restoreTest);
}

export interface RestoreTestingProps {
  readonly config: NightshiftConfig;
  /** The check-backups function: it validates the restored tables. */
  readonly validator: NightshiftFunction;
  /** Where restore events go that could not be delivered or whose validation failed for good (the jobs DLQ). */
  readonly deadLetterQueue: sqs.IQueue;
}

export class RestoreTesting extends Construct {
  /** One per restore-tested check, by check id. */
  public readonly plans: Readonly<Record<string, backup.CfnRestoreTestingPlan>>;
  public readonly selections: Readonly<Record<string, backup.CfnRestoreTestingSelection>>;
  /** Assumed by AWS Backup for the test restores. */
  public readonly restoreRole: iam.Role;
  /** Finished restore jobs of the plans above → check-backups. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: RestoreTestingProps) {
    super(scope, id);
    const { config, validator } = props;
    const checks = restoreTestedChecks(config);
    if (checks.length === 0) throw new Error('RestoreTesting needs an aws_backup check with restoreTest: true');
    const stack = Stack.of(this);
    const sourceTables = [...new Set(checks.map((c) => tableArn(stack, c.table)))];
    const restoredTables = tableArn(stack, `${RESTORED_TABLE_PREFIX}*`);

    this.restoreRole = new iam.Role(this, 'RestoreRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      description: `${config.name}: AWS Backup restore tests of the checked DynamoDB tables`,
    });
    const restorePolicy = this.restorePolicy(sourceTables, restoredTables);

    const plans: Record<string, backup.CfnRestoreTestingPlan> = {};
    const selections: Record<string, backup.CfnRestoreTestingSelection> = {};
    const schedule = dailyAt(laterBy(config.jobs.checksAt, RESTORE_TEST_DELAY_MINUTES));
    for (const check of checks) {
      // A plan per check: its vault and its selection window are the check's own.
      const plan = new backup.CfnRestoreTestingPlan(this, `Plan-${check.id}`, {
        restoreTestingPlanName: restoreTestingName(`${config.name}_${check.id}`),
        scheduleExpression: schedule,
        scheduleExpressionTimezone: config.timeZone,
        startWindowHours: START_WINDOW_HOURS,
        recoveryPointSelection: {
          algorithm: 'LATEST_WITHIN_WINDOW',
          includeVaults: [vaultArn(stack, check.vault)],
          // AWS Backup keeps DynamoDB backups as snapshots only (continuous backup is for RDS, Aurora, S3, SAP HANA).
          recoveryPointTypes: ['SNAPSHOT'],
          // A recovery point older than the RPO fails the nightly check; the test restores the newest within it.
          selectionWindowDays: Math.max(1, Math.ceil(check.rpoHours / 24)),
        },
      });
      const selection = new backup.CfnRestoreTestingSelection(this, `Selection-${check.id}`, {
        restoreTestingPlanName: plan.ref,
        restoreTestingSelectionName: restoreTestingName(check.id),
        protectedResourceType: 'DynamoDB',
        protectedResourceArns: [tableArn(stack, check.table)],
        iamRoleArn: this.restoreRole.roleArn,
        validationWindowHours: VALIDATION_WINDOW_HOURS,
      });
      // A test starting before the role may restore would fail for nothing.
      selection.node.addDependency(restorePolicy);
      plans[check.id] = plan;
      selections[check.id] = selection;
    }
    this.plans = plans;
    this.selections = selections;

    // Only restore jobs these plans started: restoreTestingPlanArn is set on test restores only, so an operator's
    // own restore (which must not get a validation result) never reaches the validator. FAILED and ABORTED are
    // passed on too: a test restore that does not complete is a failed check.
    this.rule = new events.Rule(this, 'RestoreJobRule', {
      description: `${config.name}: finished AWS Backup restore tests → check-backups validates the restored table`,
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: {
          status: ['COMPLETED', 'FAILED', 'ABORTED'],
          restoreTestingPlanArn: Object.values(plans).map((p) => p.attrRestoreTestingPlanArn),
        },
      },
    });
    // The event as is (the handler reads detail.restoreJobId); like the Scheduler targets, undeliverable events go
    // to the jobs DLQ, and so do validations that fail after Lambda's retries (the function's async config).
    this.rule.addTarget(
      new targets.LambdaFunction(validator.fn, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 5,
        maxEventAge: RULE_MAX_EVENT_AGE,
      }),
    );
    this.grantValidation(validator, sourceTables, restoredTables);
  }

  /**
   * The DynamoDB part of AWSBackupServiceRolePolicyForRestores (statements DynamoDBPermissions,
   * DynamoDBBackupResourcePermissions, DynamoDBRestorePermissions, KMS*), narrowed to the checked tables' backups and
   * the restored tables, instead of the managed policy, which may also create and delete EC2, RDS, EFS, FSx, EKS and
   * Redshift resources. Deleting the restored table after the test is not this role's business: AWS Backup does it
   * with its service-linked role AWSServiceRoleForBackupRestoreTesting.
   */
  private restorePolicy(sourceTables: string[], restoredTables: string): iam.Policy {
    const stack = Stack.of(this);
    const keys = stack.formatArn({ service: 'kms', resource: 'key', resourceName: '*' });
    const policy = new iam.Policy(this, 'RestorePolicy', {
      roles: [this.restoreRole],
      statements: [
        // Recovery points without AWS Backup's advanced features are DynamoDB backups of the source table.
        new iam.PolicyStatement({
          actions: ['dynamodb:RestoreTableFromBackup'],
          resources: sourceTables.map((t) => `${t}/backup/*`),
        }),
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: sourceTables }),
        // Recovery points with advanced features are restored by DynamoDB into the new table; then written to.
        new iam.PolicyStatement({
          actions: [
            'dynamodb:RestoreTableFromAwsBackup',
            'dynamodb:DescribeTable',
            'dynamodb:Scan',
            'dynamodb:Query',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchWriteItem',
          ],
          resources: [restoredTables],
        }),
        // The vault's key (AWS-managed aws/backup or the vault's own): described, otherwise used through DynamoDB only.
        new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [keys] }),
        new iam.PolicyStatement({
          actions: [
            'kms:Decrypt',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
          ],
          resources: [keys],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          actions: ['kms:CreateGrant'],
          resources: [keys],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }),
      ],
    });
    Validations.of(policy).acknowledge(
      ...sourceTables.map((t) => ({
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack, `${t}/backup/*`)}]`,
        reason: 'DynamoDB backups of the tested table are named by their creation at run time; only its own backups.',
      })),
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack, restoredTables)}]`,
        reason: `Restore testing names the restored table ${RESTORED_TABLE_PREFIX}<random>: the prefix is all that is known.`,
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack, keys)}]`,
        reason:
          'The vault key is not in the config (aws/backup by default): keys of this account only, used through ' +
          'DynamoDB only (kms:ViaService), grants for AWS resources only; DescribeKey reads metadata.',
      },
    );
    return policy;
  }

  /**
   * check-backups reads the restored tables (count and sample), looks the sampled items up in the source, and reads
   * the restore job and reports its verdict (only where restore tests exist).
   */
  private grantValidation(fn: NightshiftFunction, sourceTables: string[], restoredTables: string): void {
    const stack = Stack.of(this);
    const policy = new iam.Policy(this, 'ValidatorPolicy', {
      roles: [fn.role],
      statements: [
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable', 'dynamodb:Scan'], resources: [restoredTables] }),
        new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable', 'dynamodb:GetItem'], resources: sourceTables }),
        new iam.PolicyStatement({
          actions: ['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagResource(stack, restoredTables)}]`,
        reason:
          `Restore testing names the restored table ${RESTORED_TABLE_PREFIX}<random>, known only from the restore ` +
          'job: read-only, on tables of that prefix in this account and region.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The restore job id arrives with the event, so the job is not known at deploy time: describe it and ' +
          'report its validation result, nothing else.',
      },
    );
  }
}

/** A table name or ARN from the config → its ARN. */
function tableArn(stack: Stack, table: string): string {
  if (table.startsWith('arn:')) return table;
  return stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: table });
}

/** A vault name or ARN from the config → its ARN. */
function vaultArn(stack: Stack, vault: string): string {
  if (vault.startsWith('arn:')) return vault;
  return stack.formatArn({
    service: 'backup',
    resource: 'backup-vault',
    resourceName: vault,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Restore testing plan and selection names: letters, digits and underscores, at most 50. */
export function restoreTestingName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 50);
}

/** 'HH:MM' plus `minutes`, wrapping past midnight. */
export function laterBy(at: string, minutes: number): string {
  const match = /^(\d{2}):(\d{2})$/.exec(at);
  if (!match) throw new Error(`expected a time as "HH:MM", got '${at}'`);
  const total = (Number(match[1]) * 60 + Number(match[2]) + minutes) % (24 * 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}

/**
 * A resource as cdk-nag names it in an IAM5 finding (`AwsSolutions-IAM5[Resource::<this>]`): the resolved ARN with
 * each `{ Ref: X }` written `<X>`, so `arn:<AWS::Partition>:dynamodb:<AWS::Region>:...` without an environment.
 */
function nagResource(stack: Stack, arn: string): string {
  const visit = (node: unknown): string => {
    if (typeof node === 'string') return node;
    if (typeof node === 'object' && node !== null) {
      if ('Fn::Join' in node) {
        const [delimiter, parts] = node['Fn::Join'] as [string, unknown[]];
        return parts.map(visit).join(delimiter);
      }
      if ('Ref' in node) return `<${String(node.Ref)}>`;
    }
    return JSON.stringify(node);
  };
  return visit(stack.resolve(arn));
}

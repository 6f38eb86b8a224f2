// AWS Backup restore testing for the `restoreTest` checks: the plan and selection, the role AWS Backup restores with,
// the rule that hands finished test restores to check-backups, and what check-backups may read of the restored tables.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { laterBy, RESTORED_TABLE_PREFIX, restoreTestingName } from '#infra/restore-testing.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { exampleConfig } from '../support/config.ts';
import { actionsOf, logicalId, roleStatements, type Statement, synthesize } from './support.ts';

const { stack, template } = synthesize();
const restoreTesting = () => stack.restoreTesting!;
const checkBackups = () => stack.jobs.functions['check-backups']!;

/** `arn:${Partition}:<service>:${Region}:${AccountId}:<resource>` as formatArn renders it. */
const arnOf = (service: string, resource: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      resource,
    ],
  ],
});
const ordersArn = arnOf('dynamodb', ':table/orders');
const restoredArn = arnOf('dynamodb', `:table/${RESTORED_TABLE_PREFIX}*`);

/** The stack's rules on AWS Backup events (mail feedback has its own rule, on SES events). */
const backupRules = (t: Template, count: number) =>
  t.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.backup'] } }, count);

const on = (statements: Statement[], resource: unknown) =>
  statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(resource)).flatMap(actionsOf);

function nagFindings(s: typeof stack): string[] {
  return new AwsSolutionsChecks()
    .validateScope(s)
    .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

describe('with the example config (orders_vault has restoreTest: true)', () => {
  it('one restore testing plan: daily an hour after jobs.checksAt, local time, latest snapshot of the check’s vault', () => {
    template.resourceCountIs('AWS::Backup::RestoreTestingPlan', 1);
    template.hasResourceProperties('AWS::Backup::RestoreTestingPlan', {
      RestoreTestingPlanName: 'nightshift_orders_vault',
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      StartWindowHours: 2,
      RecoveryPointSelection: {
        Algorithm: 'LATEST_WITHIN_WINDOW',
        IncludeVaults: [arnOf('backup', ':backup-vault:Default')],
        RecoveryPointTypes: ['SNAPSHOT'],
        // rpoHours 26: the newest recovery point within two days.
        SelectionWindowDays: 2,
      },
    });
  });

  it('one selection: the orders table, restored with the restore role, kept 4 hours for validation', () => {
    const plan = logicalId(restoreTesting().plans.orders_vault!);
    template.resourceCountIs('AWS::Backup::RestoreTestingSelection', 1);
    template.hasResourceProperties('AWS::Backup::RestoreTestingSelection', {
      RestoreTestingPlanName: { Ref: plan },
      RestoreTestingSelectionName: 'orders_vault',
      ProtectedResourceType: 'DynamoDB',
      ProtectedResourceArns: [ordersArn],
      IamRoleArn: { 'Fn::GetAtt': [logicalId(restoreTesting().restoreRole), 'Arn'] },
      ValidationWindowHours: 4,
      RestoreMetadataOverrides: Match.absent(),
    });
  });

  it('only AWS Backup may assume the restore role; it restores the checked table’s backups into restore-test tables only', () => {
    const role = logicalId(restoreTesting().restoreRole);
    const resource = template.toJSON().Resources[role];
    expect(resource.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } },
    ]);
    expect(resource.Properties.ManagedPolicyArns).toBeUndefined();

    const statements = roleStatements(template, role);
    expect(on(statements, arnOf('dynamodb', ':table/orders/backup/*'))).toEqual(['dynamodb:RestoreTableFromBackup']);
    expect(on(statements, ordersArn)).toEqual(['dynamodb:DescribeTable']);
    expect(on(statements, restoredArn)).toEqual(
      expect.arrayContaining(['dynamodb:RestoreTableFromAwsBackup', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem']),
    );
    // Nothing else of DynamoDB, and no table it could delete.
    const dynamodb = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamodb.map((s) => JSON.stringify(s.Resource)).sort()).toEqual(
      [ordersArn, arnOf('dynamodb', ':table/orders/backup/*'), restoredArn].map((r) => JSON.stringify(r)).sort(),
    );
    expect(statements.flatMap(actionsOf)).not.toContain('dynamodb:DeleteTable');
    // KMS (the vault's key) through DynamoDB only.
    const kms = statements.filter((s) => actionsOf(s).includes('kms:Decrypt'));
    expect(kms).toEqual([
      expect.objectContaining({
        Condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          },
        },
      }),
    ]);
  });

  it('the selection waits for the restore role’s policy', () => {
    const selection = logicalId(restoreTesting().selections.orders_vault!);
    const [policy] = Object.keys(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalId(restoreTesting().restoreRole) }] },
      }),
    );
    expect(template.toJSON().Resources[selection].DependsOn).toContain(policy);
  });

  it('a rule sends the plan’s finished restore jobs, as they are, to check-backups, with retries and the jobs DLQ', () => {
    backupRules(template, 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.backup'],
        'detail-type': ['Restore Job State Change'],
        detail: {
          status: ['COMPLETED', 'FAILED', 'ABORTED'],
          restoreTestingPlanArn: [
            { 'Fn::GetAtt': [logicalId(restoreTesting().plans.orders_vault!), 'RestoreTestingPlanArn'] },
          ],
        },
      },
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: { 'Fn::GetAtt': [logicalId(checkBackups().fn), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.jobs.deadLetterQueue), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
          Input: Match.absent(),
          InputPath: Match.absent(),
          InputTransformer: Match.absent(),
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [logicalId(checkBackups().fn), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(restoreTesting().rule), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [logicalId(restoreTesting().rule), 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('check-backups may count and sample the restored tables, look items up in the source and report the verdict', () => {
    const statements = roleStatements(template, logicalId(checkBackups().role));
    expect(on(statements, restoredArn).sort()).toEqual(['dynamodb:DescribeTable', 'dynamodb:Scan']);
    const onOrders = statements.filter((s) => JSON.stringify(s.Resource).includes(':table/orders"')).flatMap(actionsOf);
    expect(onOrders).toEqual(expect.arrayContaining(['dynamodb:DescribeTable', 'dynamodb:GetItem']));
    // Read-only on the restored tables; the restore job actions granted once, only where restore tests exist.
    const all = statements.flatMap(actionsOf);
    for (const action of ['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult']) {
      expect(
        all.filter((a) => a === action),
        action,
      ).toHaveLength(1);
    }
  });

  it('cdk-nag finds nothing unacknowledged', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('other configs', () => {
  const withoutRestoreTests = (): NightshiftConfig => {
    const config = exampleConfig();
    for (const check of config.checks.backups) if (check.kind === 'aws_backup') check.restoreTest = false;
    return config;
  };

  it('without a restoreTest check the stack has no plan, selection, rule or restored-table permissions', () => {
    const bare = synthesize({ config: withoutRestoreTests() });
    expect(bare.stack.restoreTesting).toBeUndefined();
    for (const type of ['AWS::Backup::RestoreTestingPlan', 'AWS::Backup::RestoreTestingSelection']) {
      bare.template.resourceCountIs(type, 0);
    }
    backupRules(bare.template, 0);
    expect(JSON.stringify(bare.template.toJSON())).not.toContain(RESTORED_TABLE_PREFIX);
    expect(JSON.stringify(bare.template.toJSON())).not.toContain('backup:PutRestoreValidationResult');
    bare.template.resourcePropertiesCountIs('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com' }, 0);
  });

  it('without the check-backups handler there is nothing to validate, so no restore tests either', () => {
    const partial = synthesize({ hasHandler: (name) => name !== 'check-backups' });
    expect(partial.stack.restoreTesting).toBeUndefined();
    partial.template.resourceCountIs('AWS::Backup::RestoreTestingPlan', 0);
    backupRules(partial.template, 0);
  });

  it('a plan per restore-tested check, each on its own vault; one rule for all of them; cdk-nag still clean', () => {
    const config = exampleConfig();
    config.name = 'night-shift';
    config.jobs.checksAt = '23:30';
    const payments = config.checks.backups.find((c) => c.id === 'payments_vault');
    if (payments?.kind !== 'aws_backup') throw new Error('example config changed: payments_vault');
    payments.restoreTest = true;
    payments.vault = 'Payments';
    payments.rpoHours = 72;
    const two = synthesize({ config });
    const plans = Object.values(two.template.findResources('AWS::Backup::RestoreTestingPlan')).map((p) => p.Properties);
    expect(
      plans.map((p) => [p.RestoreTestingPlanName, p.ScheduleExpression, p.RecoveryPointSelection.SelectionWindowDays]),
    ).toEqual([
      ['night_shift_orders_vault', 'cron(30 0 * * ? *)', 2],
      ['night_shift_payments_vault', 'cron(30 0 * * ? *)', 3],
    ]);
    expect(plans[1]!.RecoveryPointSelection.IncludeVaults).toEqual([arnOf('backup', ':backup-vault:Payments')]);
    two.template.resourceCountIs('AWS::Backup::RestoreTestingSelection', 2);
    two.template.hasResourceProperties('AWS::Backup::RestoreTestingSelection', {
      ProtectedResourceArns: [arnOf('dynamodb', ':table/payments')],
    });
    const [rule] = Object.values(
      two.template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.backup'] } } }),
    );
    expect(rule!.Properties.EventPattern.detail.restoreTestingPlanArn).toHaveLength(2);
    expect(nagFindings(two.stack)).toEqual([]);
  });
});

describe('helpers', () => {
  it('laterBy adds minutes to a local time, wrapping past midnight', () => {
    expect(laterBy('02:00', 60)).toBe('03:00');
    expect(laterBy('23:30', 60)).toBe('00:30');
    expect(laterBy('09:45', 30)).toBe('10:15');
  });

  it('restore testing names keep letters, digits and underscores, at most 50', () => {
    expect(restoreTestingName('night-shift.prod_orders')).toBe('night_shift_prod_orders');
    expect(restoreTestingName('x'.repeat(60))).toHaveLength(50);
  });
});

import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../support/config.ts';
import { actionsOf, logicalId, roleStatements, synthesize } from './support.ts';

// One synthesis for the file: the example config with a distinctive ingest batch, every optional handler present.
const config = exampleConfig();
config.ingest.batchSize = 37;
config.ingest.batchWindowSeconds = 7;
const { stack, template } = synthesize({ config });
const eventsTable = logicalId(stack.tables.events);
const stateTable = logicalId(stack.tables.state);

describe('state tables', () => {
  it('both tables are pk/sk strings, on demand, with PITR, TTL on ttl, deletion protection and AWS-managed keys', () => {
    const tables = template.findResources('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
      },
    });
    expect(Object.keys(tables).sort()).toEqual([eventsTable, stateTable].sort());
  });

  it('both tables are retained when the stack is deleted or the table replaced', () => {
    for (const id of [eventsTable, stateTable]) {
      expect(template.toJSON().Resources[id]).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });
});

describe('event ingestion', () => {
  it('the events queue moves a message to its dead-letter queue after 5 receives; the DLQ keeps it 14 days', () => {
    const dlq = logicalId(stack.ingestion.deadLetterQueue);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(template.toJSON().Resources[dlq].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('every queue is encrypted and refuses requests without TLS', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    for (const queue of Object.values(queues)) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = template.findResources('AWS::SQS::QueuePolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
    });
    expect(Object.keys(policies)).toHaveLength(Object.keys(queues).length);
  });

  it("ingest-events reads the events queue in the config's batches and reports partial batch failures", () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.ingestion.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.ingestion.ingest.fn) },
      BatchSize: 37,
      MaximumBatchingWindowInSeconds: 7,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('ingest-events may read and write the events table and cannot touch the state table', () => {
    const statements = roleStatements(template, logicalId(stack.ingestion.ingest.role));
    expect(JSON.stringify(statements)).toContain(eventsTable);
    expect(JSON.stringify(statements)).not.toContain(stateTable);
    expect(statements.flatMap(actionsOf)).toContain('dynamodb:BatchWriteItem');
    const env = template.toJSON().Resources[logicalId(stack.ingestion.ingest.fn)].Properties.Environment.Variables;
    expect(env).toMatchObject({ EVENTS_TABLE: { Ref: eventsTable } });
    expect(env.STATE_TABLE).toBeUndefined();
  });
});

describe('nightly jobs', () => {
  const rollup = () => stack.jobs.functions['rollup-kpis']!;

  it('rollup-kpis runs every day at jobs.rollupAt in the configured time zone', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 0 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(rollup().fn), 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [logicalId(stack.jobs.schedulerRoles['rollup-kpis']!), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.jobs.deadLetterQueue), 'Arn'] } },
        Input: Match.serializedJson({ job: 'rollup-kpis', scheduledTime: '<aws.scheduler.scheduled-time>' }),
      },
    });
  });

  it('each scheduler role may invoke only its own function, and only Scheduler may assume it', () => {
    for (const [job, role] of Object.entries(stack.jobs.schedulerRoles)) {
      const statements = roleStatements(template, logicalId(role));
      expect(statements, job).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Resource: { 'Fn::GetAtt': [logicalId(stack.jobs.functions[job]!.fn), 'Arn'] },
        }),
        expect.objectContaining({
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [logicalId(stack.jobs.deadLetterQueue), 'Arn'] },
        }),
      ]);
      const trust = template.toJSON().Resources[logicalId(role)].Properties.AssumeRolePolicyDocument.Statement;
      expect(trust).toEqual([
        expect.objectContaining({
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': { 'Fn::GetAtt': [logicalId(stack.jobs.scheduleGroup), 'Arn'] },
            },
          },
        }),
      ]);
    }
  });

  it("plan-reports gets one schedule per report of the config, at the report's local time", () => {
    const expressions = Object.values(template.findResources('AWS::Scheduler::Schedule'))
      .map((s) => s.Properties)
      .filter((p) => JSON.parse(p.Target.Input).job === 'plan-reports')
      .map((p) => [JSON.parse(p.Target.Input).reportId, p.ScheduleExpression, p.ScheduleExpressionTimezone]);
    expect(expressions).toEqual([
      ['daily', 'cron(0 5 * * ? *)', 'Asia/Shanghai'],
      ['weekly', 'cron(0 9 ? * MON *)', 'Asia/Shanghai'],
      ['monthly', 'cron(0 9 1 * ? *)', 'Asia/Shanghai'],
    ]);
  });

  it('check-backups runs at jobs.checksAt and may describe only the tables the checks name', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Target: { Input: Match.serializedJson(Match.objectLike({ job: 'check-backups' })) },
    });
    const statements = roleStatements(template, logicalId(stack.jobs.functions['check-backups']!.role));
    const scan = statements.find((s) => actionsOf(s).includes('dynamodb:Scan') && JSON.stringify(s).includes('orders'));
    expect(JSON.stringify(scan?.Resource)).toMatch(/table\/orders".*table\/payments"/);
  });

  it('a job that fails after Lambda’s retries lands in the jobs dead-letter queue', () => {
    for (const fn of Object.values(stack.jobs.functions)) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(fn.fn) },
        MaximumRetryAttempts: 2,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(stack.jobs.deadLetterQueue), 'Arn'] } },
        },
      });
    }
  });

  it('jobs that mail may send to the delivery queue and get its URL; rollup-kpis gets neither', () => {
    const delivery = logicalId(stack.delivery.queue);
    for (const job of ['detect-anomalies', 'check-backups', 'plan-reports']) {
      const fn = stack.jobs.functions[job]!;
      const statements = roleStatements(template, logicalId(fn.role));
      expect(statements, job).toContainEqual(
        expect.objectContaining({
          Action: expect.arrayContaining(['sqs:SendMessage']),
          Resource: { 'Fn::GetAtt': [delivery, 'Arn'] },
        }),
      );
      const env = template.toJSON().Resources[logicalId(fn.fn)].Properties.Environment.Variables;
      expect(env.DELIVERY_QUEUE_URL, job).toEqual({ Ref: delivery });
    }
    expect(JSON.stringify(roleStatements(template, logicalId(rollup().role)))).not.toContain(delivery);
  });
});

describe('report delivery', () => {
  it("send-email consumes the delivery queue and may send only as the config's sender, through the configuration set", () => {
    const sender = stack.delivery.sendEmail!;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.delivery.queue), 'Arn'] },
      FunctionName: { Ref: logicalId(sender.fn) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const ses = roleStatements(template, logicalId(sender.role)).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('ses:')),
    );
    expect(ses.flatMap(actionsOf)).toEqual(['ses:SendRawEmail']);
    const resources = JSON.stringify(ses[0]?.Resource);
    expect(resources).toContain(':identity/nightshift@example.com');
    expect(resources).toContain(':identity/example.com');
    expect(resources).toContain(`:configuration-set/",{"Ref":"${logicalId(stack.delivery.configurationSet)}"}`);
    expect(resources).not.toContain('*');
  });
});

describe('functions', () => {
  it('every function is Node 24 on arm64, traced, logging to its own log group, with source maps', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(9);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: 'nightshift',
            LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    }
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      expect(group.Properties.RetentionInDays).toBe(30);
    }
  });

  it('no role relies on a managed policy', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('monitoring', () => {
  const topic = () => logicalId(stack.monitoring.topic);

  it('every alarm notifies the alarm topic when it fires and when it clears', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // DLQ depth of ingestion, delivery, mail feedback and jobs; ingestion backlog and silence; errors and throttles
    // of the 9 functions; SES bounces and complaints; the watchdog's heartbeat (test/infra/monitoring.test.ts has each);
    // the HTTP endpoint's 5xx answers (test/infra/http-ingestion.test.ts).
    expect(alarms).toHaveLength(6 + 9 * 2 + 2 + 1 + 1);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic() }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic() }]);
    }
  });

  it('each dead-letter queue has a depth alarm, and the events queue a backlog alarm', () => {
    const { ingestion, delivery, jobs } = stack;
    for (const dlq of [
      ingestion.deadLetterQueue,
      delivery.deadLetterQueue,
      delivery.feedbackDeadLetterQueue,
      jobs.deadLetterQueue,
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }],
        Threshold: 1,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.ingestion.queue), 'QueueName'] } }],
    });
  });

  it('the alarm topic is encrypted with a rotating key CloudWatch may use, and mails monitoring.alarmEmail', () => {
    const key = logicalId(stack.monitoring.topicKey);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'it-ops@example.com',
      TopicArn: { Ref: topic() },
    });
  });
});

describe('cdk-nag', () => {
  it('AwsSolutionsChecks finds no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });
});

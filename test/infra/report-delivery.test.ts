// Delivery's promises as the stack deploys them: a message is retried until SES accepts it or it reaches the
// dead-letter queue and its alarm; every send goes through the configuration set, whose bounces and complaints reach
// email-feedback, which may write nothing but feedback items.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FEEDBACK_DETAIL_TYPES } from '#infra/report-delivery.ts';
import { CLAIM_TTL_MS, REDELIVERY_AFTER_MS, SEND_TIMEOUT_MS } from '#shared/delivery/ledger.ts';
import { FEEDBACK_KEY_PREFIX } from '#shared/mailer/feedback.ts';
import { actionsOf, logicalId, roleStatements, synthesize } from './support.ts';

const { stack, template } = synthesize();
const resources = template.toJSON().Resources;
const { delivery } = stack;
const set = () => logicalId(delivery.configurationSet);
const sender = () => delivery.sendEmail!;
const recorder = () => delivery.emailFeedback!;

describe('delivery retries until SES accepts, then dead-letters with an alarm', () => {
  it("a claim outlives send-email's timeout and expires before the queue delivers the message again", () => {
    const timeout = resources[logicalId(sender().fn)].Properties.Timeout;
    const visibility = resources[logicalId(delivery.queue)].Properties.VisibilityTimeout;

    expect(timeout * 1000).toBe(SEND_TIMEOUT_MS);
    expect(visibility * 1000).toBe(REDELIVERY_AFTER_MS);
    expect(SEND_TIMEOUT_MS).toBeLessThan(CLAIM_TTL_MS);
    expect(CLAIM_TTL_MS).toBeLessThan(REDELIVERY_AFTER_MS);
  });

  it('the delivery queue moves a message to its dead-letter queue after 5 receives, and that queue alarms on one', () => {
    const dlq = logicalId(delivery.deadLetterQueue);
    expect(resources[logicalId(delivery.queue)].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] },
      maxReceiveCount: 5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
    });
  });
});

describe('the configuration set', () => {
  it("send-email is given the stack's configuration set to send through", () => {
    const env = resources[logicalId(sender().fn)].Properties.Environment.Variables;
    expect(env.SES_CONFIGURATION_SET).toEqual({ Ref: set() });
  });

  it('publishes bounces and complaints to the default event bus', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: set() },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint'],
        EventBridgeDestination: {
          EventBusArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':event-bus/default'])] }),
        },
      },
    });
  });

  it("a rule puts this set's bounce and complaint events on the feedback queue, and only that rule may", () => {
    const rule = logicalId(delivery.feedbackRule);
    const queue = logicalId(delivery.feedbackQueue);
    expect(resources[rule].Properties).toMatchObject({
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.ses'],
        'detail-type': FEEDBACK_DETAIL_TYPES,
        detail: { mail: { tags: { 'ses:configuration-set': [{ Ref: set() }] } } },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': [queue, 'Arn'] }, Id: expect.any(String) }],
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('the feedback queue dead-letters after 5 receives, with an alarm', () => {
    const dlq = logicalId(delivery.feedbackDeadLetterQueue);
    expect(resources[logicalId(delivery.feedbackQueue)].Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] },
      maxReceiveCount: 5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
    });
  });
});

describe('email-feedback', () => {
  it('consumes the feedback queue and reports partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(delivery.feedbackQueue), 'Arn'] },
      FunctionName: { Ref: logicalId(recorder().fn) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('may put feedback items in the state table and do nothing else there, nor send mail', () => {
    const stateTable = logicalId(stack.tables.state);
    const statements = roleStatements(template, logicalId(recorder().role));
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

    expect(dynamo).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:PutItem',
        Resource: { 'Fn::GetAtt': [stateTable, 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${FEEDBACK_KEY_PREFIX}*`] } },
      }),
    ]);
    expect(statements.flatMap(actionsOf).some((a) => a.startsWith('ses:'))).toBe(false);
    expect(JSON.stringify(statements)).not.toContain(logicalId(stack.tables.events));
    const env = resources[logicalId(recorder().fn)].Properties.Environment.Variables;
    expect(env.STATE_TABLE).toEqual({ Ref: stateTable });
  });

  it('is wired only once its handler exists, independently of send-email', () => {
    const partial = synthesize({ hasHandler: (name) => name !== 'email-feedback' });
    expect(partial.stack.delivery.emailFeedback).toBeUndefined();
    expect(partial.stack.delivery.sendEmail).toBeDefined();
    partial.template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Description: 'Records SES bounces and complaints against their recipients' },
      0,
    );
  });
});

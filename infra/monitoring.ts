// Alarms about Nightshift itself: one encrypted SNS topic that every CloudWatch alarm in the stack notifies (on
// ALARM and on OK), mailed to `monitoring.alarmEmail` when set; plus the alarm shapes the other constructs use.
import { Aspects, Duration, type IAspect, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';

export interface MonitoringProps {
  readonly config: NightshiftConfig;
}

export class Monitoring extends Construct {
  /** Receives every alarm of the stack. */
  public readonly topic: sns.Topic;
  /** Customer-managed: CloudWatch cannot publish to a topic encrypted with the AWS-managed `alias/aws/sns` key. */
  public readonly topicKey: kms.Key;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `${props.config.name}: encrypts the alarm topic`,
      enableKeyRotation: true,
    });
    this.topicKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${props.config.name} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    const email = props.config.monitoring.alarmEmail;
    if (email) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    // Every alarm, including ones added later anywhere in the stack, notifies the topic.
    Aspects.of(Stack.of(this)).add(new NotifyOnAlarm(this.topic));
  }
}

/** Adds the topic as ALARM and OK action of every CloudWatch alarm it visits. */
class NotifyOnAlarm implements IAspect {
  private readonly action: SnsAction;
  constructor(topic: sns.ITopic) {
    this.action = new SnsAction(topic);
  }
  visit(node: IConstruct): void {
    if (node instanceof cloudwatch.Alarm) {
      node.addAlarmAction(this.action);
      node.addOkAction(this.action);
    }
  }
}

/** ALARM when any message sits in a dead-letter queue: something failed for good and waits for a person. */
export function deadLetterAlarm(scope: Construct, id: string, dlq: sqs.IQueue, what: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: `${what}: messages in the dead-letter queue (inspect, fix, redrive).`,
    metric: dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

/** ALARM when the oldest message waited longer than `maxAge`: the consumer is failing or falling behind. */
export function queueAgeAlarm(
  scope: Construct,
  id: string,
  queue: sqs.IQueue,
  maxAge: Duration,
  what: string,
): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription: `${what}: the oldest message is over ${maxAge.toHumanString()} old.`,
    metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: maxAge.toSeconds(),
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}

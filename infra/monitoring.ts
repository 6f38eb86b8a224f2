// Alarms about Nightshift itself: one encrypted SNS topic that every CloudWatch alarm in the stack notifies (on
// ALARM and on OK), mailed to `monitoring.alarmEmail` when set; errors and throttles alarms on every function; the
// operations dashboard; and the alarm shapes the other constructs use (DLQ depth, queue age, the watchdog's
// heartbeat, SES bounces and complaints).
import { ArnFormat, Aspects, Duration, type IAspect, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { METRIC, METRICS_NAMESPACE, SERVICE_DIMENSION } from '#shared/observability/metrics.ts';
import { NightshiftDashboard } from './dashboard.ts';
import { NightshiftFunction } from './nightshift-function.ts';

export interface MonitoringProps {
  readonly config: NightshiftConfig;
}

export class Monitoring extends Construct {
  /** Receives every alarm of the stack. */
  public readonly topic: sns.Topic;
  /** Customer-managed: CloudWatch cannot publish to a topic encrypted with the AWS-managed `alias/aws/sns` key. */
  public readonly topicKey: kms.Key;
  public readonly dashboard: NightshiftDashboard;
  /** Every alarm of the stack, complete once the stack is synthesized (the aspects below fill it). */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topicKey = new kms.Key(this, 'TopicKey', {
      description: `${props.config.name}: encrypts the alarm topic`,
      enableKeyRotation: true,
    });
    // CloudWatch encrypts the alarm notifications it publishes with this key: only for alarms of this account and
    // Region (aws:SourceAccount and aws:SourceArn, as SNS documents for AWS services publishing to encrypted topics),
    // so no other account's alarms can make CloudWatch use it (the confused deputy).
    const stack = Stack.of(this);
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `${props.config.name} alarms`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    const email = props.config.monitoring.alarmEmail;
    if (email) this.topic.addSubscription(new subscriptions.EmailSubscription(email));

    this.dashboard = new NightshiftDashboard(this, 'Dashboard', { config: props.config, alarms: this.alarms });

    // Every function and every alarm, including ones added later anywhere in the stack: each function gets its
    // errors and throttles alarms, and each alarm notifies the topic and is listed on the dashboard.
    Aspects.of(Stack.of(this)).add(new AlarmOnFunctions());
    Aspects.of(Stack.of(this)).add(new NotifyOnAlarm(this.topic, this.alarms));
  }
}

/** Adds the topic as ALARM and OK action of every CloudWatch alarm it visits (once each), and collects the alarm. */
class NotifyOnAlarm implements IAspect {
  private readonly action: SnsAction;
  private readonly alarms: cloudwatch.Alarm[];
  constructor(topic: sns.ITopic, alarms: cloudwatch.Alarm[]) {
    this.action = new SnsAction(topic);
    this.alarms = alarms;
  }
  visit(node: IConstruct): void {
    if (node instanceof cloudwatch.Alarm && !this.alarms.includes(node)) {
      node.addAlarmAction(this.action);
      node.addOkAction(this.action);
      this.alarms.push(node);
    }
  }
}

/** Gives every Nightshift function its errors and throttles alarms (as children, so NotifyOnAlarm visits them next). */
class AlarmOnFunctions implements IAspect {
  private readonly seen = new Set<NightshiftFunction>();
  visit(node: IConstruct): void {
    if (!(node instanceof NightshiftFunction) || this.seen.has(node)) return;
    this.seen.add(node);
    functionAlarms(node, node.fn, functionLabel(node));
  }
}

/** 'Jobs/RollupKpis', 'Ingestion/IngestEvents': the function's place in the stack, as alarm descriptions name it. */
function functionLabel(fn: Construct): string {
  return fn.node.scopes
    .slice(1)
    .map((s) => s.node.id)
    .filter((id) => id !== 'Function')
    .join('/');
}

/**
 * ALARM on any error of the function (an uncaught exception or a timeout; for queue consumers, a whole batch
 * failing), and on throttling in two of three 5-minute periods (concurrency exhausted, retries piling up).
 */
export function functionAlarms(scope: Construct, fn: lambda.IFunction, what: string): cloudwatch.Alarm[] {
  return [
    new cloudwatch.Alarm(scope, 'ErrorsAlarm', {
      alarmDescription: `${what}: the function failed (uncaught error or timeout). Read its log group for level ERROR.`,
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    new cloudwatch.Alarm(scope, 'ThrottlesAlarm', {
      alarmDescription: `${what}: invocations throttled in 2 of 3 five-minute periods (account or reserved concurrency).`,
      metric: fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  ];
}

/**
 * The watchdog's dead-man's switch: it beats once per completed hourly check (EMF metric WatchdogHeartbeat). ALARM
 * when two of the last three hours had no beat; missing data is breaching, since a stopped watchdog publishes
 * nothing at all.
 */
export function heartbeatAlarm(scope: Construct, id: string, config: Pick<NightshiftConfig, 'name'>): cloudwatch.Alarm {
  return new cloudwatch.Alarm(scope, id, {
    alarmDescription:
      'Watchdog: no heartbeat in 2 of the last 3 hours. Nothing is checking that jobs run and events arrive: ' +
      'look at the watchdog function’s errors and logs, and at its schedule.',
    metric: new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC.watchdogHeartbeat,
      dimensionsMap: { [SERVICE_DIMENSION]: config.name },
      statistic: 'Sum',
      period: Duration.hours(1),
    }),
    threshold: 1,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
}

/** SES publishes these per configuration set once the set has a CloudWatch event destination. */
const SES_CONFIGURATION_SET_DIMENSION = 'ses:configuration-set';

/**
 * Publishes the configuration set's sending events to CloudWatch (dimension `ses:configuration-set`, an SES auto-tag)
 * and alarms on any bounce or complaint within an hour: a bounce is a recipient address to fix in the config, and
 * complaints put the SES account at risk well before its 0.1% review threshold.
 */
export function emailFeedbackAlarms(scope: Construct, configurationSet: ses.ConfigurationSet): cloudwatch.Alarm[] {
  configurationSet.addEventDestination('CloudWatchMetrics', {
    destination: ses.EventDestination.cloudWatchDimensions([
      {
        name: SES_CONFIGURATION_SET_DIMENSION,
        source: ses.CloudWatchDimensionSource.MESSAGE_TAG,
        defaultValue: 'none',
      },
    ]),
    events: [
      ses.EmailSendingEvent.SEND,
      ses.EmailSendingEvent.DELIVERY,
      ses.EmailSendingEvent.BOUNCE,
      ses.EmailSendingEvent.COMPLAINT,
      ses.EmailSendingEvent.REJECT,
    ],
  });
  const sesMetric = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: 'AWS/SES',
      metricName,
      dimensionsMap: { [SES_CONFIGURATION_SET_DIMENSION]: configurationSet.configurationSetName },
      statistic: 'Sum',
      period: Duration.hours(1),
    });
  const alarm = (id: string, metricName: string, description: string) =>
    new cloudwatch.Alarm(scope, id, {
      alarmDescription: description,
      metric: sesMetric(metricName),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  return [
    alarm('BounceAlarm', 'Bounce', 'Email: a report or alert bounced. Check the recipient addresses in the config.'),
    alarm(
      'ComplaintAlarm',
      'Complaint',
      'Email: a recipient marked a Nightshift mail as spam. Ask them; fix the recipients.',
    ),
  ];
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

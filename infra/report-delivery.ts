// Mail out: the delivery queue the jobs put alerts and reports on, its dead-letter queue, the SES configuration
// set, and `send-email` (wired once functions/send-email/handler.ts exists).
import { Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { DeadLetteredQueue } from './dead-lettered-queue.ts';
import { emailFeedbackAlarms } from './monitoring.ts';
import { type FunctionFactory, handlerExists, NightshiftFunction } from './nightshift-function.ts';
import type { StateTables } from './state-tables.ts';

export interface ReportDeliveryProps {
  readonly config: NightshiftConfig;
  readonly tables: StateTables;
  /** @default bundledFunctions */
  readonly functionFactory?: FunctionFactory;
  /** Whether functions/<name>/handler.ts exists. @default handlerExists (the file system) */
  readonly hasHandler?: (name: string) => boolean;
}

const SEND_TIMEOUT = Duration.seconds(60);

export class ReportDelivery extends Construct {
  /** Jobs send one message per mail to deliver (bind with `bindQueue(queue, 'send')`). */
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly configurationSet: ses.ConfigurationSet;
  /** Undefined until functions/send-email/handler.ts exists. */
  public readonly sendEmail?: NightshiftFunction;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ReportDeliveryProps) {
    super(scope, id);
    const queues = new DeadLetteredQueue(this, 'Delivery', {
      purpose: 'Report and alert delivery',
      visibilityTimeout: Duration.seconds(6 * SEND_TIMEOUT.toSeconds()),
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.alarms = [queues.deadLetterAlarm, ...emailFeedbackAlarms(this, this.configurationSet)];

    if (!(props.hasHandler ?? handlerExists)('send-email')) return;
    const fn = new NightshiftFunction(this, 'SendEmail', {
      name: 'send-email',
      description: 'Sends each queued report or alert once through SES',
      config: props.config,
      timeout: SEND_TIMEOUT,
      functionFactory: props.functionFactory,
      environment: { SES_CONFIGURATION_SET: this.configurationSet.configurationSetName },
    }).bindTable(props.tables.state, 'readWrite');
    fn.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // Stays well under SES's default sending rate (14 mails/s) without throttling retries.
        maxConcurrency: 2,
      }),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [...senderIdentityArns(this, props.config.email.from), this.configurationSetArn()],
      }),
    );
    this.sendEmail = fn;
  }

  private configurationSetArn(): string {
    return Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSet.configurationSetName,
    });
  }
}

/** SES identities that may send as `from` ("Name <a@b.com>" or "a@b.com"): the address and its domain. */
export function senderIdentityArns(scope: Construct, from: string): string[] {
  const address = (/<([^<>\s]+@[^<>\s]+)>/.exec(from)?.[1] ?? from).trim();
  const domain = address.includes('@') ? address.slice(address.lastIndexOf('@') + 1) : address;
  const identities = address === domain ? [domain] : [address, domain];
  return identities.map((identity) =>
    Stack.of(scope).formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
  );
}

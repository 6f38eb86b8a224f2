// Mail out and its feedback: the delivery queue the jobs put alerts and reports on, its dead-letter queue, the SES
// configuration set every mail is sent through, `send-email` (wired once functions/send-email/handler.ts exists), and
// the way back: the set's bounces and complaints go to EventBridge, a rule puts them on the feedback queue, and
// `email-feedback` records each against its recipient.
import { Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as ses from 'aws-cdk-lib/aws-ses';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { REDELIVERY_AFTER_MS, SEND_TIMEOUT_MS } from '#shared/delivery/ledger.ts';
import { DeadLetteredQueue } from './dead-lettered-queue.ts';
import { emailFeedbackAlarms } from './monitoring.ts';
import { type FunctionFactory, handlerExists, NightshiftFunction } from './nightshift-function.ts';
import type { StateTables } from './state-tables.ts';
import { TABLE_ACCESS } from './table-access.ts';

export interface ReportDeliveryProps {
  readonly config: NightshiftConfig;
  readonly tables: StateTables;
  /** @default bundledFunctions */
  readonly functionFactory?: FunctionFactory;
  /** Whether functions/<name>/handler.ts exists. @default handlerExists (the file system) */
  readonly hasHandler?: (name: string) => boolean;
}

/** The ledger's claims outlive this and expire before the queue's next receive (shared/delivery/ledger.ts). */
export const SEND_TIMEOUT = Duration.millis(SEND_TIMEOUT_MS);
const FEEDBACK_TIMEOUT = Duration.seconds(30);
/** The detail-types SES gives bounces and complaints on EventBridge. */
export const FEEDBACK_DETAIL_TYPES = ['Email Bounced', 'Email Complaint Received'];

export class ReportDelivery extends Construct {
  /** Jobs send one message per mail to deliver (bind with `bindQueue(queue, 'send')`). */
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly configurationSet: ses.ConfigurationSet;
  /** Undefined until functions/send-email/handler.ts exists. */
  public readonly sendEmail?: NightshiftFunction;
  /** Bounces and complaints of the configuration set, as EventBridge delivers them. */
  public readonly feedbackQueue: sqs.Queue;
  public readonly feedbackDeadLetterQueue: sqs.Queue;
  /** Puts the configuration set's bounce and complaint events on the feedback queue. */
  public readonly feedbackRule: events.Rule;
  /** Undefined until functions/email-feedback/handler.ts exists. */
  public readonly emailFeedback?: NightshiftFunction;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: ReportDeliveryProps) {
    super(scope, id);
    const queues = new DeadLetteredQueue(this, 'Delivery', {
      purpose: 'Report and alert delivery',
      visibilityTimeout: Duration.millis(REDELIVERY_AFTER_MS),
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.alarms = [queues.deadLetterAlarm, ...emailFeedbackAlarms(this, this.configurationSet)];

    const feedback = new DeadLetteredQueue(this, 'Feedback', {
      purpose: 'Mail bounces and complaints',
      visibilityTimeout: Duration.seconds(6 * FEEDBACK_TIMEOUT.toSeconds()),
    });
    this.feedbackQueue = feedback.queue;
    this.feedbackDeadLetterQueue = feedback.deadLetterQueue;
    this.alarms.push(feedback.deadLetterAlarm);
    // SES publishes to the default bus only; the rule keeps this set's events (every event carries its set's name).
    const bus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('Feedback', {
      destination: ses.EventDestination.eventBus(bus),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });
    this.feedbackRule = new events.Rule(this, 'FeedbackRule', {
      description: 'SES bounces and complaints of the Nightshift configuration set',
      eventPattern: {
        source: ['aws.ses'],
        detailType: FEEDBACK_DETAIL_TYPES,
        detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSet.configurationSetName] } } },
      },
      targets: [new targets.SqsQueue(this.feedbackQueue)],
    });

    const has = props.hasHandler ?? handlerExists;
    if (has('email-feedback')) {
      const recorder = new NightshiftFunction(this, 'EmailFeedback', {
        name: 'email-feedback',
        description: 'Records SES bounces and complaints against their recipients',
        config: props.config,
        timeout: FEEDBACK_TIMEOUT,
        functionFactory: props.functionFactory,
        // It only ever puts feedback items: PutItem on their partition keys, nothing else of the state table.
      }).bindTables(props.tables, TABLE_ACCESS['email-feedback']);
      recorder.fn.addEventSource(
        new SqsEventSource(this.feedbackQueue, { batchSize: 10, reportBatchItemFailures: true }),
      );
      this.emailFeedback = recorder;
    }

    if (!has('send-email')) return;
    const fn = new NightshiftFunction(this, 'SendEmail', {
      name: 'send-email',
      description: 'Sends each queued report or alert once through SES',
      config: props.config,
      timeout: SEND_TIMEOUT,
      functionFactory: props.functionFactory,
      environment: { SES_CONFIGURATION_SET: this.configurationSet.configurationSetName },
    }).bindTables(props.tables, TABLE_ACCESS['send-email']);
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

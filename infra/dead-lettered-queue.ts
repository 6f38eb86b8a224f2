// An encrypted, TLS-only SQS queue with its dead-letter queue and the alarm on that DLQ's depth: the shape of
// every queue Nightshift consumes.
import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterAlarm } from './monitoring.ts';

export const MAX_RECEIVE_COUNT = 5;
export const DEAD_LETTER_RETENTION = Duration.days(14);

export interface DeadLetteredQueueProps {
  /** Named in the alarm description, e.g. 'Event ingestion'. */
  readonly purpose: string;
  /** At least the consumer's timeout; AWS recommends 6x the function timeout plus the batching window. */
  readonly visibilityTimeout: Duration;
  /** @default 4 days (the DLQ keeps 14, counted from the original enqueue time) */
  readonly retentionPeriod?: Duration;
}

export class DeadLetteredQueue extends Construct {
  public readonly queue: sqs.Queue;
  /** Receives a message after MAX_RECEIVE_COUNT failed receives; kept 14 days. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeadLetteredQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.deadLetterAlarm = deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, props.purpose);
  }
}

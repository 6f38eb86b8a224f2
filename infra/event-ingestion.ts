// Events in: the SQS queue applications send to, its dead-letter queue, and `ingest-events` writing each batch
// to the events table (partial batch failures, so one bad message never holds back the valid ones around it).
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { DeadLetteredQueue } from './dead-lettered-queue.ts';
import { queueAgeAlarm } from './monitoring.ts';
import { type FunctionFactory, NightshiftFunction } from './nightshift-function.ts';
import type { StateTables } from './state-tables.ts';
import { TABLE_ACCESS } from './table-access.ts';

export interface EventIngestionProps {
  readonly config: NightshiftConfig;
  readonly tables: StateTables;
  /** @default bundledFunctions */
  readonly functionFactory?: FunctionFactory;
  /** ALARM when the oldest queued event is older. @default 15 minutes */
  readonly maxEventAge?: Duration;
}

const INGEST_TIMEOUT = Duration.seconds(60);

export class EventIngestion extends Construct {
  /** Applications send events here (`SendMessageBatch`). */
  public readonly queue: sqs.Queue;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly ingest: NightshiftFunction;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: EventIngestionProps) {
    super(scope, id);
    const { config } = props;
    const { batchSize, batchWindowSeconds } = config.ingest;
    if (batchSize > 10 && batchWindowSeconds < 1) {
      // SQS event sources accept batches over 10 only with a batching window; CloudFormation would fail late.
      throw new ConfigError('config', [
        { path: 'ingest.batchWindowSeconds', message: 'must be at least 1 when ingest.batchSize is over 10' },
      ]);
    }

    const queues = new DeadLetteredQueue(this, 'Events', {
      purpose: 'Event ingestion',
      visibilityTimeout: Duration.seconds(6 * INGEST_TIMEOUT.toSeconds() + batchWindowSeconds),
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    this.ingest = new NightshiftFunction(this, 'IngestEvents', {
      name: 'ingest-events',
      description: 'Validates queued events and stores each once in the events table',
      config,
      timeout: INGEST_TIMEOUT,
      functionFactory: props.functionFactory,
    }).bindTables(props.tables, TABLE_ACCESS['ingest-events']);
    this.ingest.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize,
        maxBatchingWindow: batchWindowSeconds > 0 ? Duration.seconds(batchWindowSeconds) : undefined,
        reportBatchItemFailures: true,
      }),
    );

    const silence = Math.min(config.monitoring.queueSilenceMinutes, 24 * 60);
    this.alarms = [
      queues.deadLetterAlarm,
      queueAgeAlarm(this, 'BacklogAlarm', this.queue, props.maxEventAge ?? Duration.minutes(15), 'Event ingestion'),
      new cloudwatch.Alarm(this, 'SilenceAlarm', {
        alarmDescription: `Event ingestion: no event arrived for ${silence} minutes (monitoring.queueSilenceMinutes).`,
        metric: this.queue.metricNumberOfMessagesSent({ period: Duration.minutes(silence), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // SQS stops publishing metrics for an idle queue: no data is silence.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    ];
  }
}

// The whole of Nightshift in one stack, from the validated config: tables, ingestion, nightly jobs, delivery and
// the alarms about itself.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { EventIngestion } from './event-ingestion.ts';
import { functionConfig } from './function-config.ts';
import { HttpIngestion } from './http-ingestion.ts';
import { Monitoring } from './monitoring.ts';
import { NightlyJobs } from './nightly-jobs.ts';
import { type FunctionFactory, NightshiftFunction } from './nightshift-function.ts';
import { PeopleParameters } from './people-parameters.ts';
import { PseudonymKey } from './pseudonym-key.ts';
import { ReportDelivery } from './report-delivery.ts';
import { RestoreTesting, restoreTestedChecks } from './restore-testing.ts';
import { StateTables } from './state-tables.ts';

export interface NightshiftStackProps extends StackProps {
  /** The validated config (`loadConfig`). */
  readonly config: NightshiftConfig;
  /** How functions get their code. @default bundledFunctions (esbuild); tests pass inlineFunctions */
  readonly functionFactory?: FunctionFactory;
  /** Whether functions/<name>/handler.ts exists, for the optional functions. @default handlerExists */
  readonly hasHandler?: (name: string) => boolean;
}

export class NightshiftStack extends Stack {
  public readonly monitoring: Monitoring;
  public readonly tables: StateTables;
  public readonly ingestion: EventIngestion;
  /** The Segment-compatible HTTP endpoint in front of the events queue. */
  public readonly httpIngestion: HttpIngestion;
  public readonly delivery: ReportDelivery;
  public readonly jobs: NightlyJobs;
  /** AWS Backup restore tests of the `restoreTest` checks, validated by check-backups (undefined without either). */
  public readonly restoreTesting?: RestoreTesting;
  /** The key user and order ids are pseudonymized with, readable by the functions that write pseudonyms. */
  public readonly pseudonymKey: PseudonymKey;
  /** Who is who and their addresses, readable by the functions that plan, route or send mail. */
  public readonly people: PeopleParameters;

  constructor(scope: Construct, id: string, props: NightshiftStackProps) {
    super(scope, id, {
      description: `Nightshift (${props.config.name}): event ingestion, nightly KPI rollups, alerts, checks, reports`,
      ...props,
    });
    const { config, functionFactory, hasHandler } = props;
    this.monitoring = new Monitoring(this, 'Monitoring', { config });
    this.tables = new StateTables(this, 'Tables');
    this.ingestion = new EventIngestion(this, 'Ingestion', { config, tables: this.tables, functionFactory });
    this.httpIngestion = new HttpIngestion(this, 'HttpIngestion', {
      config,
      tables: this.tables,
      queue: this.ingestion.queue,
      functionFactory,
    });
    this.delivery = new ReportDelivery(this, 'Delivery', { config, tables: this.tables, functionFactory, hasHandler });
    this.jobs = new NightlyJobs(this, 'Jobs', {
      config,
      tables: this.tables,
      deliveryQueue: this.delivery.queue,
      functionFactory,
      hasHandler,
    });
    this.pseudonymKey = new PseudonymKey(this, 'PseudonymKey', {
      readers: [this.ingestion.ingest, this.jobs.functions['check-backups']],
    });
    // Every function reads the people its entry in infra/function-config.ts names, and no other does.
    this.people = new PeopleParameters(this, 'People', { config });
    for (const fn of this.node.findAll().filter((c): c is NightshiftFunction => c instanceof NightshiftFunction)) {
      const access = functionConfig(fn.name).people;
      if (access) this.people.grantRead(fn, access);
    }
    // Restore tests only with their validator: an unvalidated test restore costs a restore a night and proves less.
    const checkBackups = this.jobs.functions['check-backups'];
    if (checkBackups && restoreTestedChecks(config).length > 0) {
      this.restoreTesting = new RestoreTesting(this, 'RestoreTesting', {
        config,
        validator: checkBackups,
        deadLetterQueue: this.jobs.deadLetterQueue,
      });
    }

    new CfnOutput(this, 'EventsQueueUrl', {
      description: 'Applications send events here (SendMessageBatch)',
      value: this.ingestion.queue.queueUrl,
    });
    new CfnOutput(this, 'IngestionUrl', {
      description: 'Segment-compatible SDKs send events here (host), with a write key from WriteKeySecretArn',
      value: this.httpIngestion.url,
    });
    new CfnOutput(this, 'WriteKeySecretArn', {
      description: 'The write keys: aws secretsmanager get-secret-value --secret-id <this> --query SecretString',
      value: this.httpIngestion.writeKeySecret.secretArn,
    });
    new CfnOutput(this, 'EventsTableName', { value: this.tables.events.tableName });
    new CfnOutput(this, 'StateTableName', { value: this.tables.state.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }
}

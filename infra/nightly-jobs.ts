// The scheduled jobs: EventBridge Scheduler runs each job's function in the config's time zone. Adding a job is
// one entry in JOBS; an optional job is wired as soon as functions/<name>/handler.ts exists.
import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NightshiftConfig, Schedule } from '#shared/config/schema.ts';
import type { JobName } from '#shared/jobs/runs.ts';
import { DEAD_LETTER_RETENTION } from './dead-lettered-queue.ts';
import { type ArchiveAccess, EventArchive } from './event-archive.ts';
import { deadLetterAlarm, heartbeatAlarm } from './monitoring.ts';
import { type FunctionFactory, handlerExists, NightshiftFunction } from './nightshift-function.ts';
import type { StateTables } from './state-tables.ts';
import { type FunctionTableAccess, TABLE_ACCESS } from './table-access.ts';

/** One run time of a job. */
export interface JobSchedule {
  /** Unique within the job, e.g. 'Nightly' or 'Report-weekly'. */
  readonly id: string;
  /** A Scheduler cron or rate expression, read in `config.timeZone`. */
  readonly expression: string;
  /** Added to the payload, which always has `job` and `scheduledTime` (ISO 8601, UTC). */
  readonly input?: Record<string, string>;
}

/** A scheduled job: its handler is functions/<name>/handler.ts. */
export interface JobDefinition {
  readonly name: string;
  readonly description: string;
  /** Wired even without a handler file (the bundling then fails naming the missing entry). @default false */
  readonly required?: boolean;
  readonly schedules: (config: NightshiftConfig) => JobSchedule[];
  /** Exact actions on the partitions it uses (TABLE_ACCESS). */
  readonly tables: FunctionTableAccess;
  /** Access to the raw event archive (EventArchive). @default none */
  readonly archive?: ArchiveAccess;
  /** Puts mails on the delivery queue. @default false */
  readonly sendsMail?: boolean;
  /** Further permissions, e.g. on the tables the config's checks read. */
  readonly grant?: (fn: NightshiftFunction, config: NightshiftConfig) => void;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default 5 minutes */
  readonly timeout?: Duration;
  /** Writes job-run records under its name (shared/jobs/runs.ts), which the watchdog expects on its schedules. */
  readonly recordsRuns?: boolean;
  /** The watchdog: gets the records of the wired jobs in `WATCHED_JOBS`, and an alarm on its heartbeat. @default false */
  readonly watchesJobs?: boolean;
}

export const JOBS: readonly JobDefinition[] = [
  {
    name: 'rollup-kpis',
    description: 'Rolls up the KPIs of the last days, weeks and months; archives closed days; runs backfills',
    required: true,
    schedules: (c) => [{ id: 'Nightly', expression: dailyAt(c.jobs.rollupAt) }],
    // Writes the events table too: it clears the dirty-day markers late events leave there.
    tables: TABLE_ACCESS['rollup-kpis'],
    // Writes each day it reads to the archive; reads old days (late events, backfills) from it.
    archive: 'readWrite',
    timeout: Duration.minutes(15),
    recordsRuns: true,
  },
  {
    name: 'detect-anomalies',
    description: 'Opens and resolves incidents from the KPIs and the arrival of events',
    // Hourly, so silent event streams are noticed within the hour; the first run after the rollup is 30 min later.
    schedules: (c) => [{ id: 'Hourly', expression: hourlyAt(minuteOf(c.jobs.rollupAt) + 30) }],
    tables: TABLE_ACCESS['detect-anomalies'],
    sendsMail: true,
    recordsRuns: true,
  },
  {
    name: 'check-backups',
    description: 'Checks last night’s backups and that the configured data sets agree',
    schedules: (c) => [{ id: 'Nightly', expression: dailyAt(c.jobs.checksAt) }],
    tables: TABLE_ACCESS['check-backups'],
    sendsMail: true,
    grant: grantChecks,
    timeout: Duration.minutes(15),
    recordsRuns: true,
  },
  {
    name: 'plan-reports',
    description: 'Puts the reports that are due on the delivery queue',
    schedules: (c) =>
      c.reports.map((r) => ({ id: `Report-${r.id}`, expression: reportCron(r.schedule), input: { reportId: r.id } })),
    tables: TABLE_ACCESS['plan-reports'],
    sendsMail: true,
    recordsRuns: true,
  },
  {
    name: 'watchdog',
    description: 'Checks that every due job ran on time and well and that events keep arriving; beats a heartbeat',
    // Hourly, a quarter past the rollup's minute: the rollup's grace time has passed by the first check after it.
    schedules: (c) => [{ id: 'Hourly', expression: hourlyAt(minuteOf(c.jobs.rollupAt) + 15) }],
    // Reads the ingest counters in the events table; keeps its incidents and what it saw in the state table.
    tables: TABLE_ACCESS.watchdog,
    sendsMail: true,
    watchesJobs: true,
    memorySize: 512,
    timeout: Duration.minutes(2),
  },
];

export interface NightlyJobsProps {
  readonly config: NightshiftConfig;
  readonly tables: StateTables;
  /** Where jobs put mails (ReportDelivery.queue). */
  readonly deliveryQueue: sqs.IQueue;
  /** @default JOBS */
  readonly jobs?: readonly JobDefinition[];
  /** @default bundledFunctions */
  readonly functionFactory?: FunctionFactory;
  /** Whether functions/<name>/handler.ts exists. @default handlerExists (the file system) */
  readonly hasHandler?: (name: string) => boolean;
}

export class NightlyJobs extends Construct {
  /** The wired jobs' functions, by job name. */
  public readonly functions: Readonly<Record<string, NightshiftFunction>>;
  /** Scheduler role per job: may invoke that job's function only (and write to the DLQ). */
  public readonly schedulerRoles: Readonly<Record<string, iam.Role>>;
  public readonly schedules: scheduler.Schedule[] = [];
  public readonly scheduleGroup: scheduler.ScheduleGroup;
  /** Runs that Scheduler could not deliver, and runs whose function failed after Lambda's retries. */
  public readonly deadLetterQueue: sqs.Queue;
  public readonly alarms: cloudwatch.Alarm[];
  /** ALARM when the watchdog stops beating (undefined until functions/watchdog/handler.ts exists). */
  public readonly heartbeatAlarm?: cloudwatch.Alarm;
  /** The raw event archive the rollup writes (closed days) and reads (old days, backfills). */
  public readonly archive: EventArchive;

  constructor(scope: Construct, id: string, props: NightlyJobsProps) {
    super(scope, id);
    const { config } = props;
    const hasHandler = props.hasHandler ?? handlerExists;
    this.archive = new EventArchive(this, 'Archive', { config });
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'Group');
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This is a dead-letter queue: of the Scheduler schedules, of the restore-test events (RestoreTesting) and ' +
        'of the jobs’ asynchronous invocations.',
    });
    this.alarms = [deadLetterAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, 'Nightly jobs')];

    // A missed run older than the grace period is reported as missed rather than run late.
    const maxEventAge = Duration.minutes(Math.min(Math.max(config.jobs.graceMinutes, 1), 6 * 60));
    const functions: Record<string, NightshiftFunction> = {};
    const roles: Record<string, iam.Role> = {};
    const wired = (props.jobs ?? JOBS).filter((job) => job.required || hasHandler(job.name));
    // The watchdog expects runs only of jobs that are deployed.
    const watched = wired.filter((job) => job.recordsRuns).map((job) => job.name as JobName);
    for (const job of wired) {
      const jobScope = new Construct(this, pascalCase(job.name));
      const fn = new NightshiftFunction(jobScope, 'Function', {
        name: job.name,
        description: job.description,
        config,
        memorySize: job.memorySize ?? 1024,
        timeout: job.timeout ?? Duration.minutes(5),
        functionFactory: props.functionFactory,
      });
      fn.bindTables(props.tables, job.tables);
      if (job.archive) this.archive.bind(fn, job.archive);
      if (job.sendsMail) fn.bindQueue(props.deliveryQueue, 'send');
      job.grant?.(fn, config);
      if (job.watchesJobs) {
        fn.fn.addEnvironment('WATCHED_JOBS', watched.join(','));
        this.heartbeatAlarm = heartbeatAlarm(jobScope, 'HeartbeatAlarm', config);
        this.alarms.push(this.heartbeatAlarm);
      }
      // Scheduler invokes asynchronously: failures after Lambda's retries land in the same DLQ.
      fn.fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge,
        onFailure: new SqsDestination(this.deadLetterQueue),
      });

      const role = this.schedulerRole(jobScope, fn);
      for (const s of job.schedules(config)) {
        this.schedules.push(
          new scheduler.Schedule(jobScope, s.id, {
            description: `${job.name}: ${s.expression} ${config.timeZone}`,
            scheduleGroup: this.scheduleGroup,
            schedule: scheduler.ScheduleExpression.expression(s.expression, TimeZone.of(config.timeZone)),
            target: new InvokeJob({
              fn,
              role,
              deadLetterQueue: this.deadLetterQueue,
              maxEventAge,
              input: { job: job.name, scheduledTime: scheduler.ContextAttribute.scheduledTime, ...s.input },
            }),
          }),
        );
      }
      functions[job.name] = fn;
      roles[job.name] = role;
    }
    this.functions = functions;
    this.schedulerRoles = roles;
  }

  /** Only EventBridge Scheduler, for this account's schedule group, may assume it; it may invoke this function only. */
  private schedulerRole(scope: Construct, fn: NightshiftFunction): iam.Role {
    const role = new iam.Role(scope, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': this.scheduleGroup.scheduleGroupArn,
          },
        },
      }),
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.fn.functionArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    return role;
  }
}

interface InvokeJobProps {
  readonly fn: NightshiftFunction;
  readonly role: iam.IRole;
  readonly deadLetterQueue: sqs.IQueue;
  readonly maxEventAge: Duration;
  readonly input: Record<string, string>;
}

/**
 * Like aws-scheduler-targets' LambdaInvoke, with the role given as is: LambdaInvoke adds `grantInvoke`, whose
 * `function:*` resource would let the role invoke every version and alias as well.
 */
class InvokeJob implements scheduler.IScheduleTarget {
  private readonly props: InvokeJobProps;
  constructor(props: InvokeJobProps) {
    this.props = props;
  }
  bind(): scheduler.ScheduleTargetConfig {
    const { fn, role, deadLetterQueue, maxEventAge, input } = this.props;
    return {
      arn: fn.fn.functionArn,
      role,
      input: scheduler.ScheduleTargetInput.fromObject(input),
      deadLetterConfig: { arn: deadLetterQueue.queueArn },
      retryPolicy: { maximumRetryAttempts: 5, maximumEventAgeInSeconds: maxEventAge.toSeconds() },
    };
  }
}

/** What the backup and data checks read: only the tables named in `checks`, plus read-only AWS Backup listings. */
function grantChecks(fn: NightshiftFunction, config: NightshiftConfig): void {
  const stack = Stack.of(fn);
  const tableArn = (name: string) => stack.formatArn({ service: 'dynamodb', resource: 'table', resourceName: name });
  const { backups, reconciliations } = config.checks;
  const checked = [...new Set(backups.map((b) => b.table))];
  const reconciled = [...new Set(reconciliations.flatMap((r) => [r.left.table, r.right.table]))];
  if (checked.length > 0) {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups'],
        resources: checked.map(tableArn),
      }),
    );
  }
  if (reconciled.length > 0) {
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeTable', 'dynamodb:Scan', 'dynamodb:GetItem'],
        resources: reconciled.map(tableArn),
      }),
    );
  }
  const kinds = new Set(backups.map((b) => b.kind));
  const listings: string[] = [];
  if (kinds.has('dynamodb_backup')) listings.push('dynamodb:ListBackups', 'dynamodb:DescribeBackup');
  if (kinds.has('aws_backup')) {
    listings.push('backup:ListRecoveryPointsByResource', 'backup:DescribeRecoveryPoint', 'backup:ListBackupJobs');
  }
  if (listings.length === 0) return;
  const policy = new iam.Policy(fn, 'BackupListings', {
    roles: [fn.role],
    statements: [new iam.PolicyStatement({ actions: listings, resources: ['*'] })],
  });
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'Read-only listings of backups, recovery points and backup jobs: these actions do not support ' +
      'resource-level permissions (or name resources, such as recovery points, that are only known at run time).',
  });
}

/** 'HH:MM' local → the Scheduler cron for every day at that time. */
export function dailyAt(at: string): string {
  const [hour, minute] = hourMinute(at);
  return `cron(${minute} ${hour} * * ? *)`;
}

/** Every hour at `minute` (taken modulo 60). */
export function hourlyAt(minute: number): string {
  return `cron(${minute % 60} * * * ? *)`;
}

/** A report's schedule from the config → the Scheduler cron. */
export function reportCron(schedule: Schedule): string {
  const [hour, minute] = hourMinute(schedule.at);
  if (schedule.every === 'week') {
    const day = (schedule.weekday ?? 'monday').slice(0, 3).toUpperCase();
    return `cron(${minute} ${hour} ? * ${day} *)`;
  }
  if (schedule.every === 'month') return `cron(${minute} ${hour} ${schedule.dayOfMonth ?? 1} * ? *)`;
  return `cron(${minute} ${hour} * * ? *)`;
}

function minuteOf(at: string): number {
  return hourMinute(at)[1];
}

function hourMinute(at: string): [number, number] {
  const match = /^(\d{2}):(\d{2})$/.exec(at);
  if (!match) throw new Error(`expected a time as "HH:MM", got '${at}'`);
  return [Number(match[1]), Number(match[2])];
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, _dash: string, c: string) => c.toUpperCase());
}

// One CloudWatch dashboard for whoever runs Nightshift: events in and rejected, job runs, failures and durations,
// incidents, mails sent and the watchdog, from the EMF metrics the functions publish (shared/observability), next
// to the state of every alarm in the stack.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { JOBS } from '#shared/jobs/runs.ts';
import {
  JOB_DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_DIMENSION,
} from '#shared/observability/metrics.ts';

export interface NightshiftDashboardProps {
  readonly config: NightshiftConfig;
  /**
   * Alarms the status widget lists. Read when the stack is synthesized, so alarms added to the array after this
   * construct (Monitoring fills it from an aspect) are listed too. @default none
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /** Granularity of the graphs. @default 1 hour */
  readonly period?: Duration;
}

/** Job names the metrics carry: the recorded jobs and the watchdog itself. */
export const DASHBOARD_JOBS: readonly string[] = [...JOBS, 'watchdog'];

/** CloudWatch dashboard names allow letters, digits, '-' and '_'. */
export function dashboardName(config: Pick<NightshiftConfig, 'name'>): string {
  return `${config.name.replace(/[^A-Za-z0-9_-]/g, '-')}-operations`.slice(0, 255);
}

export class NightshiftDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: NightshiftDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.hours(1);
    const service = props.config.name;
    const metric = (name: MetricName, label: string, statistic = 'Sum', job?: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: job ? { [SERVICE_DIMENSION]: service, [JOB_DIMENSION]: job } : { [SERVICE_DIMENSION]: service },
        statistic,
        period,
        label,
      });
    const perJob = (name: MetricName, statistic = 'Sum') =>
      DASHBOARD_JOBS.map((job) => metric(name, job, statistic, job));
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...extra });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardName(props.config),
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(
      graph('Events in', [metric(METRIC.eventsAccepted, 'accepted')]),
      graph('Rejects', [
        metric(METRIC.eventsRejected, 'rejected (quarantined)'),
        metric(METRIC.eventsRetried, 'write failed, retried'),
      ]),
      graph('Emails sent', [metric(METRIC.emailsSent, 'sent')]),
    );
    this.dashboard.addWidgets(
      graph('Job runs', perJob(METRIC.jobRuns), { stacked: true }),
      graph('Job failures', perJob(METRIC.jobFailures)),
      graph('Job duration (longest)', perJob(METRIC.jobDuration, 'Maximum')),
    );
    this.dashboard.addWidgets(
      graph('Incidents', [metric(METRIC.incidentsOpened, 'opened'), metric(METRIC.incidentsResolved, 'resolved')]),
      graph('Watchdog', [
        metric(METRIC.watchdogHeartbeat, 'heartbeats'),
        metric(METRIC.watchdogFindings, 'problems seen'),
      ]),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms ?? [], width: 8, height: 6 }),
    );
  }
}

// The alarms the "Nightshift watches itself" issue names, the watchdog job, and the operations dashboard.
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { dashboardName } from '#infra/dashboard.ts';
import { METRIC } from '#shared/observability/metrics.ts';
import { actionsOf, logicalId, roleStatements, synthesize } from './support.ts';

const { stack, template } = synthesize();
const alarms = () => template.findResources('AWS::CloudWatch::Alarm');
const alarmOn = (namespace: string, metricName: string) =>
  Object.values(alarms())
    .map((a) => a.Properties)
    .filter((p) => p.Namespace === namespace && p.MetricName === metricName);

describe('alarms', () => {
  it('every function has an errors alarm and a throttles alarm on its own metrics', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    for (const metricName of ['Errors', 'Throttles']) {
      const watched = alarmOn('AWS/Lambda', metricName).map((p) => p.Dimensions[0].Value.Ref);
      expect(watched.sort(), metricName).toEqual([...functions].sort());
    }
    expect(alarmOn('AWS/Lambda', 'Errors')[0]).toMatchObject({
      Threshold: 1,
      Period: 300,
      TreatMissingData: 'notBreaching',
    });
  });

  it('the watchdog heartbeat alarm treats missing data as breaching and notifies the alarm topic', () => {
    const [heartbeat] = alarmOn('Nightshift', METRIC.watchdogHeartbeat);
    expect(heartbeat).toMatchObject({
      Dimensions: [{ Name: 'service', Value: 'nightshift' }],
      Statistic: 'Sum',
      Period: 3600,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: logicalId(stack.monitoring.topic) }],
    });
    expect(stack.jobs.heartbeatAlarm).toBeDefined();
  });

  it('SES publishes sending events to CloudWatch, with an alarm on bounces and one on complaints', () => {
    const set = logicalId(stack.delivery.configurationSet);
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: set },
      EventDestination: {
        Enabled: true,
        MatchingEventTypes: Match.arrayWith(['bounce', 'complaint']),
        CloudWatchDestination: {
          DimensionConfigurations: [
            {
              DimensionName: 'ses:configuration-set',
              DimensionValueSource: 'messageTag',
              DefaultDimensionValue: 'none',
            },
          ],
        },
      },
    });
    for (const metricName of ['Bounce', 'Complaint']) {
      expect(alarmOn('AWS/SES', metricName), metricName).toEqual([
        expect.objectContaining({ Dimensions: [{ Name: 'ses:configuration-set', Value: { Ref: set } }], Threshold: 1 }),
      ]);
    }
  });

  it('the events queue alarms when its oldest message is too old, and each dead-letter queue on any message', () => {
    expect(alarmOn('AWS/SQS', 'ApproximateAgeOfOldestMessage')).toHaveLength(1);
    expect(alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible')).toHaveLength(4);
  });
});

describe('the watchdog job', () => {
  const watchdog = () => stack.jobs.functions.watchdog!;

  it('runs hourly in the config time zone, a quarter past the rollup minute', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(45 * * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      Target: {
        Arn: { 'Fn::GetAtt': [logicalId(watchdog().fn), 'Arn'] },
        Input: Match.serializedJson(Match.objectLike({ job: 'watchdog' })),
      },
    });
  });

  it('reads the events table without writing it, keeps state, may mail, and watches the deployed jobs only', () => {
    const statements = roleStatements(template, logicalId(watchdog().role));
    const events = statements.filter((s) => JSON.stringify(s.Resource).includes(logicalId(stack.tables.events)));
    expect(events.flatMap(actionsOf).some((a) => /Put|Write|Update|Delete/.test(a))).toBe(false);
    expect(JSON.stringify(statements)).toContain(logicalId(stack.delivery.queue));
    const env = template.toJSON().Resources[logicalId(watchdog().fn)].Properties.Environment.Variables;
    expect(env.WATCHED_JOBS).toBe('rollup-kpis,detect-anomalies,check-backups,plan-reports');

    const partial = synthesize({ hasHandler: (name) => name !== 'check-backups' && name !== 'detect-anomalies' });
    const partialEnv = partial.template.toJSON().Resources[logicalId(partial.stack.jobs.functions.watchdog!.fn)];
    expect(partialEnv.Properties.Environment.Variables.WATCHED_JOBS).toBe('rollup-kpis,plan-reports');
  });

  it('without its handler there is no watchdog and no heartbeat alarm to fire forever', () => {
    const bare = synthesize({ hasHandler: () => false });
    expect(bare.stack.jobs.functions.watchdog).toBeUndefined();
    expect(bare.stack.jobs.heartbeatAlarm).toBeUndefined();
  });
});

describe('the operations dashboard', () => {
  const body = () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    return { name: dashboard?.Properties.DashboardName, json: JSON.stringify(dashboard?.Properties.DashboardBody) };
  };

  it('shows events in, rejects, job runs, incidents and emails sent from the EMF metrics', () => {
    const { name, json } = body();
    expect(name).toBe(dashboardName({ name: 'nightshift' }));
    for (const title of ['Events in', 'Rejects', 'Job runs', 'Job failures', 'Incidents', 'Emails sent', 'Watchdog']) {
      expect(json, title).toContain(`\\"title\\":\\"${title}\\"`);
    }
    for (const metric of [METRIC.eventsAccepted, METRIC.eventsRejected, METRIC.incidentsOpened, METRIC.emailsSent]) {
      expect(json, metric).toContain(`[\\"Nightshift\\",\\"${metric}\\",\\"service\\",\\"nightshift\\"`);
    }
    for (const job of ['rollup-kpis', 'detect-anomalies', 'check-backups', 'plan-reports', 'watchdog']) {
      expect(json, job).toContain(
        `[\\"Nightshift\\",\\"JobRuns\\",\\"job\\",\\"${job}\\",\\"service\\",\\"nightshift\\"`,
      );
    }
  });

  it('lists every alarm of the stack in its alarm status widget', () => {
    const { json } = body();
    for (const id of Object.keys(alarms())) expect(json, id).toContain(`"Fn::GetAtt":["${id}","Arn"]`);
  });
});

// The custom metrics Nightshift publishes in Embedded Metric Format (Powertools Metrics writes them into the log
// stream; CloudWatch extracts them, so no PutMetricData call or permission is needed). The dashboard and the
// watchdog's heartbeat alarm in infra/ read exactly these names and dimensions.

export const METRICS_NAMESPACE = 'Nightshift';

/** Every metric carries the dimension `service` = the config's `name`; job metrics also carry `job`. */
export const METRIC = {
  /** Events stored by ingest-events (Count, per batch). */
  eventsAccepted: 'EventsAccepted',
  /** Events quarantined with a reason (Count). */
  eventsRejected: 'EventsRejected',
  /** Messages whose write failed and that SQS redelivers (Count). */
  eventsRetried: 'EventsRetried',
  /** Runs of a scheduled job, with `job` (Count). */
  jobRuns: 'JobRuns',
  /** Runs that failed, with `job` (Count). */
  jobFailures: 'JobFailures',
  /** Wall time of a run, with `job` (Milliseconds). */
  jobDuration: 'JobDuration',
  /** Incidents opened by detection or the watchdog (Count). */
  incidentsOpened: 'IncidentsOpened',
  incidentsResolved: 'IncidentsResolved',
  /** Mails handed to SES (Count). */
  emailsSent: 'EmailsSent',
  /** One per completed watchdog check: the dead-man's switch the heartbeat alarm watches (Count). */
  watchdogHeartbeat: 'WatchdogHeartbeat',
  /** Problems the watchdog currently sees (Count). */
  watchdogFindings: 'WatchdogFindings',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const SERVICE_DIMENSION = 'service';
export const JOB_DIMENSION = 'job';

// What a handler logs and measures: a Powertools Logger whose JSON replacer is the personal-data scrubber, Powertools
// Metrics in EMF, and wrappers that give each run or batch a correlation id on every log line, count job runs,
// failures and durations, flush metrics, and rethrow failures with personal data blanked (the Lambda runtime logs an
// uncaught error itself, outside any logger).
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { JOB_DIMENSION, METRIC, METRICS_NAMESPACE, type MetricName } from './metrics.ts';
import { createScrubber, type Scrubber, type ScrubOptions, scrubError } from './scrub.ts';

export interface ObservabilityOptions extends ScrubOptions {
  /** The `service` key of log lines and dimension of metrics: the config's `name`. */
  service: string;
  /** @default 'Nightshift' */
  namespace?: string;
  /** @default Date.now */
  clock?: () => number;
}

/** What one ingested batch counted (the shape of shared/events/ingest.ts's result). */
export interface IngestCounts {
  accepted: number;
  rejected: readonly unknown[];
  failed: readonly unknown[];
}

export interface Observability {
  logger: Logger;
  metrics: Metrics;
  scrubber: Scrubber;
  /**
   * Runs one invocation (a batch, a delivery, a check) with `correlation_id` on every log line; logs and rethrows a
   * failure with personal data blanked, and publishes the metrics counted meanwhile.
   */
  invocation<T>(work: () => Promise<T>, correlationId?: string): Promise<T>;
  /**
   * Runs a scheduled job as one invocation, correlated by job and scheduled time (so Lambda's retries of one
   * scheduled run share the id); logs its summary and counts JobRuns, JobFailures and JobDuration for `job`.
   */
  job<T>(job: string, trigger: unknown, work: () => Promise<T>): Promise<T>;
  count(metric: MetricName, value?: number): void;
  ingested(counts: IngestCounts): void;
  /** Counts IncidentsOpened and IncidentsResolved from run summaries with `opened` and `resolved` id lists. */
  incidents(...summaries: ReadonlyArray<{ opened?: unknown; resolved?: unknown }>): void;
  emailSent(): void;
  /** The watchdog's dead-man's switch: one beat per completed check, and how many problems it sees. */
  heartbeat(findings: number): void;
}

const CORRELATION_KEY = 'correlation_id';

export function createObservability(options: ObservabilityOptions): Observability {
  const clock = options.clock ?? Date.now;
  const scrubber = createScrubber(options);
  const logger = new Logger({ serviceName: options.service, jsonReplacerFn: scrubber.replacer });
  const namespace = options.namespace ?? METRICS_NAMESPACE;
  const metrics = new Metrics({ namespace, serviceName: options.service, logger });
  // Job metrics carry one more dimension, so they go out as their own EMF document.
  const jobMetrics = new Metrics({ namespace, serviceName: options.service, logger });

  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };

  const invocation = async <T>(work: () => Promise<T>, correlationId: string = randomUUID()): Promise<T> => {
    logger.appendKeys({ [CORRELATION_KEY]: correlationId });
    try {
      return await work();
    } catch (error) {
      const safe = scrubError(error, scrubber);
      logger.error('invocation failed', safe);
      throw safe;
    } finally {
      flush();
      logger.removeKeys([CORRELATION_KEY]);
    }
  };

  const count = (metric: MetricName, value = 1) => {
    if (value > 0) metrics.addMetric(metric, MetricUnit.Count, value);
  };

  return {
    logger,
    metrics,
    scrubber,
    invocation,
    job(job, trigger, work) {
      const scheduledTime = (trigger as { scheduledTime?: unknown } | null | undefined)?.scheduledTime;
      const scheduled = typeof scheduledTime === 'string' ? scheduledTime : undefined;
      return invocation(
        async () => {
          const start = clock();
          let ok = false;
          logger.info('job started', { job, scheduledTime: scheduled });
          try {
            const summary = await work();
            ok = true;
            logger.info('job done', { job, durationMs: clock() - start, summary });
            return summary;
          } finally {
            jobMetrics.addDimension(JOB_DIMENSION, job);
            jobMetrics.addMetric(METRIC.jobRuns, MetricUnit.Count, 1);
            jobMetrics.addMetric(METRIC.jobFailures, MetricUnit.Count, ok ? 0 : 1);
            jobMetrics.addMetric(METRIC.jobDuration, MetricUnit.Milliseconds, clock() - start);
            jobMetrics.publishStoredMetrics();
          }
        },
        `${job}:${scheduled ?? randomUUID()}`,
      );
    },
    count,
    ingested(counts) {
      count(METRIC.eventsAccepted, counts.accepted);
      count(METRIC.eventsRejected, counts.rejected.length);
      count(METRIC.eventsRetried, counts.failed.length);
    },
    incidents(...summaries) {
      const total = (key: 'opened' | 'resolved') =>
        summaries.reduce((n, s) => n + (Array.isArray(s[key]) ? s[key].length : 0), 0);
      count(METRIC.incidentsOpened, total('opened'));
      count(METRIC.incidentsResolved, total('resolved'));
    },
    emailSent() {
      count(METRIC.emailsSent);
    },
    heartbeat(findings) {
      metrics.addMetric(METRIC.watchdogHeartbeat, MetricUnit.Count, 1);
      metrics.addMetric(METRIC.watchdogFindings, MetricUnit.Count, findings);
    },
  };
}

let cached: Observability | undefined;

/** The handlers' observability, built once per cold start from the config (its name and its people). */
export function observability(config: { name: string; people: ReadonlyArray<{ name: string; email: string }> }) {
  cached ??= createObservability({ service: config.name, people: config.people });
  return cached;
}

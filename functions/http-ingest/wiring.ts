// What the http-ingest function builds once per cold start (the write keys' secret, the events queue, the store for
// quarantined calls), the API Gateway event as the shared request shape, and what a request adds to metrics and logs.
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { EnvironmentError, lambdaRuntime } from '#functions/runtime.ts';
import type { HttpRequest, RequestSummary, SegmentApiDeps } from '#shared/events/http-api.ts';
import { queueSink } from '#shared/events/http-sinks.ts';
import { type Observability, observability } from '#shared/observability/observe.ts';
import { createSqsEventQueue } from '#shared/queue/events-queue.ts';
import { secretsManagerWriteKeys } from '#shared/secrets/write-keys.ts';

export interface HttpIngestEnv {
  /** The events queue (`bindQueue(queue, 'send', 'EVENTS_QUEUE_URL')`). */
  EVENTS_QUEUE_URL: string;
  /** The secret holding the write keys. */
  WRITE_KEYS_SECRET_ARN: string;
}

export function readHttpIngestEnv(env: NodeJS.ProcessEnv): HttpIngestEnv {
  const queueUrl = env.EVENTS_QUEUE_URL ?? '';
  if (!/^https:\/\/\S+$/.test(queueUrl)) {
    throw new EnvironmentError(`EVENTS_QUEUE_URL: expected an https URL, got '${queueUrl}'`);
  }
  const secret = env.WRITE_KEYS_SECRET_ARN ?? '';
  if (!/^arn:[\w-]+:secretsmanager:\S+$/.test(secret)) {
    throw new EnvironmentError(`WRITE_KEYS_SECRET_ARN: expected a Secrets Manager ARN, got '${secret}'`);
  }
  return { EVENTS_QUEUE_URL: queueUrl, WRITE_KEYS_SECRET_ARN: secret };
}

let runtime: { deps: SegmentApiDeps; obs: Observability } | undefined;

export function httpIngestRuntime(): { deps: SegmentApiDeps; obs: Observability } {
  if (runtime) return runtime;
  const { config, store, now, people } = lambdaRuntime();
  const env = readHttpIngestEnv(process.env);
  runtime = {
    deps: {
      config,
      now,
      writeKeys: secretsManagerWriteKeys({ secretId: env.WRITE_KEYS_SECRET_ARN, now }),
      sink: queueSink({ queue: createSqsEventQueue({ queueUrl: env.EVENTS_QUEUE_URL }), store, config }),
    },
    obs: observability({ name: config.name, people }),
  };
  return runtime;
}

/** The API Gateway (payload format 2.0) or function URL event as the request the shared handler takes. */
export function fromApiGateway(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    headers,
    body:
      event.body === undefined ? new Uint8Array() : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    id: event.requestContext.requestId,
  };
}

/** Counts the request's calls (EMF metrics) and logs a refusal with its code: counts and reasons only, no data. */
export function recordRequest(obs: Observability, s: RequestSummary): void {
  const count = (name: string, n: number) => {
    if (n > 0) obs.metrics.addMetric(name, MetricUnit.Count, n);
  };
  const total = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce((n = 0, k = 0) => n + k, 0);
  count('HttpCallsReceived', s.received);
  count('HttpEventsQueued', s.accepted);
  count('HttpCallsQuarantined', total(s.quarantined) ?? 0);
  count('HttpProfileCalls', total(s.profileCalls) ?? 0);
  if (s.status === 200) obs.logger.debug('request', { ...s });
  else {
    count('HttpRequestsRefused', 1);
    obs.logger.warn('request refused', { ...s });
  }
}

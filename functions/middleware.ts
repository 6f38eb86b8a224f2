// How every handler is built: middy with Powertools' middlewares, so each handler file is only its trigger's schema
// and one call into shared/. Logger with the Lambda context (request id, cold start) on every line, Metrics flushed
// after each invocation (with a cold-start metric), Tracer around the invocation and the AWS SDK clients, and the
// trigger parsed by a zod schema before the body sees it (a malformed trigger fails with the schema's message).
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda';
// zod/mini: the same schemas at about 14 KB of bundle instead of 450 KB (the cold-start budget).
import * as z from 'zod/mini';
import { type Observability, observability } from '#shared/observability/observe.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import { createSqsQueue } from '#shared/queue/sqs-queue.ts';
import { EnvironmentError, type LambdaEnv, type LambdaRuntime, lambdaRuntime } from './runtime.ts';

/** What a handler body gets besides its parsed trigger. */
export interface HandlerContext extends LambdaRuntime {
  obs: Observability;
  tracer: Tracer;
}

let tracer: Tracer | undefined;

/** The function's tracer: X-Ray segments for the invocation and for every AWS SDK client passed to `traced`. */
export function functionTracer(): Tracer {
  tracer ??= new Tracer({ serviceName: lambdaRuntime().config.name });
  return tracer;
}

/** An AWS SDK v3 client whose calls appear as subsegments of the invocation's trace. */
export function traced<T>(client: T): T {
  return functionTracer().captureAWSv3Client(client);
}

let delivery: DeliveryQueue | undefined;

/** The delivery queue named by DELIVERY_QUEUE_URL: one traced client per cold start. */
export function deliveryQueue(env: LambdaEnv): DeliveryQueue {
  if (!env.DELIVERY_QUEUE_URL) throw new EnvironmentError('DELIVERY_QUEUE_URL is not set');
  delivery ??= createSqsQueue(env.DELIVERY_QUEUE_URL, traced(new SQSClient({})));
  return delivery;
}

/**
 * A Lambda handler: `body` runs with the trigger parsed by `schema`, inside the Powertools middlewares. The chain is
 * built on the first invocation, once the runtime (config, store) exists.
 */
export function nightshiftHandler<S extends z.ZodMiniType, R>(
  schema: S,
  body: (event: z.infer<S>, ctx: HandlerContext) => Promise<R>,
): (event: unknown, context: Context) => Promise<R> {
  let built: ((event: unknown, context: Context) => Promise<R>) | undefined;
  const build = () => {
    const runtime = lambdaRuntime();
    const obs = observability({ name: runtime.config.name, people: runtime.people });
    const ctx: HandlerContext = { ...runtime, obs, tracer: functionTracer() };
    return middy(async (event: z.infer<S>) => body(event, ctx))
      .use(injectLambdaContext(obs.logger))
      .use(logMetrics(obs.metrics, { captureColdStartMetric: true }))
      .use(captureLambdaHandler(ctx.tracer, { captureResponse: false }))
      .use(parser({ schema })) as unknown as (event: unknown, context: Context) => Promise<R>;
  };
  return (event, context) => {
    built ??= build();
    return built(event, context);
  };
}

/** EventBridge Scheduler's payload for a nightly job (infra/nightly-jobs.ts): the job and the scheduled time. */
export const ScheduledJob = z.looseObject({
  job: z.optional(z.string()),
  scheduledTime: z.optional(z.iso.datetime({ offset: true })),
});

/** The local date a schedule or a person asks a job to work on, e.g. a day a failed night missed. */
export const LocalDateInput = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a local date as YYYY-MM-DD'));

/**
 * An SQS batch as the event source mapping delivers it. The schema checks what the handlers read of each record; the
 * rest passes through unchanged, so the result is typed as the whole event.
 */
export const SqsBatch = z.looseObject({
  Records: z.array(
    z.looseObject({
      messageId: z.string(),
      body: z.string(),
      attributes: z.looseObject({ SentTimestamp: z.string(), ApproximateReceiveCount: z.string() }),
    }),
  ),
}) as unknown as z.ZodMiniType<SQSEvent>;

/** An API Gateway HTTP API request (payload format 2.0): checked where the ingestion API reads it, typed whole. */
export const HttpApiRequest = z.looseObject({
  rawPath: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.optional(z.string()),
  isBase64Encoded: z.boolean(),
  requestContext: z.looseObject({ requestId: z.string(), http: z.looseObject({ method: z.string() }) }),
}) as unknown as z.ZodMiniType<APIGatewayProxyEventV2>;

// Events in over HTTP: a Segment-compatible endpoint (API Gateway HTTP API, throttled, access-logged) in front of the
// events queue. `http-ingest` checks the write key held in Secrets Manager, answers as Segment's tracking API does,
// sends accepted events to the queue (ingest-events stores them) and quarantines refused calls in the events table.
import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { SEGMENT_CALL_TYPES } from '#shared/events/segment.ts';
import { type FunctionFactory, NightshiftFunction } from './nightshift-function.ts';
import type { StateTables } from './state-tables.ts';
import { TABLE_ACCESS } from './table-access.ts';

export interface HttpIngestionProps {
  readonly config: NightshiftConfig;
  readonly tables: StateTables;
  /** The events queue accepted events are sent to. */
  readonly queue: sqs.IQueue;
  /** @default bundledFunctions */
  readonly functionFactory?: FunctionFactory;
  /**
   * The write keys: a secret whose value is `{"writeKey": "..."}` or `{"writeKeys": ["...", ...]}`.
   * @default - a new secret with one generated 40-character key
   */
  readonly writeKeySecret?: secretsmanager.ISecret;
  /**
   * Steady requests per second the endpoint answers before it answers 429 (which SDKs retry). One request holds up
   * to 500 KB of calls (a few thousand events), so the default is far above a million events a day.
   * @default 100
   */
  readonly rateLimit?: number;
  /** Requests per second allowed in a burst. @default 200 */
  readonly burstLimit?: number;
}

/** The paths the API answers; POST only. */
export const INGESTION_PATHS = ['/v1/batch', '/v1/import', ...SEGMENT_CALL_TYPES.map((t) => `/v1/${t}`)];

export class HttpIngestion extends Construct {
  public readonly api: apigw.HttpApi;
  public readonly stage: apigw.HttpStage;
  /** SDKs send to this URL (`host` in @segment/analytics-node). */
  public readonly url: string;
  public readonly writeKeySecret: secretsmanager.ISecret;
  public readonly handler: NightshiftFunction;
  public readonly accessLogs: logs.LogGroup;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: HttpIngestionProps) {
    super(scope, id);
    const { config } = props;

    if (props.writeKeySecret) this.writeKeySecret = props.writeKeySecret;
    else {
      const secret = new secretsmanager.Secret(this, 'WriteKeys', {
        description: `${config.name}: write keys of the Segment-compatible HTTP ingestion API`,
        generateSecretString: {
          secretStringTemplate: '{}',
          generateStringKey: 'writeKey',
          excludePunctuation: true,
          includeSpace: false,
          passwordLength: 40,
        },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'A write key is not a credential a service can rotate alone: every application sending events holds it. ' +
          'It is rotated by hand, with no downtime, by listing the new and the old key in "writeKeys" until clients ' +
          'have moved (the function rereads the secret every 5 minutes).',
      });
      this.writeKeySecret = secret;
    }

    this.handler = new NightshiftFunction(this, 'HttpIngest', {
      name: 'http-ingest',
      description: 'Segment-compatible HTTP ingestion: checks the write key, queues accepted events',
      config,
      // Secrets Manager and SQS answer in milliseconds; a request that waits longer is better answered 5xx and resent.
      timeout: Duration.seconds(10),
      functionFactory: props.functionFactory,
      environment: { WRITE_KEYS_SECRET_ARN: this.writeKeySecret.secretArn },
    }).bindQueue(props.queue, 'send', 'EVENTS_QUEUE_URL');
    this.writeKeySecret.grantRead(this.handler);

    // Quarantine only: the function may put items in the events table's quarantine partitions and nowhere else.
    this.handler.bindTables(props.tables, TABLE_ACCESS['http-ingest']);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${config.name}-ingestion`,
      description: `${config.name}: Segment-compatible event ingestion (POST /v1/batch with the write key as Basic auth)`,
      createDefaultStage: false,
    });
    this.stage = new apigw.HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 100, burstLimit: props.burstLimit ?? 200 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogs),
        // No source IP or user agent: personal data the access log does not need.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTimeEpoch',
            route: '$context.routeKey',
            status: '$context.status',
            length: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            error: '$context.error.message',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('Integration', this.handler.fn, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    for (const path of INGESTION_PATHS) {
      const [route] = this.api.addRoutes({ path, methods: [apigw.HttpMethod.POST], integration });
      Validations.of(route!).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Analytics SDKs authenticate with a write key sent as the Basic auth user name, which no API Gateway ' +
          'authorizer type checks without a Lambda of its own; http-ingest checks it against the secret before reading the body.',
      });
    }
    this.url = this.api.apiEndpoint;

    this.alarms = [
      new cloudwatch.Alarm(this, 'ServerErrorAlarm', {
        alarmDescription:
          'HTTP ingestion: requests answered 5xx (clients resend them, but the queue or the write key secret may be unreachable).',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/ApiGateway',
          metricName: '5xx',
          dimensionsMap: { ApiId: this.api.apiId, Stage: this.stage.stageName },
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        threshold: 10,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}

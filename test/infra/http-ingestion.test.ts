// The Segment-compatible endpoint in the stack: an HTTP API with the SDKs' routes, throttled and access-logged, in
// front of http-ingest, which may send to the events queue, read the write-key secret and write quarantine items only.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { HttpIngestion, INGESTION_PATHS } from '#infra/http-ingestion.ts';
import { inlineFunctions } from '#infra/nightshift-function.ts';
import { StateTables } from '#infra/state-tables.ts';
import { exampleConfig } from '../support/config.ts';
import { actionsOf, logicalId, roleStatements, synthesize } from './support.ts';

const { stack, template } = synthesize();
const http = stack.httpIngestion;
const fn = logicalId(http.handler.fn);
const statements = roleStatements(template, logicalId(http.handler.role));

describe('the HTTP ingestion endpoint', () => {
  it('is an HTTP API answering POST on /v1/batch and every Segment call type, all through http-ingest', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', Name: 'nightshift-ingestion' });
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties.RouteKey as string,
    );
    expect(routes.sort()).toEqual(INGESTION_PATHS.map((p) => `POST ${p}`).sort());
    expect(routes).toContain('POST /v1/batch');
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [fn, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
  });

  it('its stage is throttled (100 requests/s, bursts of 200 by default) and access-logged without IPs', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [logicalId(http.accessLogs), 'Arn'] } },
    });
    expect(stage.AccessLogSettings.Format).toContain('$context.requestId');
    expect(stage.AccessLogSettings.Format).not.toMatch(/sourceIp|userAgent/);
  });

  it('its URL and the write-key secret are stack outputs', () => {
    const outputs = template.toJSON().Outputs;
    expect(JSON.stringify(outputs.IngestionUrl.Value)).toContain(logicalId(http.api));
    expect(outputs.WriteKeySecretArn.Value).toEqual({ Ref: logicalId(http.writeKeySecret as secretsmanager.Secret) });
  });

  it('the write key is a generated 40-character secret value under "writeKey"', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: {
        SecretStringTemplate: '{}',
        GenerateStringKey: 'writeKey',
        ExcludePunctuation: true,
        IncludeSpace: false,
        PasswordLength: 40,
      },
    });
  });

  it('http-ingest knows the queue and the secret, and has a short timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 10,
      Environment: {
        Variables: Match.objectLike({
          EVENTS_QUEUE_URL: { Ref: logicalId(stack.ingestion.queue) },
          WRITE_KEYS_SECRET_ARN: { Ref: logicalId(http.writeKeySecret as secretsmanager.Secret) },
          EVENTS_TABLE: { Ref: logicalId(stack.tables.events) },
        }),
      },
    });
  });

  it('http-ingest may send to the events queue, read its secret, and put items in quarantine partitions only', () => {
    const on = (resource: unknown) =>
      statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(resource)).flatMap(actionsOf);
    const table = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

    expect(on({ 'Fn::GetAtt': [logicalId(stack.ingestion.queue), 'Arn'] })).toEqual(
      expect.arrayContaining(['sqs:SendMessage']),
    );
    expect(on({ Ref: logicalId(http.writeKeySecret as secretsmanager.Secret) })).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue']),
    );
    expect(table).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:BatchWriteItem',
        Resource: { 'Fn::GetAtt': [logicalId(stack.tables.events), 'Arn'] },
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['Q#*'] } },
      },
    ]);
  });

  it('an alarm watches its 5xx answers', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: Match.arrayWith([{ Name: 'ApiId', Value: { Ref: logicalId(http.api) } }]),
    });
  });

  it('cdk-nag finds nothing unacknowledged in it', () => {
    const findings = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))
      .filter((f) => f.includes('/HttpIngestion/'));
    expect(findings).toEqual([]);
  });
});

describe('the HttpIngestion construct', () => {
  it('takes an existing secret and the throttle it is given', () => {
    const s = new Stack(new App(), 'Alone');
    const config = exampleConfig();
    const existing = secretsmanager.Secret.fromSecretNameV2(s, 'Keys', 'shared/write-keys');
    new HttpIngestion(s, 'Http', {
      config,
      tables: new StateTables(s, 'Tables'),
      queue: new sqs.Queue(s, 'Queue', { enforceSSL: true }),
      functionFactory: inlineFunctions,
      writeKeySecret: existing,
      rateLimit: 5,
      burstLimit: 9,
    });
    const t = Template.fromStack(s);

    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 9 },
    });
  });
});

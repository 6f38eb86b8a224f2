// The http-ingest handler as deployed: the config baked in, the environment the stack sets, Secrets Manager and SQS
// mocked (no local stand-in), the quarantine on the test's DynamoDB Local; what it answers, sends, and writes to its
// logs (counts and reasons, never the calls' personal data).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { freshStore } from '../support/dynamo.ts';
import { lambdaContext } from '../support/lambda.ts';
import { basic, config, NOW, quarantined, track, WRITE_KEY } from './support.ts';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nightshift-write-keys-AbCdEf';
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/events';
const secrets = mockClient(SecretsManagerClient);
const sqs = mockClient(SQSClient);
const PERSONAL = ['mei.ling@example.org', '203.0.113.77', 'u_personal_42'];
const lines: string[] = [];
let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
let store: Awaited<ReturnType<typeof freshStore>>['store'];

function event(body: unknown, authorization = basic(WRITE_KEY)): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /v1/batch',
    rawPath: '/v1/batch',
    rawQueryString: '',
    headers: { authorization, 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    isBase64Encoded: true,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path: '/v1/batch', protocol: 'HTTP/1.1', sourceIp: '198.51.100.7', userAgent: 'test' },
      requestId: `req-${lines.length}`,
      routeKey: 'POST /v1/batch',
      stage: '$default',
      time: '22/Nov/2026:01:15:00 +0000',
      timeEpoch: NOW,
    },
  };
}

beforeAll(async () => {
  // The function's clock is Date.now: it reads the tests' instant, never the real one (only Date is faked).
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  const fresh = await freshStore('http-lambda');
  store = fresh.store;
  Object.assign(globalThis, { __NIGHTSHIFT_CONFIG__: JSON.stringify(config) });
  vi.stubEnv('EVENTS_TABLE', fresh.tables.events);
  vi.stubEnv('EVENTS_QUEUE_URL', QUEUE);
  vi.stubEnv('WRITE_KEYS_SECRET_ARN', SECRET);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoEndpoint'));
  vi.stubEnv('AWS_REGION', LOCAL_AWS.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_AWS.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_AWS.credentials.secretAccessKey);
  secrets
    .on(GetSecretValueCommand, { SecretId: SECRET })
    .resolves({ SecretString: JSON.stringify({ writeKey: WRITE_KEY }) });
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string }> }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id })),
    Failed: [],
  }));
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
  }
  ({ handler } = await import('#functions/http-ingest/handler.ts'));
});

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  secrets.reset();
  sqs.reset();
});

describe('the http-ingest function', () => {
  it('queues valid events, quarantines the rest, and reads the write keys once per cold start', async () => {
    const call = (id: string, extra: Record<string, unknown> = {}) =>
      track(id, 60, {
        userId: PERSONAL[2],
        context: { ip: PERSONAL[1] },
        properties: { email: PERSONAL[0] },
        ...extra,
      });

    const first = await handler(
      event({ batch: [call('l1'), call('l2', { timestamp: 'soon' })] }),
      lambdaContext('http-ingest'),
    );
    const second = await handler(event({ batch: [call('l3')] }), lambdaContext('http-ingest'));

    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(JSON.parse(first.body!)).toMatchObject({ received: 2, accepted: 1, quarantined: 1 });
    const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(sent.map((e) => JSON.parse(e.MessageBody!).messageId)).toEqual(['l1', 'l3']);
    expect(sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.QueueUrl).toBe(QUEUE);
    expect((await quarantined(store)).map((q) => q.reason)).toEqual(['bad_timestamp']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('a wrong key is 401 and its refusal is logged with its code only', async () => {
    const response = await handler(
      event({ batch: [track('x', 61, { userId: PERSONAL[2] })] }, basic('not-the-key')),
      lambdaContext('http-ingest'),
    );

    expect(response.statusCode).toBe(401);
    expect(response.headers?.['www-authenticate']).toMatch(/^Basic/);
    expect(lines.join('')).toMatch(/"request refused".*"refused":"unauthorized"/);
  });

  it('its logs and metrics hold counts and reasons, none of the personal data the calls carried', async () => {
    await handler(
      event({ batch: [track('p', 62, { userId: PERSONAL[2], context: { ip: PERSONAL[1] } })] }),
      lambdaContext('http-ingest'),
    );

    const output = lines.join('');
    expect(output).toContain('HttpCallsReceived');
    for (const value of PERSONAL) expect(output).not.toContain(value);
    expect(output).not.toContain(WRITE_KEY);
  });
});

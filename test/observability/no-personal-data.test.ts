// Runs the real logging paths (the ingest and rollup handlers, the watchdog with its heartbeat, a failing job, and
// careless log calls a future change might add) with events full of personal data, capturing everything written to
// stdout and stderr, and asserts none of that data is in any line, nor the pseudonym key the functions read from
// Secrets Manager at cold start (mocked: it has no local stand-in).
import { createHash } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { METRIC } from '#shared/observability/metrics.ts';
import { observability } from '#shared/observability/observe.ts';
import { PseudonymKey, pseudonymKey } from '#shared/privacy/pseudonym.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { lambdaContext, sqsEvent } from '../support/lambda.ts';

const PERSONAL = {
  userId: 'u_5f3a9c_personal',
  anonymousId: 'anon_88e1_personal',
  orderId: 'ord_7731_personal',
  email: 'mei.ling.personal@example.org',
  name: 'Mei Ling Personal',
  phone: '+86 138 0000 1234',
  // From the config's people: a recipient's name and address.
  staffName: 'Chen Jie',
  staffEmail: 'chen.jie@example.com',
  street: '12 West Lake Road Personal',
  city: 'Hangzhou Personal',
  // The key pseudonyms are made with: in Secrets Manager, never in a log.
  pseudonymKey: 'pseudonym-key-in-secrets-manager-0123456789abcdefXYZ',
};
const KEY_SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nightshift-pseudonym-AbCdEf';
const secrets = mockClient(SecretsManagerClient);

const lines: string[] = [];
const config = exampleConfig();
const timestamp = '2026-11-22T09:15:00+08:00';

const order = {
  messageId: 'm-1',
  event: 'Order Completed',
  userId: PERSONAL.userId,
  timestamp,
  properties: {
    orderId: PERSONAL.orderId,
    email: PERSONAL.email,
    name: PERSONAL.name,
    phone: PERSONAL.phone,
    address: { street: PERSONAL.street, city: PERSONAL.city, province: 'Zhejiang' },
    age: 34,
    revenue: 129,
  },
};

beforeAll(async () => {
  const { tables } = await freshStore('observability');
  // What the stack gives a deployed function: the config baked in, table names and endpoints in the environment.
  Object.assign(globalThis, { __NIGHTSHIFT_CONFIG__: JSON.stringify(config) });
  vi.stubEnv('EVENTS_TABLE', tables.events);
  vi.stubEnv('STATE_TABLE', tables.state);
  vi.stubEnv('DELIVERY_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/123456789012/delivery');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoEndpoint'));
  vi.stubEnv('AWS_REGION', LOCAL_AWS.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_AWS.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_AWS.credentials.secretAccessKey);
  vi.stubEnv('WATCHED_JOBS', 'rollup-kpis');
  // What the stack gives ingest-events: the secret's ARN, never its value.
  vi.stubEnv('PSEUDONYM_KEY_SECRET', KEY_SECRET);
  secrets.on(GetSecretValueCommand, { SecretId: KEY_SECRET }).resolves({ SecretString: PERSONAL.pseudonymKey });
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
  }

  const ingest = (await import('#functions/ingest-events/handler.ts')).handler;
  await ingest(
    sqsEvent(
      [
        JSON.stringify(order),
        // Rejected: not JSON, no timestamp, a user id that is not a string.
        `{"messageId":"m-2","userId":"${PERSONAL.userId}","email":"${PERSONAL.email}"`,
        JSON.stringify({
          messageId: 'm-3',
          event: 'Signed Up',
          anonymousId: PERSONAL.anonymousId,
          properties: { email: PERSONAL.email },
        }),
        JSON.stringify({ messageId: 'm-4', event: 'Signed Up', userId: { name: PERSONAL.name }, timestamp }),
      ],
      { sentAt: Date.parse(timestamp) },
    ),
    lambdaContext('ingest-events'),
  );

  const watchdog = (await import('#functions/watchdog/handler.ts')).handler;
  await watchdog({ job: 'watchdog', scheduledTime: '2026-11-22T01:45:00Z' }, lambdaContext('watchdog'));

  // A job that fails with personal data in its error, as an SES rejection or a store error quoting a body can.
  const obs = observability(config);
  await obs
    .job('plan-reports', { scheduledTime: '2026-11-22T21:00:00Z' }, async () => {
      throw new Error(`MessageRejected: Email address is not verified: ${PERSONAL.staffName} <${PERSONAL.staffEmail}>`);
    })
    .catch((error: Error) =>
      lines.push(`uncaught (as the Lambda runtime logs it): ${error.name}: ${error.message}\n${error.stack}`),
    );

  // Careless calls a later change might make: the raw record, the parsed event, an error quoting the body.
  await obs.invocation(async () => {
    obs.logger.info('debugging a batch', {
      record: sqsEvent([JSON.stringify(order)], { sentAt: Date.parse(timestamp) }).Records[0],
      event: order,
    });
    obs.logger.warn(`could not store ${JSON.stringify(order)} for ${PERSONAL.staffName}`);
    obs.logger.error(
      'store failed',
      new Error(`item ${JSON.stringify({ userId: PERSONAL.userId, orderId: PERSONAL.orderId })}`),
    );
    obs.logger.info('customer', {
      customer: { address: order.properties.address, age: 34, city: PERSONAL.city, userId: PERSONAL.userId },
    });
    obs.logger.info('runtime', { pseudonymKey: pseudonymKey(), key: pseudonymKey(), secret: PERSONAL.pseudonymKey });
    obs.logger.warn(`secret read: ${PERSONAL.pseudonymKey}`, { process: { key: pseudonymKey() } });
  });
  vi.restoreAllMocks();
}, 60_000);

afterAll(() => {
  vi.unstubAllEnvs();
  secrets.restore();
});

describe('no personal data in logs', () => {
  it('no captured line holds a user id, order id, email address, name or phone number', () => {
    const output = lines.join('');
    for (const [what, value] of Object.entries(PERSONAL)) {
      expect(output.toLowerCase().includes(value.toLowerCase()), `${what} leaked into the logs`).toBe(false);
    }
  });

  it('the logging paths did run: structured JSON lines with a correlation id per batch and per run', () => {
    const json = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const batch = json.find((l) => l.message === 'ingested batch');
    expect(batch).toMatchObject({ level: 'INFO', service: 'nightshift', accepted: 1, rejected: expect.any(Array) });
    expect(batch.correlation_id).toMatch(/^[0-9a-f-]{36}$/);
    // The Lambda context is on the line: which invocation wrote it, and whether it paid the cold start.
    expect(batch).toMatchObject({
      function_name: 'ingest-events',
      function_request_id: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
      cold_start: expect.any(Boolean),
    });
    expect(json.find((l) => l.message === 'job done' && l.job === 'watchdog')).toMatchObject({
      correlation_id: 'watchdog:2026-11-22T01:45:00Z',
    });
    expect(json.find((l) => l.message === 'invocation failed')?.correlation_id).toBe(
      'plan-reports:2026-11-22T21:00:00Z',
    );
  });

  it('ids are logged as their keyed pseudonym, so an operator holding the key can still find their lines', () => {
    const key = PseudonymKey.fromText(PERSONAL.pseudonymKey, 'the test secret');
    expect(lines.join('')).toContain(`hmac:${key.pseudonym(PERSONAL.userId)}`);
    // Not the plain SHA-256 anyone could compute for u_1, u_2, ...
    expect(lines.join('')).not.toContain(createHash('sha256').update(PERSONAL.userId).digest('hex').slice(0, 16));
  });

  it('the functions read the key once per cold start, by the ARN in their environment', () => {
    expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: KEY_SECRET }]);
  });

  it('an address in a log line keeps its province and an age its 5-year band', () => {
    const customer = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.message === 'customer');
    expect(customer).toMatchObject({ customer: { address: 'Zhejiang', age: '30-35', city: '[withheld]' } });
  });

  it('metrics went out in Embedded Metric Format: events accepted and rejected, the watchdog heartbeat', () => {
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l));
    const names = emf.flatMap((d) =>
      d._aws.CloudWatchMetrics.flatMap((m: { Metrics: { Name: string }[] }) => m.Metrics.map((x) => x.Name)),
    );
    expect(names).toEqual(
      expect.arrayContaining([METRIC.eventsAccepted, METRIC.eventsRejected, METRIC.watchdogHeartbeat, METRIC.jobRuns]),
    );
    const heartbeat = emf.find((d) => METRIC.watchdogHeartbeat in d);
    expect(heartbeat).toMatchObject({ service: 'nightshift', [METRIC.watchdogHeartbeat]: 1 });
    expect(heartbeat._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Nightshift', Dimensions: [['service']] });
    expect(emf.find((d) => d[METRIC.eventsRejected] !== undefined)?.[METRIC.eventsRejected]).toBe(3);
  });
});

// The grants against what the code really sends: every handler runs one night as deployed (its slice baked in, the
// environment its function has in the synthesized template, people from SSM) against DynamoDB Local behind a proxy
// that keeps each request, and every request on the two tables must be allowed by that function's role in the
// template (action, table, and each item's partition key against the dynamodb:LeadingKeys condition). A store call on a
// new partition or with a new action fails here, naming the function and the request, instead of in AWS.
// SQS, SES, SSM, Secrets Manager, AWS Backup and the archive's S3 (in memory) are mocked (aws-sdk-client-mock): what
// is checked here is DynamoDB, and that is the real DynamoDB Local.
import { createServer, request as httpRequest } from 'node:http';
import { BackupClient } from '@aws-sdk/client-backup';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { functionSlice } from '#infra/function-config.ts';
import type { NightshiftFunction } from '#infra/nightshift-function.ts';
import { peopleContacts, peopleDirectory } from '#shared/config/slice.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { freshStore } from '../support/dynamo.ts';
import { lambdaContext, sqsEvent } from '../support/lambda.ts';
import { actionsOf, logicalId, roleStatements, type Statement, synthesize } from './support.ts';

const { config, stack, template } = synthesize();
const resources = template.toJSON().Resources as Record<
  string,
  { Properties: { Environment: { Variables: Record<string, unknown> } } }
>;
const fns = Object.fromEntries(
  (stack.node.findAll().filter((c) => c.constructor.name === 'NightshiftFunction') as NightshiftFunction[]).map((f) => [
    f.name,
    f,
  ]),
) as Record<string, NightshiftFunction>;
const tableIds = { events: logicalId(stack.tables.events), state: logicalId(stack.tables.state) };

interface DynamoRequest {
  operation: string;
  table: string;
  keys: string[];
}

const recorded: DynamoRequest[] = [];
const sqs = mockClient(SQSClient);
const ses = mockClient(SESClient);
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const backup = mockClient(BackupClient);
const s3 = mockClient(S3Client);
const objects = new Map<string, Uint8Array>();
const queued: string[] = [];
let tables: { events: string; state: string };
let proxy: { url: string; close(): Promise<void> };
let bucket: string;

interface Key {
  pk: { S: string };
}
/** The parts of a DynamoDB JSON request that name its table and partition keys. */
interface DynamoBody {
  TableName?: string;
  Key?: Key;
  Item?: Key;
  ExpressionAttributeValues?: Record<string, { S?: string }>;
  RequestItems?: Record<string, Array<{ PutRequest?: { Item: Key }; DeleteRequest?: { Key: Key } }>>;
}

/** The partition keys a DynamoDB JSON request touches. */
function keysOf(operation: string, body: DynamoBody): string[] {
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [body.Key?.pk.S ?? ''];
    case 'PutItem':
      return [body.Item?.pk.S ?? ''];
    case 'Query':
      return [body.ExpressionAttributeValues?.[':pk']?.S ?? ''];
    case 'BatchWriteItem':
      return Object.values(body.RequestItems ?? {}).flatMap((rs) =>
        rs.map((r) => r.PutRequest?.Item.pk.S ?? r.DeleteRequest?.Key.pk.S ?? ''),
      );
    default:
      return [];
  }
}

async function startProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const parsed = JSON.parse(body.toString('utf8') || '{}') as DynamoBody;
      const table = parsed.TableName ?? Object.keys(parsed.RequestItems ?? {})[0] ?? '';
      if (table === tables.events || table === tables.state) {
        recorded.push({
          operation,
          table: table === tables.events ? 'events' : 'state',
          keys: keysOf(operation, parsed),
        });
      }
      const upstream = new URL(target);
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 500, up.headers);
          up.pipe(res);
        },
      );
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const likePattern = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** Whether the role's statements allow the request, as IAM evaluates the subset Nightshift uses. */
function allowed(statements: Statement[], r: DynamoRequest): boolean {
  return statements.some((s) => {
    if (s.Effect !== 'Allow' || !actionsOf(s).includes(`dynamodb:${r.operation}`)) return false;
    if (!JSON.stringify(s.Resource).includes(tableIds[r.table as 'events' | 'state'])) return false;
    const condition = s.Condition as { 'ForAllValues:StringLike'?: { 'dynamodb:LeadingKeys'?: string[] } } | undefined;
    const like = condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    if (!like) return false;
    return r.keys.length > 0 && r.keys.every((k) => like.some((p) => likePattern(p).test(k)));
  });
}

/** The function's environment in the template, with each reference resolved to its local stand-in. */
function environmentOf(name: string): Record<string, string> {
  const vars = resources[logicalId(fns[name]!.fn)]!.Properties.Environment.Variables;
  const local: Record<string, string> = {
    [tableIds.events]: tables.events,
    [tableIds.state]: tables.state,
    [logicalId(stack.people.directory)]: '/nightshift/people/directory',
    [logicalId(stack.people.contacts)]: '/nightshift/people/contacts',
    [logicalId(stack.jobs.archive.bucket)]: bucket,
    [logicalId(stack.delivery.queue)]: 'https://sqs.us-east-1.amazonaws.com/123456789012/delivery',
    [logicalId(stack.ingestion.queue)]: 'https://sqs.us-east-1.amazonaws.com/123456789012/events',
    [logicalId(stack.delivery.configurationSet)]: 'nightshift-mail',
  };
  return Object.fromEntries(
    Object.entries(vars).map(([k, v]) => {
      if (typeof v === 'string') return [k, v];
      const ref = (v as { Ref?: string }).Ref ?? '';
      return [k, local[ref] ?? `arn:aws:secretsmanager:us-east-1:123456789012:secret:${ref}`];
    }),
  );
}

/** Runs `name`'s handler once as deployed, at `at`, and returns the requests it sent to the two tables. */
async function runAs(name: string, at: string, event: unknown): Promise<DynamoRequest[]> {
  vi.resetModules();
  vi.setSystemTime(Date.parse(at));
  const env = environmentOf(name);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  Object.assign(globalThis, { __NIGHTSHIFT_CONFIG__: JSON.stringify(functionSlice(name, config)) });
  const from = recorded.length;
  try {
    const { handler } = (await import(`../../functions/${name}/handler.ts`)) as {
      handler: (e: unknown, c: unknown) => Promise<unknown>;
    };
    await handler(event, lambdaContext(name));
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
  }
  return recorded.slice(from);
}

function expectAllowed(name: string, requests: DynamoRequest[]): void {
  const statements = roleStatements(template, logicalId(fns[name]!.role));
  const refused = requests.filter((r) => !allowed(statements, r));
  expect(refused, `${name} sends requests its role does not allow`).toEqual([]);
}

const event = (messageId: string, name: string, timestamp: string, properties: Record<string, unknown> = {}) =>
  JSON.stringify({ messageId, event: name, userId: `u_${messageId}`, timestamp, properties });

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  ({ tables } = await freshStore('grants'));
  proxy = await startProxy(inject('dynamoEndpoint'));
  bucket = 'grants-archive';
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', proxy.url);
  vi.stubEnv('AWS_REGION', LOCAL_AWS.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_AWS.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_AWS.credentials.secretAccessKey);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  sqs
    .on(SendMessageBatchCommand)
    .callsFake((input: { QueueUrl: string; Entries: Array<{ Id: string; MessageBody: string }> }) => {
      if (input.QueueUrl.endsWith('/delivery')) queued.push(...input.Entries.map((e) => e.MessageBody));
      return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
    });
  ses.on(SendRawEmailCommand).resolves({ MessageId: 'ses-1' });
  ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
    Parameters: input.Names.map((Name) => ({
      Name,
      Type: 'String',
      Value: JSON.stringify(Name.endsWith('/contacts') ? peopleContacts(config) : peopleDirectory(config)),
    })),
  }));
  secrets.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => ({
    SecretString: input.SecretId.includes('WriteKeys')
      ? JSON.stringify({ writeKey: 'grants-write-key' })
      : 'grants-pseudonym-key-0123456789abcdef0123456789abcdef',
  }));
  backup.onAnyCommand().resolves({});
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: Uint8Array }) => {
    objects.set(input.Key, input.Body);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (!body) throw new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} });
    return { Body: { transformToByteArray: async () => body } };
  });
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
    Contents: [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key })),
  }));
});

afterAll(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  for (const m of [sqs, ses, ssm, secrets, backup, s3]) m.restore();
  await proxy.close();
});

describe('every request a handler sends is one its role allows', () => {
  it('ingest-events: a batch with late and refused events', async () => {
    const day = '2026-11-22T10:00:00+08:00';
    const bodies = [
      event('m1', 'Signed Up', day),
      event('m2', 'Page Viewed', day),
      event('m3', 'Order Completed', day, { revenue: 10, profit: 2, department: 'market' }),
      event('m4', 'Page Viewed', '2026-11-15T10:00:00+08:00'),
      'not json',
    ];
    const requests = await runAs(
      'ingest-events',
      '2026-11-22T20:00:00+08:00',
      sqsEvent(bodies, { sentAt: Date.parse('2026-11-22T20:00:00+08:00') }),
    );
    expect(requests.map((r) => r.operation)).toContain('BatchWriteItem');
    expectAllowed('ingest-events', requests);
  });

  it('http-ingest: a batch with a call it refuses', async () => {
    const body = {
      batch: [{ type: 'track', event: 'Page Viewed', messageId: 'h1', userId: 'u_h1', timestamp: 'soon' }],
    };
    const requests = await runAs('http-ingest', '2026-11-22T20:05:00+08:00', {
      version: '2.0',
      routeKey: 'POST /v1/batch',
      rawPath: '/v1/batch',
      rawQueryString: '',
      headers: {
        authorization: `Basic ${Buffer.from('grants-write-key:').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      isBase64Encoded: true,
      requestContext: { requestId: 'req-1', http: { method: 'POST' }, timeEpoch: Date.now() },
    });
    expect(requests.length).toBeGreaterThan(0);
    expectAllowed('http-ingest', requests);
  });

  it('rollup-kpis: the nightly rollup with a late day to recompute', async () => {
    const requests = await runAs('rollup-kpis', '2026-11-23T00:30:00+08:00', {
      job: 'rollup-kpis',
      scheduledTime: '2026-11-22T16:30:00Z',
    });
    expect(requests.map((r) => r.operation)).toContain('DeleteItem');
    expectAllowed('rollup-kpis', requests);
  });

  it('detect-anomalies: rules judged on yesterday, incidents opened and routed', async () => {
    const requests = await runAs('detect-anomalies', '2026-11-23T01:00:00+08:00', {
      job: 'detect-anomalies',
      scheduledTime: '2026-11-22T17:00:00Z',
    });
    expect(queued.length).toBeGreaterThan(0);
    expectAllowed('detect-anomalies', requests);
  });

  it('check-backups: checks that fail open incidents', async () => {
    const before = queued.length;
    const requests = await runAs('check-backups', '2026-11-23T02:00:00+08:00', {
      job: 'check-backups',
      scheduledTime: '2026-11-22T18:00:00Z',
    });
    expect(queued.length).toBeGreaterThan(before);
    expectAllowed('check-backups', requests);
  });

  it('watchdog: the hourly check', async () => {
    const requests = await runAs('watchdog', '2026-11-23T03:45:00+08:00', {
      job: 'watchdog',
      scheduledTime: '2026-11-22T19:45:00Z',
    });
    expectAllowed('watchdog', requests);
  });

  it('plan-reports: the daily report planned', async () => {
    const requests = await runAs('plan-reports', '2026-11-23T05:00:00+08:00', {
      job: 'plan-reports',
      scheduledTime: '2026-11-22T21:00:00Z',
      reportId: 'daily',
    });
    expectAllowed('plan-reports', requests);
  });

  it('send-email: every alert and report the night queued, sent', async () => {
    const kinds = new Set(queued.map((m) => JSON.parse(m).kind));
    expect(kinds).toEqual(new Set(['alert', 'report']));
    const requests = await runAs(
      'send-email',
      '2026-11-23T05:01:00+08:00',
      sqsEvent(queued, { sentAt: Date.parse('2026-11-23T05:00:00+08:00'), queue: 'delivery' }),
    );
    expect(ses.commandCalls(SendRawEmailCommand).length).toBeGreaterThan(0);
    expectAllowed('send-email', requests);
  });

  it('email-feedback: a bounce recorded', async () => {
    const bounce = {
      version: '0',
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      detail: {
        eventType: 'Bounce',
        mail: {
          timestamp: '2026-11-22T21:02:00.000Z',
          messageId: 'ses-1',
          destination: ['sun.mei@example.com'],
          tags: {
            'ses:configuration-set': ['nightshift-mail'],
            'nightshift-recipient': ['ops_director'],
            'nightshift-kind': ['report'],
          },
        },
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: 'sun.mei@example.com' }],
          timestamp: '2026-11-22T21:03:00.000Z',
          feedbackId: 'grants-feedback-1',
        },
      },
    };
    const requests = await runAs(
      'email-feedback',
      '2026-11-23T05:05:00+08:00',
      sqsEvent([JSON.stringify(bounce)], { sentAt: Date.parse('2026-11-23T05:04:00+08:00'), queue: 'feedback' }),
    );
    expect(requests.map((r) => r.operation)).toEqual(['PutItem']);
    expectAllowed('email-feedback', requests);
  });
});

// The grants against what the code really sends: every handler runs one night as deployed (its slice baked in, the
// environment its function has in the synthesized template, people from SSM) against DynamoDB Local behind a proxy
// that keeps each request, and every request on the two tables must be allowed by that function's role in the
// template (action, table, and each item's partition key against the dynamodb:LeadingKeys condition). A store call on a
// new partition or with a new action fails here, naming the function and the request, instead of in AWS.
// The night's clock is fixed (each run at its own instant); the mail goes to the local SES and the archive to a fresh
// bucket on the run's s3rver. What has no local stand-in is mocked (aws-sdk-client-mock), none of it DynamoDB: SQS
// (the night's delivery messages are kept here and fed to send-email as Lambda would), SSM (the people parameters),
// Secrets Manager (the write key and the pseudonym key) and AWS Backup (it answers every call with nothing, so the
// backup checks fail and open incidents).
import { BackupClient } from '@aws-sdk/client-backup';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { functionSlice } from '#infra/function-config.ts';
import type { NightshiftFunction } from '#infra/nightshift-function.ts';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import { createS3Archive } from '#shared/archive/s3.ts';
import { peopleContacts, peopleDirectory } from '#shared/config/slice.ts';
import { LOCAL_S3 } from '#shared/local/s3-local.ts';
import { type LocalSes, startSesLocal } from '#shared/local/ses-local.ts';
import { sesInbox } from '../delivery/support.ts';
import { freshBucket } from '../support/archive.ts';
import { freshStore } from '../support/dynamo.ts';
import { lambdaContext, sqsEvent } from '../support/lambda.ts';
import { type ProxiedRequest, type RecordingProxy, recordingProxy } from '../support/proxy.ts';
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
  table: 'events' | 'state';
  keys: string[];
}

const sqs = mockClient(SQSClient);
const ssm = mockClient(SSMClient);
const secrets = mockClient(SecretsManagerClient);
const backup = mockClient(BackupClient);
const queued: string[] = [];
let tables: { events: string; state: string };
let proxy: RecordingProxy<DynamoRequest>;
let ses: LocalSes;
let bucket: string;
let archive: ObjectArchive;

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

/**
 * What the proxy keeps of a DynamoDB JSON request on one of the two tables: its operation, which table, and the
 * partition keys it touches. Requests on other tables (check-backups describes the ones it checks) are not kept.
 */
function dynamoRequest({ headers, body }: ProxiedRequest): DynamoRequest | undefined {
  const operation = String(headers['x-amz-target'] ?? '').split('.')[1] ?? '';
  const parsed = JSON.parse(body || '{}') as DynamoBody;
  const name = parsed.TableName ?? Object.keys(parsed.RequestItems ?? {})[0] ?? '';
  if (name !== tables.events && name !== tables.state) return undefined;
  return { operation, table: name === tables.events ? 'events' : 'state', keys: keysOf(operation, parsed) };
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
    if (!JSON.stringify(s.Resource).includes(tableIds[r.table])) return false;
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
  const from = proxy.requests.length;
  try {
    const { handler } = (await import(`../../functions/${name}/handler.ts`)) as {
      handler: (e: unknown, c: unknown) => Promise<unknown>;
    };
    await handler(event, lambdaContext(name));
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
  }
  return proxy.requests.slice(from);
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
  proxy = await recordingProxy(inject('dynamoEndpoint'), dynamoRequest);
  ses = await startSesLocal();
  const s3 = await freshBucket('grants');
  bucket = s3.bucket;
  archive = createS3Archive(s3);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', proxy.url);
  vi.stubEnv('AWS_ENDPOINT_URL_SES', ses.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_S3', inject('s3Endpoint'));
  // One set of credentials for the three: s3rver checks signatures with its own, DynamoDB Local (one shared
  // database) and the local SES accept any.
  vi.stubEnv('AWS_REGION', LOCAL_S3.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_S3.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_S3.credentials.secretAccessKey);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  sqs
    .on(SendMessageBatchCommand)
    .callsFake((input: { QueueUrl: string; Entries: Array<{ Id: string; MessageBody: string }> }) => {
      if (input.QueueUrl.endsWith('/delivery')) queued.push(...input.Entries.map((e) => e.MessageBody));
      return { Successful: input.Entries.map((e) => ({ Id: e.Id })), Failed: [] };
    });
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
});

afterAll(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  for (const m of [sqs, ssm, secrets, backup]) m.restore();
  await proxy.close();
  await ses.stop();
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
    const at = '2026-11-22T20:05:00+08:00';
    const requests = await runAs('http-ingest', at, {
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
      requestContext: { requestId: 'req-1', http: { method: 'POST' }, timeEpoch: Date.parse(at) },
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
    expect(await archive.list('')).not.toEqual([]);
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
    const sent = (await sesInbox(ses.endpoint)).length;
    const requests = await runAs(
      'send-email',
      '2026-11-23T05:01:00+08:00',
      sqsEvent(queued, { sentAt: Date.parse('2026-11-23T05:00:00+08:00'), queue: 'delivery' }),
    );
    expect((await sesInbox(ses.endpoint)).length).toBeGreaterThan(sent);
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
          messageId: '010001-grants-message-1',
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

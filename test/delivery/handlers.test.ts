// The two mail handlers as Lambda runs them, with the environment the stack gives them (config baked in, table names,
// the configuration set's name), against DynamoDB Local and the local SES behind a proxy that keeps each request.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { type LocalSes, startSesLocal } from '#shared/local/ses-local.ts';
import { readFeedback } from '#shared/mailer/feedback.ts';
import type { StateStore } from '#shared/store/store.ts';
import { exampleConfig } from '../support/config.ts';
import { lambdaContext } from '../support/lambda.ts';
import { type RecordingProxy, recordingProxy } from '../support/proxy.ts';
import { clearInbox, NOW, preparedTables, sesEvent, sesInbox, sqsEvent } from './support.ts';

const config = exampleConfig();
const report = JSON.stringify({ kind: 'report', reportId: 'daily', period: '2026-11-22', recipientId: 'ops_director' });
let ses: LocalSes;
let proxy: RecordingProxy<Record<string, string>>;
let store: StateStore;

beforeAll(async () => {
  ses = await startSesLocal();
  proxy = await recordingProxy(ses.endpoint);
  const prepared = await preparedTables(config);
  store = prepared.store;
  Object.assign(globalThis, { __NIGHTSHIFT_CONFIG__: JSON.stringify(config) });
  vi.stubEnv('STATE_TABLE', prepared.tables.state);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoEndpoint'));
  vi.stubEnv('AWS_ENDPOINT_URL_SES', proxy.url);
  vi.stubEnv('AWS_REGION', LOCAL_AWS.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_AWS.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_AWS.credentials.secretAccessKey);
});

afterEach(() => {
  vi.restoreAllMocks();
  // Each test gets a cold start: the runtime reads its environment once per process.
  vi.resetModules();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await proxy.close();
  await ses.stop();
});

/** Log lines (stdout and stderr) while `run` runs. */
async function captured<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
  }
  const result = await run();
  vi.restoreAllMocks();
  return { result, lines };
}

describe('send-email', () => {
  it('without the configuration set in its environment it sends nothing and hands the batch back', async () => {
    vi.stubEnv('SES_CONFIGURATION_SET', undefined);
    const { handler } = await import('#functions/send-email/handler.ts');
    const before = proxy.requests.length;

    await expect(captured(() => handler(sqsEvent([report]), lambdaContext('send-email')))).rejects.toThrow(
      'SES_CONFIGURATION_SET is not set',
    );
    expect(proxy.requests.length).toBe(before);
  });

  it('sends a queued report through the configuration set its environment names, tagged with the recipient', async () => {
    vi.stubEnv('SES_CONFIGURATION_SET', 'nightshift-mail');
    await clearInbox(ses.endpoint);
    const { handler } = await import('#functions/send-email/handler.ts');

    const { result, lines } = await captured(() => handler(sqsEvent([report]), lambdaContext('send-email')));

    expect(result).toEqual({ batchItemFailures: [] });
    const [send] = proxy.requests.filter((r) => r.Action === 'SendRawEmail').slice(-1);
    expect(send).toMatchObject({
      ConfigurationSetName: 'nightshift-mail',
      'Tags.member.1.Name': 'nightshift-recipient',
      'Tags.member.1.Value': 'ops_director',
    });
    expect((await sesInbox(ses.endpoint)).map((m) => m.destination.to)).toEqual([['"Sun Mei" <sun.mei@example.com>']]);
    expect(lines.join('')).toContain('"deliveryKey":"report#daily#2026-11-22#ops_director"');
    expect(lines.join('')).not.toContain('sun.mei@example.com');
  });
});

describe('email-feedback', () => {
  it('records a bounce from its queue against the recipient and logs them by config id, never by address', async () => {
    const { handler } = await import('#functions/email-feedback/handler.ts');
    const bounce = sesEvent('Bounce', { at: NOW + 60_000, recipientId: 'ops_director', feedbackId: 'handler-1' });

    const { result, lines } = await captured(() =>
      handler(sqsEvent([JSON.stringify(bounce), 'not json']), lambdaContext('email-feedback')),
    );

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-2' }] });
    expect(await readFeedback(store, '2026-11-23', '2026-11-23')).toEqual([
      expect.objectContaining({ feedbackId: 'handler-1', recipientId: 'ops_director', detail: 'Permanent/General' }),
    ]);
    const log = lines.join('');
    expect(log).toContain('"recipientId":"ops_director"');
    expect(log).not.toContain('sun.mei@example.com');
  });
});

// The handlers as Lambda runs them: a trigger that does not have the shape its schedule or queue sends is refused by
// its schema, naming the field, before any work or record; log lines carry the Lambda context.
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { recentRuns } from '#shared/jobs/runs.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import type { StateStore } from '#shared/store/store.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { lambdaContext } from '../support/lambda.ts';

let store: StateStore;
const lines: string[] = [];

beforeAll(async () => {
  const fresh = await freshStore('triggers');
  store = fresh.store;
  Object.assign(globalThis, { __NIGHTSHIFT_CONFIG__: JSON.stringify(exampleConfig()) });
  vi.stubEnv('EVENTS_TABLE', fresh.tables.events);
  vi.stubEnv('STATE_TABLE', fresh.tables.state);
  vi.stubEnv('DELIVERY_QUEUE_URL', 'https://sqs.us-east-1.amazonaws.com/123456789012/delivery');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamoEndpoint'));
  // Nothing listens there: a send fails at once, offline or not.
  vi.stubEnv('AWS_ENDPOINT_URL_SQS', 'http://127.0.0.1:9');
  vi.stubEnv('AWS_REGION', LOCAL_AWS.region);
  vi.stubEnv('AWS_ACCESS_KEY_ID', LOCAL_AWS.credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', LOCAL_AWS.credentials.secretAccessKey);
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
  }
});

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('triggers are parsed before a handler works', () => {
  it('a report schedule without its report id is refused, naming the field, and records no run', async () => {
    const { handler } = await import('#functions/plan-reports/handler.ts');

    const refused = handler({ job: 'plan-reports', scheduledTime: '2026-11-22T21:00:00Z' }, lambdaContext('plan'));

    await expect(refused).rejects.toMatchObject({ name: 'ParseError' });
    await expect(refused).rejects.toSatisfy((e: Error) => JSON.stringify(e.cause).includes('reportId'));
    expect(await recentRuns(store, 'plan-reports', 5)).toEqual([]);
  });

  it('a detection asked for a day that is not a date is refused, naming the field', async () => {
    const { handler } = await import('#functions/detect-anomalies/handler.ts');

    const refused = handler({ scheduledTime: '2026-11-22T17:00:00Z', date: '22/11/2026' }, lambdaContext('detect'));

    await expect(refused).rejects.toSatisfy((e: Error) => JSON.stringify(e.cause).includes('YYYY-MM-DD'));
    expect(await recentRuns(store, 'detect-anomalies', 5)).toEqual([]);
  });

  it('an SQS batch without the attributes SQS always sets is refused before anything is stored', async () => {
    const { handler } = await import('#functions/ingest-events/handler.ts');

    const refused = handler({ Records: [{ messageId: 'm', body: '{}' }] }, lambdaContext('ingest-events'));

    await expect(refused).rejects.toSatisfy((e: Error) => JSON.stringify(e.cause).includes('attributes'));
  });

  it('a scheduled run logs with the Lambda request id and function name', async () => {
    const { handler } = await import('#functions/plan-reports/handler.ts');

    await handler(
      { job: 'plan-reports', scheduledTime: '2026-11-22T21:00:00Z', reportId: 'daily' },
      lambdaContext('plan-reports', 'req-42'),
    ).catch(() => undefined); // no SQS here: the lines before sending are what is checked

    const started = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.message === 'job started' && l.job === 'plan-reports');
    expect(started).toMatchObject({ function_request_id: 'req-42', function_name: 'plan-reports' });
  });
});

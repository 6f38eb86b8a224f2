// The AWS side of the API: events sent to the events queue in SendMessageBatch calls (aws-sdk-client-mock: the
// project has no local SQS), what SQS refuses quarantined, and the API Gateway event read as the shared request.
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { fromApiGateway, readHttpIngestEnv } from '#functions/http-ingest/wiring.ts';
import { handleSegmentRequest } from '#shared/events/http-api.ts';
import { queueSink } from '#shared/events/http-sinks.ts';
import { createSqsEventQueue, MAX_BATCH_PAYLOAD, packed, sqsSafe } from '#shared/queue/events-queue.ts';
import { freshStore } from '../support/dynamo.ts';
import { apiDeps, config, quarantined, request, track } from './support.ts';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/events';
const queue = () =>
  createSqsEventQueue({ queueUrl: QUEUE_URL, client: new SQSClient({ region: 'eu-west-1' }), sleep: async () => {} });
const events = (n: number, bytes = 10) =>
  Array.from({ length: n }, (_, i) => ({ id: `e${i}`, body: JSON.stringify({ pad: 'x'.repeat(bytes) }) }));

describe('sending events to the events queue', () => {
  it('batches of at most 10 messages and 256 KB of bodies, in order', () => {
    const small = packed(events(23));
    const large = packed(events(10, 30_000));

    expect(small.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(large.map((c) => c.length)).toEqual([8, 2]);
    for (const chunk of large) {
      expect(chunk.reduce((n, m) => n + Buffer.byteLength(m.body), 0)).toBeLessThanOrEqual(MAX_BATCH_PAYLOAD);
    }
    expect(large.flat().map((m) => m.id)).toEqual(events(10).map((m) => m.id));
  });

  it('entries SQS fails for a passing reason are sent again; what still fails after 3 tries is reported', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }] })
      .resolves({ Successful: [], Failed: [] });

    const ok = await queue().send(events(3));

    expect(ok).toEqual({ failed: [], refused: [] });
    const calls = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries?.map((e) => e.MessageBody));
    expect(calls).toEqual([events(3).map((e) => e.body), [events(3)[1]!.body]]);

    sqs.reset();
    sqs.on(SendMessageBatchCommand).rejects(new Error('throttled'));
    expect(await queue().send(events(2))).toEqual({ failed: ['e0', 'e1'], refused: [] });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('an entry SQS refuses as invalid (a sender fault) is reported as refused, not retried', async () => {
    sqs.on(SendMessageBatchCommand).resolves({
      Failed: [{ Id: '0', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad character' }],
    });

    expect(await queue().send(events(2))).toEqual({
      failed: [],
      refused: [{ id: 'e0', message: 'InvalidMessageContents: bad character' }],
    });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it('U+FFFE and U+FFFF, which SQS refuses, travel escaped and read back as the same JSON', () => {
    const body = JSON.stringify({ s: 'a\uFFFEb\uFFFF' });

    expect(sqsSafe(body)).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(sqsSafe(body))).toEqual(JSON.parse(body));
  });
});

describe('the API in front of the queue', () => {
  it('valid events go to the queue as envelopes; refused calls and events SQS refuses go to quarantine', async () => {
    const { store } = await freshStore('http-queue');
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: Array<{ Id: string; MessageBody: string }> }) => ({
      Successful: input.Entries.filter((e) => !e.MessageBody.includes('"sqs-refuses"')).map((e) => ({ Id: e.Id })),
      Failed: input.Entries.filter((e) => e.MessageBody.includes('"sqs-refuses"')).map((e) => ({
        Id: e.Id,
        SenderFault: true,
        Code: 'InvalidMessageContents',
      })),
    }));
    const deps = apiDeps(store, { sink: queueSink({ queue: queue(), store, config }) });

    const response = await handleSegmentRequest(
      request('/v1/batch', { batch: [track('a', 60), { type: 'track' }, track('sqs-refuses', 61), track('b', 62)] }),
      deps,
    );

    const sent = sqs.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ received: 4, accepted: 2, quarantined: 2 });
    expect(sent.map((e) => JSON.parse(e.MessageBody!).messageId)).toEqual(['a', 'sqs-refuses', 'b']);
    expect(JSON.parse(sent[0]!.MessageBody!)).toEqual({
      messageId: 'a',
      event: 'Order Completed',
      userId: 'u_a',
      timestamp: track('a', 60).timestamp,
      properties: { revenue: 10, profit: 2, department: 'market' },
    });
    expect((await quarantined(store)).map((q) => q.reason).sort()).toEqual(['missing_event', 'store_rejected']);
  });

  it('a queue that cannot take every event is a 503', async () => {
    const { store } = await freshStore('http-queue');
    sqs.on(SendMessageBatchCommand).rejects(new Error('ServiceUnavailable'));
    const deps = apiDeps(store, { sink: queueSink({ queue: queue(), store, config }) });

    const response = await handleSegmentRequest(request('/v1/batch', { batch: [track('a', 60)] }), deps);

    expect(response.status).toBe(503);
  });
});

describe('the http-ingest function', () => {
  const event = (body: string, isBase64Encoded: boolean): APIGatewayProxyEventV2 =>
    ({
      rawPath: '/v1/batch',
      headers: { 'Content-Encoding': 'gzip', authorization: 'Basic eDo=' },
      body,
      isBase64Encoded,
      requestContext: { http: { method: 'POST' }, requestId: 'req-1' },
    }) as unknown as APIGatewayProxyEventV2;

  it('reads an API Gateway event as the shared request: base64 bodies decoded, header names in lower case', () => {
    const req = fromApiGateway(event(Buffer.from([0x1f, 0x8b, 0x08]).toString('base64'), true));

    expect(req).toMatchObject({ method: 'POST', path: '/v1/batch', id: 'req-1' });
    expect(req.headers).toEqual({ 'content-encoding': 'gzip', authorization: 'Basic eDo=' });
    expect([...req.body]).toEqual([0x1f, 0x8b, 0x08]);
    expect(Buffer.from(fromApiGateway(event('{"batch":[]}', false)).body).toString()).toBe('{"batch":[]}');
  });

  it('its environment is checked at cold start, naming the variable', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:wk-AbCdEf';

    expect(readHttpIngestEnv({ EVENTS_QUEUE_URL: QUEUE_URL, WRITE_KEYS_SECRET_ARN: arn })).toEqual({
      EVENTS_QUEUE_URL: QUEUE_URL,
      WRITE_KEYS_SECRET_ARN: arn,
    });
    expect(() => readHttpIngestEnv({ WRITE_KEYS_SECRET_ARN: arn })).toThrow(/EVENTS_QUEUE_URL/);
    expect(() => readHttpIngestEnv({ EVENTS_QUEUE_URL: QUEUE_URL, WRITE_KEYS_SECRET_ARN: 'wk' })).toThrow(
      /WRITE_KEYS_SECRET_ARN/,
    );
  });
});

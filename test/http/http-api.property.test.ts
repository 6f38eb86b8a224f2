// Property-based tests of the HTTP ingestion API, an input boundary: whatever the body (bytes, gzip or not, any JSON,
// batches mixing valid calls with arbitrary ones) and whatever the Authorization header, the answer is never a 5xx
// unless the store fails; with 200, every call is accounted for (an event held, a profile call counted, or a problem
// quarantined with a reason), every valid event is stored exactly once, and sending the request again changes nothing.
import { gzipSync } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect } from 'vitest';
import { REJECT_REASONS } from '#shared/events/envelope.ts';
import {
  type EventSink,
  type HttpRequest,
  handleSegmentRequest,
  type QuarantinedCall,
} from '#shared/events/http-api.ts';
import { storeSink } from '#shared/events/http-sinks.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';
import { apiDeps, basic, config, now, storedEvents, WRITE_KEY } from './support.ts';

let store: StateStore;
beforeAll(async () => {
  ({ store } = await freshStore('http-property'));
});

const PATHS = [
  '/v1/batch',
  '/v1/import',
  '/v1/track',
  '/v1/page',
  '/v1/screen',
  '/v1/identify',
  '/v1/group',
  '/v1/alias',
];
/** Answers to a request a retry cannot fix, and 200. */
const CLIENT_ANSWERS = [200, 400, 401, 404, 405, 413, 415];

/** A sink over the store that notes what the API quarantined and what the store refused. */
function recordingSink(): EventSink & { quarantinedCalls: QuarantinedCall[]; delivered: number } {
  const inner = storeSink({ store, config, now });
  const sink = {
    quarantinedCalls: [] as QuarantinedCall[],
    delivered: 0,
    async deliver(messages: Parameters<EventSink['deliver']>[0]) {
      sink.delivered += messages.length;
      return inner.deliver(messages);
    },
    async quarantine(calls: readonly QuarantinedCall[]) {
      sink.quarantinedCalls.push(...calls);
      return inner.quarantine(calls);
    },
  };
  return sink;
}

function post(path: string, body: Uint8Array, headers: Record<string, string> = {}): HttpRequest {
  return { method: 'POST', path, headers: { authorization: basic(WRITE_KEY), ...headers }, body };
}

// --- Arbitraries ---------------------------------------------------------------------------------------------

/** Property values DynamoDB stores as sent, under names it accepts. */
const { value: storable } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -1e9, max: 1e9 }),
    fc.string({ maxLength: 12 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), tie('value'), { maxKeys: 3 }),
  ),
}));

/** A call every SDK could send, valid by construction, on `day` (a local date in Shanghai). */
const validCall = (day: string) =>
  fc.record({
    type: fc.constantFrom('track', 'page', 'screen'),
    event: fc.constantFrom('Order Completed', 'Signed Up', 'Survey Answered'),
    userId: fc.option(fc.stringMatching(/^u_[a-z0-9]{1,8}$/), { nil: undefined }),
    anonymousId: fc.option(fc.uuid(), { nil: undefined }),
    timestamp: fc
      .integer({ min: 0, max: 24 * 60 * 60 - 1 })
      .map((s) => new Date(Date.parse(`${day}T00:00:00+08:00`) + s * 1000).toISOString()),
    name: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
    properties: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/), storable, { maxKeys: 4 }),
    context: fc.constant({ ip: '203.0.113.9', library: { name: 'analytics-node' } }),
  });

/** Anything a careless client may put in a batch: any JSON, and calls whose fields are each right or wrong. */
const anyCall = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('track', 'page', 'screen', 'identify', 'group', 'alias', 'Track'), fc.jsonValue()),
      // 'j-' ids never meet the valid calls' ids.
      messageId: fc.oneof(
        fc.string({ maxLength: 8 }).map((s) => `j-${s}`),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      event: fc.oneof(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })),
      userId: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.jsonValue({ maxDepth: 1 })),
      timestamp: fc.oneof(
        fc.constantFrom(
          '2026-11-22T10:00:00+08:00',
          '2026-11-22T10:00:00',
          '2099-01-01T00:00:00Z',
          '2026-02-30T00:00:00Z',
        ),
        fc.string({ maxLength: 12 }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      properties: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), fc.jsonValue()),
    },
    { requiredKeys: [] },
  ),
);

let run = 0;

describe('HTTP bodies (property-based)', () => {
  test.prop(
    [
      fc.integer({ min: 1, max: 300 }).chain((back) => {
        const day = addDays('2026-11-22', -back);
        return fc.tuple(
          fc.constant(day),
          fc.array(validCall(day), { maxLength: 12 }),
          fc.array(anyCall, { maxLength: 12 }),
          fc.integer(),
          fc.boolean(),
        );
      }),
    ],
    { numRuns: 40 },
  )(
    'a batch of valid and arbitrary calls: every call accounted for, every valid event stored once, a resend changes nothing',
    async ([day, valid, junk, seed, gzip]) => {
      const prefix = `p${++run}-`;
      const calls: unknown[] = valid.map((c, i) => ({ ...c, messageId: `${prefix}${i}` }));
      // Interleave the arbitrary calls at positions the seed picks.
      for (const [k, j] of junk.entries()) calls.splice(Math.abs(seed + k * 7919) % (calls.length + 1), 0, j);
      const json = Buffer.from(JSON.stringify({ batch: calls }));
      const request = gzip
        ? post('/v1/batch', gzipSync(json), { 'content-encoding': 'gzip' })
        : post('/v1/batch', json);

      const sink = recordingSink();
      const first = await handleSegmentRequest(request, apiDeps(store, { sink }));
      const again = await handleSegmentRequest(request, apiDeps(store, { sink: recordingSink() }));

      const body = JSON.parse(first.body);
      const stored = (await storedEvents(store, [day])).filter((e) => e.messageId.startsWith(prefix));
      expect(first.status).toBe(200);
      expect(again.status).toBe(200);
      expect(JSON.parse(again.body)).toEqual(body);
      expect(body.received).toBe(calls.length);
      expect(body.accepted + body.quarantined + body.profileCalls).toBe(calls.length);
      expect(sink.delivered).toBe(body.accepted);
      expect(sink.quarantinedCalls.length).toBe(body.quarantined);
      for (const p of body.problems) {
        expect(REJECT_REASONS).toContain(p.reason);
        expect(p.detail.length).toBeGreaterThan(0);
      }
      expect(stored.map((e) => e.messageId).sort()).toEqual(valid.map((_, i) => `${prefix}${i}`).sort());
    },
  );

  test.prop([fc.constantFrom(...PATHS), fc.uint8Array({ maxLength: 2048 }), fc.boolean()], { numRuns: 300 })(
    'arbitrary bytes, gzip or not, are never answered 5xx, and a refusal names its reason',
    async (path, bytes, gzip) => {
      const request = post(
        path,
        gzip && bytes.length % 2 === 0 ? gzipSync(bytes) : bytes,
        gzip ? { 'content-encoding': 'gzip' } : {},
      );

      const response = await handleSegmentRequest(request, apiDeps(store));

      expect(CLIENT_ANSWERS).toContain(response.status);
      const body = JSON.parse(response.body);
      if (response.status !== 200)
        expect(body).toMatchObject({ success: false, code: expect.any(String), message: expect.any(String) });
    },
  );

  test.prop([fc.constantFrom(...PATHS), fc.jsonValue({ maxDepth: 4 })], { numRuns: 200 })(
    'any JSON body on any endpoint is answered 200 with every call accounted for, or 400 with a reason',
    async (path, value) => {
      const response = await handleSegmentRequest(post(path, Buffer.from(JSON.stringify(value))), apiDeps(store));

      expect([200, 400]).toContain(response.status);
      const body = JSON.parse(response.body);
      if (response.status === 200) expect(body.accepted + body.quarantined + body.profileCalls).toBe(body.received);
      else expect(body.code).toMatch(/^(not_an_object|no_batch)$/);
    },
  );

  test.prop(
    [
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 30 }).map((s) => basic(s)),
        fc.constant(basic(WRITE_KEY, 'x')),
      ),
    ],
    {
      numRuns: 200,
    },
  )(
    'any Authorization header: 200 only for the write key as the user name, otherwise 401, never a 5xx',
    async (authorization) => {
      const request: HttpRequest = {
        method: 'POST',
        path: '/v1/batch',
        headers: { authorization },
        body: Buffer.from('{"batch":[]}'),
      };

      const response = await handleSegmentRequest(request, apiDeps(store));

      const user = /^\s*basic\s+(\S*)\s*$/i.exec(authorization)?.[1];
      const isKey = user !== undefined && Buffer.from(user, 'base64').toString('utf8').split(':')[0] === WRITE_KEY;
      // An empty header is no header: the body, which carries no key, is then asked for one.
      expect(response.status).toBe(isKey ? 200 : 401);
    },
  );
});

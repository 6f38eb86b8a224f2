// The request handler shared by the Lambda and `nightshift serve`, called directly with requests as a server passes
// them, over the test's DynamoDB Local: what each kind of request is answered, and what is kept.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type EventSink, type HttpRequest, handleSegmentRequest } from '#shared/events/http-api.ts';
import { storeSink } from '#shared/events/http-sinks.ts';
import { DERIVED_ID_PREFIX, MAX_BATCH_BYTES, MAX_CALL_BYTES } from '#shared/events/segment.ts';
import { staticWriteKeys } from '#shared/secrets/write-keys.ts';
import { PutManyError, type StateStore } from '#shared/store/store.ts';
import { freshStore } from '../support/dynamo.ts';
import {
  apiDeps,
  basic,
  config,
  heldSink,
  NOW,
  now,
  on22nd,
  quarantined,
  request,
  storedEvents,
  track,
  WRITE_KEY,
} from './support.ts';

const DAYS = ['2026-11-22'];

async function setup() {
  const { store } = await freshStore('http-api');
  const deps = apiDeps(store);
  const send = (req: HttpRequest) => handleSegmentRequest(req, deps);
  return { store, deps, send };
}

const bodyOf = (response: { body: string }) => JSON.parse(response.body) as Record<string, unknown>;

describe('authentication', () => {
  it('a wrong write key is answered 401 with a Basic challenge, and nothing of the batch is kept', async () => {
    const { store, send } = await setup();

    const response = await send(request('/v1/batch', { batch: [track('m1', 60), { type: 'nope' }] }, { key: 'wrong' }));

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^Basic /);
    expect(bodyOf(response)).toMatchObject({ success: false, code: 'unauthorized', message: 'unknown write key' });
    expect(await storedEvents(store, DAYS)).toEqual([]);
    expect(await quarantined(store)).toEqual([]);
  });

  it('without an Authorization header or a writeKey in the body the answer is 401', async () => {
    const { send } = await setup();

    const response = await send(request('/v1/batch', { batch: [track('m1', 60)] }, { key: null }));

    expect(response.status).toBe(401);
    expect(bodyOf(response).message).toMatch(/no write key/);
  });

  it('the key in the body is accepted when there is no Authorization header (as analytics.js beacons send it)', async () => {
    const { store, send } = await setup();

    const response = await send(request('/v1/batch', { writeKey: WRITE_KEY, batch: [track('m1', 60)] }, { key: null }));

    expect(response.status).toBe(200);
    expect((await storedEvents(store, DAYS)).map((e) => e.messageId)).toEqual(['m1']);
  });

  it('a wrong key in the header is refused even when the body names the right one', async () => {
    const { send } = await setup();

    const response = await send(request('/v1/batch', { writeKey: WRITE_KEY, batch: [] }, { key: 'wrong' }));

    expect(response.status).toBe(401);
  });

  it('the key is the user name: a password, or its absence, does not matter; other schemes are 401', async () => {
    const { send } = await setup();
    const body = Buffer.from(JSON.stringify({ batch: [] }));
    const withAuth = (authorization: string) =>
      send({ method: 'POST', path: '/v1/batch', headers: { authorization }, body });

    expect((await withAuth(basic(WRITE_KEY, 'anything'))).status).toBe(200);
    expect((await withAuth(`Basic ${Buffer.from(WRITE_KEY).toString('base64')}`)).status).toBe(200);
    expect((await withAuth(`basic   ${Buffer.from(`${WRITE_KEY}:`).toString('base64')}`)).status).toBe(200);
    expect((await withAuth(`Bearer ${WRITE_KEY}`)).status).toBe(401);
    expect((await withAuth(basic(`${WRITE_KEY}x`))).status).toBe(401);
  });

  it('write keys that cannot be read are a 503 (a retry may pass), never a 401', async () => {
    const { store } = await freshStore('http-api');
    const deps = apiDeps(store, {
      writeKeys: async () => {
        throw new Error('Secrets Manager is unreachable');
      },
    });

    const response = await handleSegmentRequest(request('/v1/batch', { batch: [track('m1', 60)] }), deps);

    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(await storedEvents(store, DAYS)).toEqual([]);
  });

  it('any of several keys is accepted (a rotation in progress)', async () => {
    const { store } = await freshStore('http-api');
    const deps = apiDeps(store, { writeKeys: staticWriteKeys(['new-key', WRITE_KEY]) });

    const a = await handleSegmentRequest(request('/v1/track', track('m1', 60), { key: 'new-key' }), deps);
    const b = await handleSegmentRequest(request('/v1/track', track('m2', 60)), deps);

    expect([a.status, b.status]).toEqual([200, 200]);
  });
});

describe('requests a retry cannot fix', () => {
  it('an unknown path is 404 and another method 405, before the key is looked at', async () => {
    const { send } = await setup();

    const notFound = await send(request('/v2/batch', { batch: [] }, { key: 'wrong' }));
    const get = await send(request('/v1/batch', { batch: [] }, { method: 'GET', key: 'wrong' }));

    expect(notFound.status).toBe(404);
    expect(bodyOf(notFound).message).toMatch(/\/v1\/batch/);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
  });

  it('a body that is not JSON, not UTF-8 or not an object is 400 with the reason', async () => {
    const { send } = await setup();
    const raw = (bytes: Uint8Array, path = '/v1/batch') => send(request(path, null, { raw: bytes }));

    const notJson = await raw(Buffer.from('{"batch": ['));
    const notUtf8 = await raw(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
    const array = await raw(Buffer.from('[1,2]'));
    const noBatch = await raw(Buffer.from('{"batch": {"type": "track"}}'));
    const trackArray = await raw(Buffer.from('[]'), '/v1/track');

    expect([notJson, notUtf8, array, noBatch, trackArray].map((r) => [r.status, bodyOf(r).code])).toEqual([
      [400, 'not_json'],
      [400, 'not_utf8'],
      [400, 'not_an_object'],
      [400, 'no_batch'],
      [400, 'not_an_object'],
    ]);
  });

  it('a Content-Encoding other than gzip is 415', async () => {
    const { send } = await setup();

    const response = await send(request('/v1/batch', { batch: [] }, { headers: { 'content-encoding': 'br' } }));

    expect(response.status).toBe(415);
  });
});

describe('gzip bodies', () => {
  it('a gzip body (Content-Encoding: gzip) is read as its JSON', async () => {
    const { store, send } = await setup();
    const json = JSON.stringify({ batch: [track('g1', 60), track('g2', 61)] });

    const response = await send(
      request('/v1/batch', null, { raw: gzipSync(json), headers: { 'content-encoding': 'gzip' } }),
    );

    expect(response.status).toBe(200);
    expect((await storedEvents(store, DAYS)).map((e) => e.messageId)).toEqual(['g1', 'g2']);
  });

  it('a body that says gzip but is not is 400', async () => {
    const { send } = await setup();

    const response = await send(request('/v1/batch', { batch: [] }, { headers: { 'content-encoding': 'gzip' } }));

    expect([response.status, bodyOf(response).code]).toEqual([400, 'bad_gzip']);
  });

  it('a small gzip body that inflates past 500 KB is 413 and is never inflated whole', async () => {
    const { store, send } = await setup();
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, ' '));

    const response = await send(request('/v1/batch', null, { raw: bomb, headers: { 'content-encoding': 'gzip' } }));

    expect(bomb.byteLength).toBeLessThan(100 * 1024);
    expect(response.status).toBe(413);
    expect(await quarantined(store)).toEqual([]);
  });
});

describe("Segment's size limits", () => {
  /** A track call of exactly `bytes` bytes of JSON. */
  const sized = (messageId: string, bytes: number) => {
    const call = track(messageId, 60, { properties: { pad: '' } });
    call.properties = { pad: 'x'.repeat(bytes - JSON.stringify(call).length) } as never;
    return call;
  };

  it('a batch over 500 KB is 413 and nothing of it is kept; one just under is stored', async () => {
    const { store, send } = await setup();
    const calls = (n: number) => Array.from({ length: n }, (_, i) => sized(`big-${n}-${i}`, 20_000));
    const under = { batch: calls(25) };
    const over = { batch: calls(26) };

    const a = await send(request('/v1/batch', over));
    const b = await send(request('/v1/batch', under));

    expect(JSON.stringify(under).length).toBeLessThan(MAX_BATCH_BYTES);
    expect(JSON.stringify(over).length).toBeGreaterThan(MAX_BATCH_BYTES);
    expect([a.status, bodyOf(a).code, b.status]).toEqual([413, 'too_large', 200]);
    expect(await storedEvents(store, DAYS)).toHaveLength(25);
  });

  it('a call over 32 KB in a batch is quarantined as too_large and its neighbours are stored', async () => {
    const { store, send } = await setup();

    const response = await send(
      request('/v1/batch', {
        batch: [track('small-1', 60), sized('huge', MAX_CALL_BYTES + 100), track('small-2', 61)],
      }),
    );

    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      received: 3,
      accepted: 2,
      quarantined: 1,
      problems: [{ index: 1, reason: 'too_large', detail: expect.stringContaining('32768') }],
    });
    expect((await storedEvents(store, DAYS)).map((e) => e.messageId)).toEqual(['small-1', 'small-2']);
    expect((await quarantined(store)).map((q) => q.reason)).toEqual(['too_large']);
  });

  it('a number past the range of doubles (1e999) is quarantined as unstorable_number, never stored as null', async () => {
    const { store, send } = await setup();
    const text = JSON.stringify({ batch: [track('fine', 60), track('huge-amount', 61)] }).replace(
      /("messageId":"huge-amount".*?"revenue":)10/,
      '$11e999',
    );

    const response = await send(request('/v1/batch', undefined, { raw: Buffer.from(text) }));

    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      accepted: 1,
      problems: [{ index: 1, reason: 'unstorable_number', detail: expect.stringContaining('revenue') }],
    });
    expect((await storedEvents(store, DAYS)).map((e) => e.messageId)).toEqual(['fine']);
  });

  it('an amount a KPI adds up sent as text ("12.50") is quarantined as not_a_number at once, in AWS as locally', async () => {
    const { store, send } = await setup();
    const batch = [track('fine', 60), track('text-profit', 61, { properties: { revenue: 10, profit: '12.50' } })];

    const response = await send(request('/v1/batch', { batch }));

    expect(bodyOf(response)).toMatchObject({
      accepted: 1,
      problems: [{ index: 1, reason: 'not_a_number', detail: expect.stringContaining('send the number 12.50') }],
    });
    expect((await storedEvents(store, DAYS)).map((e) => e.messageId)).toEqual(['fine']);
  });

  it('a single call (/v1/track) over 32 KB is 413', async () => {
    const { send } = await setup();

    const response = await send(request('/v1/track', sized('huge', MAX_CALL_BYTES + 100)));

    expect(response.status).toBe(413);
  });
});

describe('mapping Segment calls', () => {
  it('each endpoint implies its type: page and screen become views with their name, identify is counted', async () => {
    const { store, send } = await setup();
    const base = { userId: 'u1', timestamp: on22nd(90).toISOString() };

    const answers = await Promise.all([
      send(request('/v1/track', { ...base, messageId: 't', event: 'Signed Up' })),
      send(
        request('/v1/page', { ...base, messageId: 'p', name: 'Pricing', category: 'Docs', properties: { path: '/p' } }),
      ),
      send(request('/v1/screen', { ...base, messageId: 's', name: 'Cart' })),
      send(request('/v1/identify', { ...base, messageId: 'i', traits: { email: 'a@example.com' } })),
      send(request('/v1/group', { ...base, messageId: 'g', groupId: 'acme' })),
      send(request('/v1/alias', { ...base, messageId: 'a', previousId: 'anon' })),
    ]);

    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(answers.map((r) => bodyOf(r).profileCalls)).toEqual([0, 0, 0, 1, 1, 1]);
    expect((await storedEvents(store, DAYS)).map((e) => [e.messageId, e.event, e.properties])).toEqual([
      ['p', 'Page Viewed', { path: '/p', name: 'Pricing', category: 'Docs' }],
      ['s', 'Screen Viewed', { name: 'Cart' }],
      ['t', 'Signed Up', {}],
    ]);
    expect(await quarantined(store)).toEqual([]);
  });

  it('bad calls are quarantined with their reasons, listed by index in the answer, and their neighbours stored', async () => {
    const { store, send } = await setup();
    const batch = [
      track('ok-1', 60),
      'not an object',
      { type: 'launch', messageId: 'x1', event: 'Launched' },
      track('no-tz', 60, { timestamp: '2026-11-22T10:00:00' }),
      track('future', 60, { timestamp: '2026-11-24T10:00:00+08:00' }),
      track('no-event', 60, { event: '' }),
      track('ok-2', 61),
    ];

    const response = await send(request('/v1/batch', { batch }));

    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({ received: 7, accepted: 2, quarantined: 5 });
    expect(
      (bodyOf(response).problems as Array<{ index: number; reason: string }>).map((p) => [p.index, p.reason]),
    ).toEqual([
      [1, 'not_an_object'],
      [2, 'missing_event'],
      [3, 'timestamp_without_offset'],
      [4, 'future_timestamp'],
      [5, 'missing_event'],
    ]);
    expect((await storedEvents(store, DAYS)).map((e) => e.messageId)).toEqual(['ok-1', 'ok-2']);
    expect((await quarantined(store)).map((q) => q.reason).sort()).toEqual([
      'future_timestamp',
      'missing_event',
      'missing_event',
      'not_an_object',
      'timestamp_without_offset',
    ]);
  });

  it('a quarantined call keeps no context or traits (IP addresses, e-mail addresses)', async () => {
    const { store, send } = await setup();
    const call = track('q', 60, {
      timestamp: 'yesterday',
      context: { ip: '203.0.113.9', traits: { email: 'a@example.com' } },
      traits: { email: 'b@example.com' },
    });

    await send(request('/v1/batch', { batch: [call, { ...call, type: 'unknown' }] }));

    const kept = JSON.stringify(await quarantined(store));
    expect(kept).toContain('bad_timestamp');
    expect(kept).not.toMatch(/203\.0\.113\.9|example\.com/);
  });

  it('a call without messageId gets one derived from its content: sent again, it is stored once', async () => {
    const { store, send } = await setup();
    const call = { type: 'track', event: 'Signed Up', userId: 'u9', timestamp: on22nd(5).toISOString() };

    await send(request('/v1/batch', { batch: [call], sentAt: on22nd(6).toISOString() }));
    await send(request('/v1/batch', { batch: [call], sentAt: on22nd(7).toISOString() }));

    const stored = await storedEvents(store, DAYS);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.messageId.startsWith(DERIVED_ID_PREFIX)).toBe(true);
  });

  it('a call without a timestamp happened when it arrived', async () => {
    const { store, send } = await setup();

    await send(request('/v1/track', { messageId: 'now', event: 'Signed Up', userId: 'u' }));

    const stored = await storedEvents(store, ['2026-11-23']);
    expect(stored.map((e) => [e.messageId, e.ts])).toEqual([['now', NOW]]);
  });
});

describe('answers 200 only once the events are held', () => {
  it('the answer waits for the sink to hold the events', async () => {
    const { store } = await freshStore('http-api');
    const sink = heldSink(storeSink({ store, config, now }));
    const deps = apiDeps(store, { sink });
    let answered = false;

    const pending = handleSegmentRequest(request('/v1/batch', { batch: [track('m1', 60)] }), deps).then((r) => {
      answered = true;
      return r;
    });
    while (sink.waiting() === 0) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const before = answered;
    sink.release();
    const response = await pending;

    expect(before).toBe(false);
    expect(response.status).toBe(200);
    expect(await storedEvents(store, DAYS)).toHaveLength(1);
  });

  it('a write that stored the events but reported a failure is a 503; sent again, each event is stored once', async () => {
    const { store } = await freshStore('http-api');
    let failNext = true;
    const flaky: StateStore = {
      ...store,
      async putMany(table, items) {
        await store.putMany(table, items);
        if (failNext) {
          failNext = false;
          throw new PutManyError(table, [], items, new Error('timed out waiting for DynamoDB'));
        }
      },
    };
    const deps = apiDeps(store, { sink: storeSink({ store: flaky, config, now }) });
    const batch = { batch: Array.from({ length: 40 }, (_, i) => track(`r${i}`, 60 + i)) };

    const first = await handleSegmentRequest(request('/v1/batch', batch), deps);
    const again = await handleSegmentRequest(request('/v1/batch', batch), deps);

    expect([first.status, first.headers['retry-after'], again.status]).toEqual([503, '1', 200]);
    expect((await storedEvents(store, DAYS)).map((e) => e.messageId).sort()).toEqual(
      batch.batch.map((c) => c.messageId).sort(),
    );
  });

  it('a sink that throws is a 503, never a 200', async () => {
    const { store } = await freshStore('http-api');
    const broken: EventSink = {
      deliver: async () => {
        throw new Error('queue unreachable');
      },
      quarantine: async () => {},
    };

    const response = await handleSegmentRequest(
      request('/v1/batch', { batch: [track('m1', 60)] }),
      apiDeps(store, { sink: broken }),
    );

    expect(response.status).toBe(503);
    expect(response.summary.accepted).toBe(0);
  });
});

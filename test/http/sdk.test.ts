// Real analytics SDKs against the API served in-process over HTTP: @segment/analytics-node (plain JSON) and
// RudderStack's Node SDK (gzip by default), thousands of events each, with injected 5xx answers that make the SDKs
// send batches again, some of them already stored. Each event must be stored exactly once.
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { Analytics } from '@segment/analytics-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { SegmentServer } from '#cli/serve.ts';
import { PAGE_EVENT } from '#shared/events/segment.ts';
import { freshStore } from '../support/dynamo.ts';
import { apiDeps, faultEvery, handlerFor, on22nd, quarantined, startApi, storedEvents, WRITE_KEY } from './support.ts';

const EVENTS = 3000;
/** Thousands of events through DynamoDB Local: minutes on a busy machine, so the timeout only catches a hang. */
const LONG = 600_000;
const DAYS = ['2026-11-22'];

let server: SegmentServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

/** `n` distinct ids. */
const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

function segmentClient(host: string, writeKey = WRITE_KEY) {
  // Batches of 100 (the SDK's 15 would only mean more requests); a generous request timeout, so that a slow shared
  // machine does not turn into retries of requests still being answered (those would be stored once all the same).
  return new Analytics({
    writeKey,
    host,
    flushAt: 100,
    flushInterval: 60_000,
    maxRetries: 10,
    httpRequestTimeout: 120_000,
  });
}

describe('@segment/analytics-node', () => {
  it(
    '3,000 tracks and pages through 5xx answers before and after storing are each stored exactly once',
    async () => {
      const { store } = await freshStore('http-sdk');
      const faults = faultEvery(5, handlerFor(apiDeps(store)));
      server = await startApi(faults.handle);
      const analytics = segmentClient(server.url);
      const failures: unknown[] = [];
      analytics.on('error', (e) => failures.push(e));

      const sent = ids('seg', EVENTS);
      for (const [i, messageId] of sent.entries()) {
        const common = { messageId, userId: `u_${i % 400}`, timestamp: on22nd(i / 3) };
        if (i % 3 === 0) analytics.page({ ...common, name: 'Home', properties: { path: '/' } });
        else analytics.track({ ...common, event: 'Order Completed', properties: { revenue: i, profit: 1 } });
      }
      await analytics.closeAndFlush();

      const stored = await storedEvents(store, DAYS);
      expect(failures).toEqual([]);
      expect(faults.before).toBeGreaterThan(0);
      expect(faults.after).toBeGreaterThan(0);
      expect(stored.map((e) => e.messageId)).toEqual(sent);
      expect(stored.filter((e) => e.event === PAGE_EVENT)).toHaveLength(EVENTS / 3);
      expect(stored.find((e) => e.messageId === 'seg-00003')?.properties).toEqual({ path: '/', name: 'Home' });
      expect(stored.find((e) => e.messageId === 'seg-00004')).toMatchObject({
        event: 'Order Completed',
        userId: 'u_4',
        ts: on22nd(4 / 3).getTime(),
        properties: { revenue: 4, profit: 1 },
      });
    },
    LONG,
  );

  it(
    "messageIds the SDK makes up itself are kept: every event is stored once under the SDK's id",
    async () => {
      const { store } = await freshStore('http-sdk');
      const faults = faultEvery(4, handlerFor(apiDeps(store)));
      server = await startApi(faults.handle);
      const analytics = segmentClient(server.url);
      const delivered: string[] = [];
      for (let i = 0; i < 500; i++) {
        analytics.track({ userId: `u_${i}`, event: 'Signed Up', timestamp: on22nd(i) }, (error, ctx) => {
          if (!error && ctx) delivered.push(String(ctx.event.messageId));
        });
      }
      await analytics.closeAndFlush();

      const stored = await storedEvents(store, DAYS);
      expect(faults.before + faults.after).toBeGreaterThan(0);
      expect(delivered).toHaveLength(500);
      expect(stored.map((e) => e.messageId)).toEqual([...delivered].sort());
    },
    LONG,
  );

  it('a wrong write key is answered 401, which the SDK does not retry, and nothing is stored', async () => {
    const { store } = await freshStore('http-sdk');
    const faults = faultEvery(1_000_000, handlerFor(apiDeps(store)));
    server = await startApi(faults.handle);
    const analytics = segmentClient(server.url, 'not-the-key');
    const failures: string[] = [];
    analytics.on('error', (e) => failures.push(String((e as { reason?: unknown }).reason)));
    for (let i = 0; i < 250; i++) analytics.track({ userId: 'u', event: 'Signed Up', timestamp: on22nd(i) });
    await analytics.closeAndFlush();

    expect(faults.statuses).toEqual([401, 401, 401]);
    expect(failures).toHaveLength(250);
    expect(await storedEvents(store, DAYS)).toEqual([]);
    expect(await quarantined(store)).toEqual([]);
  });
});

describe('@rudderstack/rudder-sdk-node (gzip bodies)', () => {
  /** The SDK, and the errors it reports for batches it gave up on. */
  function rudderClient(host: string, writeKey = WRITE_KEY) {
    const errors: unknown[] = [];
    const client = new RudderAnalytics(writeKey, {
      dataPlaneUrl: host,
      flushAt: 100,
      flushInterval: 60_000,
      retryCount: 3,
      logLevel: 'none',
      errorHandler: (error) => errors.push(error),
    });
    return { client, errors };
  }

  /**
   * Sends every call through the SDK and resolves once the SDK has called back for each (delivered or given up):
   * flushing until its queue is empty is not enough, as a flush started by the SDK itself may still be in flight.
   */
  async function sendAll(client: RudderAnalytics, calls: Array<(done: () => void) => void>): Promise<void> {
    const done = calls.map((call) => new Promise<void>((resolve) => call(resolve)));
    const queue = (client as unknown as { queue: unknown[] }).queue;
    while (queue.length > 0) await client.flush();
    await Promise.all(done);
  }

  it(
    '3,000 tracks, screens and identifies through 5xx answers: each event stored once, identifies not stored',
    async () => {
      const { store } = await freshStore('http-sdk');
      const faults = faultEvery(5, handlerFor(apiDeps(store)));
      server = await startApi(faults.handle);
      const { client, errors } = rudderClient(server.url);

      const sent = ids('rud', EVENTS);
      const events = sent.filter((_, i) => i % 10 !== 0);
      await sendAll(
        client,
        sent.map((messageId, i) => (done) => {
          const common = { messageId, userId: `u_${i % 400}`, timestamp: on22nd(i / 3) };
          if (i % 10 === 0) client.identify({ ...common, traits: { email: `person${i}@example.com` } } as never, done);
          else if (i % 10 === 1) client.screen({ ...common, name: 'Cart', properties: { items: 2 } } as never, done);
          else client.track({ ...common, event: 'Order Completed', properties: { revenue: i } } as never, done);
        }),
      );

      const stored = await storedEvents(store, DAYS);
      expect(errors).toEqual([]);
      expect(faults.before).toBeGreaterThan(0);
      expect(faults.after).toBeGreaterThan(0);
      expect(stored.map((e) => e.messageId)).toEqual(events);
      expect(stored.find((e) => e.messageId === 'rud-00001')).toMatchObject({
        event: 'Screen Viewed',
        properties: { items: 2, name: 'Cart' },
      });
      expect(JSON.stringify(stored)).not.toContain('@example.com');
    },
    LONG,
  );

  it(
    "without a timestamp the SDK's originalTimestamp is the event's time, the same on every retry",
    async () => {
      const { store } = await freshStore('http-sdk');
      const faults = faultEvery(3, handlerFor(apiDeps(store)));
      server = await startApi(faults.handle);
      const { client, errors } = rudderClient(server.url);
      const sent = ids('orig', 300);
      await sendAll(
        client,
        sent.map((messageId, i) => (done) => {
          client.track({ messageId, userId: 'u', event: 'Signed Up', originalTimestamp: on22nd(i) } as never, done);
        }),
      );

      const stored = await storedEvents(store, DAYS);
      expect(errors).toEqual([]);
      expect(faults.before + faults.after).toBeGreaterThan(0);
      expect(stored.map((e) => e.messageId)).toEqual(sent);
      expect(stored.map((e) => e.ts)).toEqual(sent.map((_, i) => on22nd(i).getTime()));
    },
    LONG,
  );

  it('a wrong write key is answered 401 and nothing is stored', async () => {
    const { store } = await freshStore('http-sdk');
    const faults = faultEvery(1_000_000, handlerFor(apiDeps(store)));
    server = await startApi(faults.handle);
    const { client, errors } = rudderClient(server.url, 'wrong-key');
    await sendAll(
      client,
      Array.from({ length: 150 }, (_, i) => (done: () => void) => {
        client.track({ userId: 'u', event: 'Signed Up', timestamp: on22nd(i) } as never, done);
      }),
    );

    expect(faults.statuses.length).toBeGreaterThan(0);
    expect(new Set(faults.statuses)).toEqual(new Set([401]));
    expect(errors).toHaveLength(faults.statuses.length);
    expect(await storedEvents(store, DAYS)).toEqual([]);
    expect(await quarantined(store)).toEqual([]);
  });
});

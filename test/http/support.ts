// The HTTP ingestion API as the tests run it: the shared request handler over the test's DynamoDB Local through the
// local sink (the queue consumer's code path), a fixed clock, a fault-injecting wrapper, and readers of what was kept.
import { type RequestHandler, type SegmentServer, startSegmentServer } from '#cli/serve.ts';
import type { StoredEvent } from '#shared/events/envelope.ts';
import { forEachEventOfDay, readQuarantine } from '#shared/events/events-store.ts';
import {
  type EventSink,
  type HttpRequest,
  handleSegmentRequest,
  type SegmentApiDeps,
} from '#shared/events/http-api.ts';
import { storeSink } from '#shared/events/http-sinks.ts';
import { staticWriteKeys } from '#shared/secrets/write-keys.ts';
import type { Item, StateStore } from '#shared/store/store.ts';
import { exampleConfig } from '../support/config.ts';

export const config = exampleConfig(); // Asia/Shanghai, 8 shards per day
/** The clock of every test here: 02:00 on 23 November 2026 in Shanghai. */
export const NOW = Date.parse('2026-11-23T02:00:00+08:00');
export const now = () => NOW;
export const WRITE_KEY = 'test-write-key-0123456789';
/** 22 November 2026 in Shanghai, plus `minutes`: the day the tests' events happen on. */
export const on22nd = (minutes: number) => new Date(Date.parse('2026-11-22T00:00:00+08:00') + minutes * 60_000);

export function apiDeps(store: StateStore, overrides: Partial<SegmentApiDeps> = {}): SegmentApiDeps {
  return {
    config,
    now,
    writeKeys: staticWriteKeys([WRITE_KEY]),
    sink: storeSink({ store, config, now }),
    ...overrides,
  };
}

export const handlerFor =
  (deps: SegmentApiDeps): RequestHandler =>
  (request) =>
    handleSegmentRequest(request, deps);

export interface Faults {
  handle: RequestHandler;
  /** Requests answered 503 without being handled. */
  before: number;
  /** Requests handled (their events stored) and then answered 500 all the same. */
  after: number;
  requests: number;
  /** The status of every answer, in order. */
  statuses: number[];
}

/**
 * Fails every `every`-th request, alternately before it is handled and after it was handled (its events stored): the
 * client sees a 5xx either way and sends the batch again, the second time with its events already stored.
 */
export function faultEvery(every: number, handle: RequestHandler): Faults {
  const faults: Faults = {
    before: 0,
    after: 0,
    requests: 0,
    statuses: [],
    async handle(request) {
      const n = ++faults.requests;
      const answer = async () => {
        if (n % every !== 0) return handle(request);
        if ((n / every) % 2 === 1) {
          faults.before++;
          return failure(503);
        }
        const response = await handle(request);
        if (response.status !== 200) return response;
        faults.after++;
        return failure(500);
      };
      const response = await answer();
      faults.statuses.push(response.status);
      return response;
    },
  };
  return faults;
}

function failure(status: number) {
  const body = JSON.stringify({ success: false, code: 'injected', message: 'injected by the test' });
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body,
    summary: {
      status,
      received: 0,
      accepted: 0,
      duplicates: 0,
      quarantined: {},
      profileCalls: {},
      refused: 'injected',
    },
  };
}

/** Every event stored for the local days, by messageId; a messageId stored twice (on two days) appears twice. */
export async function storedEvents(store: StateStore, days: string[]): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const day of days) await forEachEventOfDay(store, day, config.ingest.shardsPerDay, (e) => out.push(e));
  return out.sort((a, b) => a.messageId.localeCompare(b.messageId));
}

/** The quarantine of the day the tests' requests arrive (NOW is 23 November in Shanghai). */
export const quarantined = (store: StateStore): Promise<Item[]> => readQuarantine(store, '2026-11-23', 10_000);

/** A request to the handler as a server would pass it. */
export function request(
  path: string,
  body: unknown,
  options: { key?: string | null; headers?: Record<string, string>; method?: string; raw?: Uint8Array } = {},
): HttpRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const key = options.key === undefined ? WRITE_KEY : options.key;
  if (key !== null) headers.authorization = basic(key);
  return {
    method: options.method ?? 'POST',
    path,
    headers,
    body: options.raw ?? Buffer.from(JSON.stringify(body)),
  };
}

export const basic = (user: string, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export function track(messageId: string, minutes: number, extra: Record<string, unknown> = {}) {
  return {
    type: 'track',
    messageId,
    event: 'Order Completed',
    userId: `u_${messageId}`,
    timestamp: on22nd(minutes).toISOString(),
    properties: { revenue: 10, profit: 2, department: 'market' },
    ...extra,
  };
}

/** A sink that holds every delivery until `release()`: shows what a response waits for. */
export function heldSink(inner: EventSink): EventSink & { release(): void; waiting(): number } {
  let gate!: () => void;
  let open = new Promise<void>((r) => (gate = r));
  let waiting = 0;
  return {
    async deliver(messages) {
      waiting++;
      await open;
      waiting--;
      return inner.deliver(messages);
    },
    quarantine: (calls) => inner.quarantine(calls),
    release() {
      gate();
      open = Promise.resolve();
    },
    waiting: () => waiting,
  };
}

export async function startApi(handle: RequestHandler): Promise<SegmentServer> {
  return startSegmentServer({ handle });
}

// `nightshift serve`: the Segment-compatible HTTP ingestion API on 127.0.0.1, answered by the same request handler as
// the Lambda and stored through the events queue consumer's code path, until Ctrl-C or SIGTERM. Stopping takes no new
// request and finishes the ones already taken: an answer of 200 always means stored.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import {
  type HttpRequest,
  handleSegmentRequest,
  type RequestSummary,
  type SegmentApiResponse,
} from '#shared/events/http-api.ts';
import { storeSink } from '#shared/events/http-sinks.ts';
import { MAX_BATCH_BYTES } from '#shared/events/segment.ts';
import { staticWriteKeys, type WriteKeys } from '#shared/secrets/write-keys.ts';
import { type CommandContext, type GlobalOptions, withContext } from './context.ts';
import { printJson } from './json.ts';

/** The `serve` verb. */
export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'serve the Segment-compatible HTTP ingestion API on 127.0.0.1 into the local store until Ctrl-C or SIGTERM',
    )
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', parsePort, 8088)
    .option('--write-key <key>', 'a write key SDKs send as the Basic auth user name (repeat for more)', collect)
    .action(async (o: { port: number; writeKey?: string[] }, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      if (!o.writeKey?.length) {
        throw new Error('--write-key KEY is required: the key SDKs send as the user name of Basic auth');
      }
      const writeKeys = staticWriteKeys(o.writeKey);
      const json = opts.json ?? false;
      // Listening from the start: a Ctrl-C or SIGTERM while DynamoDB Local starts stops it, and says so.
      const stop = stopSignals();
      try {
        const totals = await withContext(
          opts,
          (ctx) => runServe(ctx, { port: o.port, writeKeys, json, until: stop.first }),
          { signal: stop.signal, ...(json ? {} : { say: (line: string) => console.log(line) }) },
        );
        if (json) printJson(totals);
        else for (const line of serveLines(totals)) console.log(line);
      } catch (error) {
        if (!(error instanceof StoppedBySignal)) throw error;
        if (json) printJson({ stopped: 'during start-up', signal: error.signal });
        else console.log(`${error.signal}: stopped during start-up, before serving anything`);
      } finally {
        stop.dispose();
      }
    });
}

/** Why start-up was given up: the signal that asked the command to stop. */
export class StoppedBySignal extends Error {
  override name = 'StoppedBySignal';
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
    this.signal = signal;
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('expected a port number, 0 to 65535');
  return port;
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export type RequestHandler = (request: HttpRequest) => Promise<SegmentApiResponse>;

export interface SegmentServerOptions {
  handle: RequestHandler;
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Requests handled at once; more wait their turn. @default 16 */
  maxConcurrent?: number;
  /** Requests that may wait; past that the answer is 429 with Retry-After (clients resend). @default 1024 */
  maxWaiting?: number;
  /** Called with every answered request's summary. */
  onRequest?: (summary: RequestSummary) => void;
}

export interface SegmentServer {
  url: string;
  port: number;
  /** Takes no new request, finishes those already taken, then closes every connection. */
  stop(): Promise<void>;
}

/**
 * Bodies are read up to this many bytes (the batch limit with room for gzip's overhead); a longer one is drained and
 * answered 413 by the handler without being kept in memory.
 */
const READ_LIMIT = MAX_BATCH_BYTES + 16 * 1024 + 1;

export async function startSegmentServer(options: SegmentServerOptions): Promise<SegmentServer> {
  const maxConcurrent = options.maxConcurrent ?? 16;
  const maxWaiting = options.maxWaiting ?? 1024;
  let running = 0;
  const waiting: Array<() => void> = [];
  let inFlight = 0;
  let stopping = false;
  let drained: (() => void) | undefined;
  let seq = 0;

  const slot = async (): Promise<(() => void) | undefined> => {
    if (running >= maxConcurrent) {
      if (waiting.length >= maxWaiting) return undefined;
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    return () => {
      const next = waiting.shift();
      if (next) next();
      else running--;
    };
  };

  const server = createServer((req, res) => {
    if (stopping) {
      send(res, unavailable('the server is stopping'), true);
      return;
    }
    inFlight++;
    serve(req, res)
      .catch((error: unknown) => {
        // A bug, not a refusal: answered 500 (clients resend) with its message, never its data.
        const message = error instanceof Error ? error.message : String(error);
        if (!res.headersSent) send(res, failure(500, 'internal_error', message.slice(0, 200)), stopping);
        else res.destroy();
      })
      .finally(() => {
        if (--inFlight === 0 && drained) drained();
      });
  });

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const release = await slot();
    if (!release) {
      send(
        res,
        failure(429, 'busy', 'too many requests at once: send again shortly', { 'retry-after': '1' }),
        stopping,
      );
      return;
    }
    try {
      const response = await options.handle({
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        headers: req.headers as Record<string, string | undefined>,
        body,
        id: String(++seq),
      });
      options.onRequest?.(response.summary);
      send(res, response, stopping);
    } finally {
      release();
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;

  return {
    port,
    url: `http://${address}:${port}`,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        server.closeAllConnections();
        await closed;
      })();
      return stopped;
    },
  };
}

/** The body up to READ_LIMIT bytes; the rest is read and dropped, so the client hears the 413 rather than a reset. */
async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (size >= READ_LIMIT) continue;
    const room = READ_LIMIT - size;
    const kept = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
    chunks.push(kept);
    size += kept.byteLength;
  }
  return Buffer.concat(chunks, size);
}

function send(res: ServerResponse, response: Pick<SegmentApiResponse, 'status' | 'headers' | 'body'>, close: boolean) {
  const headers: Record<string, string | number> = {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
  };
  if (close) headers.connection = 'close';
  res.writeHead(response.status, headers);
  res.end(response.body);
}

function failure(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ success: false, code, message }),
  };
}

function unavailable(message: string) {
  return failure(503, 'unavailable', message, { 'retry-after': '1' });
}

/** What `nightshift serve` took in, printed when it stops. */
export interface ServeTotals {
  requests: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  received: number;
  /** Events held (answered 200): those stored and their duplicates. */
  accepted: number;
  /** Distinct events stored. */
  stored: number;
  /** Events already stored when they came (sent again), stored once. */
  duplicates: number;
  quarantined: Record<string, number>;
  profileCalls: Record<string, number>;
}

export function emptyTotals(): ServeTotals {
  return {
    requests: 0,
    statuses: {},
    received: 0,
    accepted: 0,
    stored: 0,
    duplicates: 0,
    quarantined: {},
    profileCalls: {},
  };
}

export function addToTotals(totals: ServeTotals, s: RequestSummary): void {
  totals.requests++;
  totals.statuses[s.status] = (totals.statuses[s.status] ?? 0) + 1;
  if (s.status !== 200) return;
  totals.received += s.received;
  totals.accepted += s.accepted;
  totals.stored += s.accepted - s.duplicates;
  totals.duplicates += s.duplicates;
  for (const [k, n] of Object.entries(s.quarantined)) totals.quarantined[k] = (totals.quarantined[k] ?? 0) + (n ?? 0);
  for (const [k, n] of Object.entries(s.profileCalls))
    totals.profileCalls[k] = (totals.profileCalls[k] ?? 0) + (n ?? 0);
}

export interface ServeOptions {
  port: number;
  writeKeys: WriteKeys;
  json: boolean;
  /** Resolves when the server should stop (the command's: the first SIGINT or SIGTERM). */
  until: Promise<unknown>;
}

/** Serves the API into the command's store until `until`; returns what it took in. */
export async function runServe(ctx: CommandContext, options: ServeOptions): Promise<ServeTotals> {
  const { writeKeys } = options;
  const sink = storeSink({ store: ctx.store, config: ctx.config, now: ctx.now });
  const totals = emptyTotals();
  const server = await startSegmentServer({
    port: options.port,
    handle: (request) => handleSegmentRequest(request, { config: ctx.config, writeKeys, sink, now: ctx.now }),
    onRequest: (summary) => addToTotals(totals, summary),
  });
  if (options.json) printJson({ listening: server.url });
  else {
    console.log(`Segment-compatible API on ${server.url} (POST /v1/batch, /v1/track, ...): Ctrl-C to stop`);
    console.log(`  e.g. new Analytics({ writeKey: '<your --write-key>', host: '${server.url}' })`);
  }
  await options.until;
  await server.stop();
  return totals;
}

/**
 * The first SIGINT or SIGTERM, as a promise (`first`) and as an abort signal whose reason is a `StoppedBySignal`.
 * Later ones are absorbed until `dispose`, so a second Ctrl-C does not end the process while it stops DynamoDB Local
 * or finishes the requests it took. While these listeners are there, the data folder's lock leaves the stopping to
 * the command (its release runs when the command ends).
 */
function stopSignals(): { first: Promise<void>; signal: AbortSignal; dispose: () => void } {
  const absorb = () => {};
  const controller = new AbortController();
  let resolve!: () => void;
  const first = new Promise<void>((r) => (resolve = r));
  const on = (signal: NodeJS.Signals) => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
    process.on('SIGINT', absorb);
    process.on('SIGTERM', absorb);
    controller.abort(new StoppedBySignal(signal));
    resolve();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return {
    first,
    signal: controller.signal,
    dispose() {
      for (const s of ['SIGINT', 'SIGTERM'] as const) {
        process.off(s, on);
        process.off(s, absorb);
      }
    },
  };
}

export function serveLines(totals: ServeTotals): string[] {
  const lines = [
    `stopped after ${totals.requests} requests (${
      Object.entries(totals.statuses)
        .map(([s, n]) => `${n} x ${s}`)
        .join(', ') || 'none'
    })`,
    `received ${totals.received} calls: ${totals.stored} unique events stored (${totals.duplicates} duplicates stored once), ${sum(totals.quarantined)} quarantined, ${sum(totals.profileCalls)} identify/group/alias calls counted and not stored`,
  ];
  for (const [reason, n] of Object.entries(totals.quarantined)) lines.push(`  ${reason}: ${n}`);
  // Not a resend: another event under a messageId already stored. Said apart from the duplicates.
  const reused = totals.quarantined.reused_message_id ?? 0;
  if (reused > 0) {
    lines.push(
      `${reused === 1 ? '1 call' : `${reused} calls`} reused the messageId of a different event: kept the first, quarantined ${reused === 1 ? 'this one' : 'these'} with reason reused_message_id (nightshift quarantine lists them)`,
    );
  }
  return lines;
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((n, k) => n + k, 0);

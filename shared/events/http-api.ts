// The Segment-compatible HTTP ingestion API as one function from a request to a response, so the Lambda behind API
// Gateway and `nightshift serve` answer alike. Answers are the ones Segment's clients act on: 200 only once every event
// is held by the sink (queued or stored), 400/401/404/405/413/415 for requests a retry cannot fix (clients drop them),
// 503 only when a retry can help (the sink or the write keys are unavailable; clients send the batch again, and
// messageIds keep a resent event from counting twice).
import { gunzip } from 'node:zlib';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { isWriteKey, type WriteKeys } from '#shared/secrets/write-keys.ts';
import { parseEventBody, type RejectReason } from './envelope.ts';
import type { IncomingMessage, IngestResult } from './ingest.ts';
import { numberReadsOf } from './number-reads.ts';
import {
  MAX_BATCH_BYTES,
  MAX_CALL_BYTES,
  mapSegmentCall,
  type ProfileCallType,
  SEGMENT_CALL_TYPES,
  type SegmentCallType,
} from './segment.ts';

export interface HttpRequest {
  method: string;
  /** The path without its query string: `/v1/batch`. */
  path: string;
  /** Header names in lower case. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The body as received (still compressed when sent with `Content-Encoding: gzip`). */
  body: Uint8Array;
  /** Named as the source of quarantined calls: the API Gateway request id, or the local server's count. */
  id?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What one request came to, for logs, metrics and `nightshift serve`'s totals; no personal data. */
export interface RequestSummary {
  status: number;
  /** Calls in the request. */
  received: number;
  /** Events handed to the sink and held by it (a resent one is held again, and stored once). */
  accepted: number;
  /**
   * Of `accepted`, events the sink had already stored (resent by the client): known to a sink that stores them (the
   * local server's), 0 for the queue's.
   */
  duplicates: number;
  /** Calls quarantined, by reason. */
  quarantined: Partial<Record<RejectReason, number>>;
  /** identify, group and alias calls: accepted and counted, not stored. */
  profileCalls: Partial<Record<ProfileCallType, number>>;
  /** Why the request was refused (non-200), as in the response's `code`. */
  refused?: string;
}

export interface SegmentApiResponse extends HttpResponse {
  summary: RequestSummary;
}

/** A call quarantined by the API itself: not a Segment call Nightshift keeps, or an envelope that fails its rules. */
export interface QuarantinedCall {
  sourceId: string;
  reason: RejectReason;
  detail: string;
  body: string;
  sentAt: number;
}

/** Where accepted events go: the events queue in AWS, the store through `ingestMessages` on a laptop. */
export interface EventSink {
  /**
   * Resolves once every message is held, but those in `failed` (a retry may pass) and `rejected` (refused for good,
   * and quarantined by the sink itself).
   */
  deliver(
    messages: readonly IncomingMessage[],
  ): Promise<Pick<IngestResult, 'failed' | 'rejected'> & Partial<Pick<IngestResult, 'duplicates'>>>;
  /** Keeps calls the API refused, for inspection; rejects when they could not be kept. */
  quarantine(calls: readonly QuarantinedCall[]): Promise<void>;
}

export interface SegmentApiDeps {
  config: NightshiftConfig;
  writeKeys: WriteKeys;
  sink: EventSink;
  now: () => number;
}

type Endpoint = SegmentCallType | 'batch';

const ENDPOINTS: Record<string, Endpoint> = {
  '/v1/batch': 'batch',
  // Segment's older name of the batch endpoint, still sent by some clients.
  '/v1/import': 'batch',
  ...Object.fromEntries(SEGMENT_CALL_TYPES.map((t) => [`/v1/${t}`, t])),
};

/**
 * A compressed body may be a little larger than its content (gzip of random bytes); past this much more, it cannot
 * decompress to within the limit.
 */
const COMPRESSION_SLACK = 16 * 1024;
/** Problems listed one by one in a 200 answer; the rest are counted. */
const MAX_LISTED_PROBLEMS = 100;

export async function handleSegmentRequest(req: HttpRequest, deps: SegmentApiDeps): Promise<SegmentApiResponse> {
  const endpoint = ENDPOINTS[req.path.endsWith('/') ? req.path.slice(0, -1) : req.path];
  if (!endpoint) {
    return refuse(
      404,
      'not_found',
      `no endpoint ${req.path.slice(0, 100)}: POST to ${Object.keys(ENDPOINTS).join(', ')}`,
    );
  }
  if (req.method !== 'POST') {
    return refuse(405, 'method_not_allowed', `${req.method.slice(0, 20)} is not allowed: POST the calls`, {
      allow: 'POST',
    });
  }

  const auth = basicUser(req.headers.authorization);
  if (auth === null) {
    return unauthorized('the Authorization header is not Basic auth: send the write key as its user name');
  }
  let keys: readonly string[] | undefined;
  const writeKeys = async () => {
    keys ??= await deps.writeKeys();
    return keys;
  };
  if (auth !== undefined) {
    const known = await readKeys(writeKeys);
    if ('response' in known) return known.response;
    if (!isWriteKey(known.keys, auth)) return unauthorized('unknown write key');
  }

  const limit = endpoint === 'batch' ? MAX_BATCH_BYTES : MAX_CALL_BYTES;
  const what = endpoint === 'batch' ? 'a batch' : 'one call';
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const gzipped = encoding === 'gzip' || encoding === 'x-gzip';
  if (!gzipped && encoding !== 'identity' && encoding !== '') {
    return refuse(
      415,
      'unsupported_encoding',
      `Content-Encoding '${encoding.slice(0, 40)}' is not supported: send gzip or none`,
    );
  }
  if (req.body.byteLength > limit + (gzipped ? COMPRESSION_SLACK : 0)) {
    return tooLarge(what, limit, `${req.body.byteLength} bytes`);
  }
  let raw: Uint8Array = req.body;
  if (gzipped) {
    const inflated = await gunzipWithin(req.body, limit);
    if (inflated === 'too_large') return tooLarge(what, limit, 'more than that once decompressed');
    if (inflated === 'corrupt') return refuse(400, 'bad_gzip', 'the body is not valid gzip (Content-Encoding: gzip)');
    raw = inflated;
    if (raw.byteLength > limit) return tooLarge(what, limit, `${raw.byteLength} bytes once decompressed`);
  }

  const text = utf8(raw);
  if (text === undefined) return refuse(400, 'not_utf8', 'the body is not UTF-8 text');
  let payload: unknown;
  try {
    payload = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    return refuse(400, 'not_json', `the body is not JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    const expected = endpoint === 'batch' ? '{"batch": [...]}' : 'one call as a JSON object';
    return refuse(400, 'not_an_object', `the body must be ${expected}`);
  }
  const body = payload as Record<string, unknown>;
  if (auth === undefined) {
    // Without an Authorization header, Segment takes the key from the body (analytics.js's beacons send it so).
    if (typeof body.writeKey !== 'string' || body.writeKey === '') {
      return unauthorized('no write key: send it as the user name of Basic auth');
    }
    const known = await readKeys(writeKeys);
    if ('response' in known) return known.response;
    if (!isWriteKey(known.keys, body.writeKey)) return unauthorized('unknown write key');
  }

  let calls: readonly unknown[];
  if (endpoint === 'batch') {
    if (!Array.isArray(body.batch))
      return refuse(400, 'no_batch', 'the body must be {"batch": [...]}: a list of calls');
    calls = body.batch;
  } else {
    calls = [body];
  }
  return ingestCalls(calls, endpoint === 'batch' ? undefined : endpoint, req.id ?? '-', deps);
}

async function ingestCalls(
  calls: readonly unknown[],
  type: SegmentCallType | undefined,
  requestId: string,
  deps: SegmentApiDeps,
): Promise<SegmentApiResponse> {
  const { config } = deps;
  const sentAt = deps.now();
  const envelopeOptions = {
    timeZone: config.timeZone,
    maxBytes: config.ingest.maxEventBytes,
    sentAt,
    futureToleranceMinutes: config.ingest.futureToleranceMinutes,
    maxAgeDays: config.ingest.eventRetentionDays,
    numberReads: numberReadsOf(config),
  };
  const summary: RequestSummary = {
    status: 200,
    received: calls.length,
    accepted: 0,
    duplicates: 0,
    quarantined: {},
    profileCalls: {},
  };
  const messages: IncomingMessage[] = [];
  const refused: QuarantinedCall[] = [];
  const problems: Array<{ index: number; reason: RejectReason; detail: string }> = [];
  const indexOf = new Map<string, number>();

  for (const [index, call] of calls.entries()) {
    const sourceId = `http:${requestId}#${index}`;
    const mapped = mapSegmentCall(call, { type, receivedAt: sentAt });
    if (mapped.kind === 'profile') {
      summary.profileCalls[mapped.type] = (summary.profileCalls[mapped.type] ?? 0) + 1;
      continue;
    }
    // The envelope's rules, here as the queue's consumer applies them: the client hears about a bad call at once.
    const judged = mapped.kind === 'event' ? parseEventBody(mapped.body, envelopeOptions) : mapped;
    if ('reason' in judged) {
      refused.push({ sourceId, reason: judged.reason, detail: judged.detail, body: mapped.body, sentAt });
      problems.push({ index, reason: judged.reason, detail: judged.detail });
      continue;
    }
    indexOf.set(sourceId, index);
    messages.push({ id: sourceId, body: mapped.body, sentAt });
  }

  let failed: string[];
  try {
    const [delivered] = await Promise.all([
      messages.length > 0 ? deps.sink.deliver(messages) : { failed: [], rejected: [], duplicates: 0 },
      refused.length > 0 ? deps.sink.quarantine(refused) : undefined,
    ]);
    failed = delivered.failed;
    for (const r of delivered.rejected)
      problems.push({ index: indexOf.get(r.id) ?? -1, reason: r.reason, detail: r.detail });
    summary.accepted = messages.length - delivered.failed.length - delivered.rejected.length;
    summary.duplicates = delivered.duplicates ?? 0;
  } catch (error) {
    return unavailable(`events could not be stored: ${(error as Error).message?.slice(0, 200)}`, summary);
  }
  if (failed.length > 0) {
    return unavailable(
      `${failed.length} of ${messages.length} events could not be stored yet; send the request again (events already stored are not stored twice)`,
      summary,
    );
  }
  for (const p of problems) summary.quarantined[p.reason] = (summary.quarantined[p.reason] ?? 0) + 1;
  problems.sort((a, b) => a.index - b.index);
  return {
    status: 200,
    headers: JSON_HEADERS,
    body: JSON.stringify({
      success: true,
      received: summary.received,
      accepted: summary.accepted,
      quarantined: problems.length,
      profileCalls: Object.values(summary.profileCalls).reduce((n, k) => n + k, 0),
      problems: problems.slice(0, MAX_LISTED_PROBLEMS),
    }),
    summary,
  };
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** The user name of a Basic Authorization header: undefined without one, null when it is not Basic auth. */
export function basicUser(header: string | undefined): string | undefined | null {
  if (header === undefined || header.trim() === '') return undefined;
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]*)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? decoded : decoded.slice(0, colon);
}

async function readKeys(
  writeKeys: () => Promise<readonly string[]>,
): Promise<{ keys: readonly string[] } | { response: SegmentApiResponse }> {
  try {
    return { keys: await writeKeys() };
  } catch {
    return { response: unavailable('the write keys cannot be read right now') };
  }
}

function gunzipWithin(body: Uint8Array, limit: number): Promise<Uint8Array | 'too_large' | 'corrupt'> {
  return new Promise((resolve) => {
    gunzip(body, { maxOutputLength: limit + 1 }, (error, out) => {
      if (!error) resolve(out);
      else resolve((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too_large' : 'corrupt');
    });
  });
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function utf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function emptySummary(status: number, refused: string): RequestSummary {
  return { status, received: 0, accepted: 0, duplicates: 0, quarantined: {}, profileCalls: {}, refused };
}

function refuse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): SegmentApiResponse {
  return {
    status,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ success: false, code, message }),
    summary: emptySummary(status, code),
  };
}

function unauthorized(message: string): SegmentApiResponse {
  return refuse(401, 'unauthorized', message, { 'www-authenticate': 'Basic realm="nightshift", charset="UTF-8"' });
}

function tooLarge(what: string, limit: number, size: string): SegmentApiResponse {
  return refuse(
    413,
    'too_large',
    `${what} may be at most ${limit} bytes of JSON (Segment's limit); this one is ${size}`,
  );
}

function unavailable(message: string, summary?: RequestSummary): SegmentApiResponse {
  const out = refuse(503, 'unavailable', message, { 'retry-after': '1' });
  if (summary) out.summary = { ...summary, status: 503, accepted: 0, duplicates: 0, refused: 'unavailable' };
  return out;
}

// Segment tracking-API calls (track, page, screen, identify, group, alias) as Nightshift sees them: each call of a
// request judged on its own, mapped to the event envelope, counted as a call that is not an event, or refused with a
// quarantine reason, so one bad call never holds back the rest of its batch.
import { createHash } from 'node:crypto';
import type { RejectReason } from './envelope.ts';

export const SEGMENT_CALL_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;
export type SegmentCallType = (typeof SEGMENT_CALL_TYPES)[number];
/** Calls about who a user or account is, not about something that happened: accepted, counted, never stored. */
export type ProfileCallType = 'identify' | 'group' | 'alias';

/** The event a `page` call becomes (the name the example config's KPIs count). */
export const PAGE_EVENT = 'Page Viewed';
/** The event a `screen` call (mobile SDKs) becomes. */
export const SCREEN_EVENT = 'Screen Viewed';
/** Segment's limit on one call: 32 KB of JSON. */
export const MAX_CALL_BYTES = 32 * 1024;
/** Segment's limit on one batch request: 500 KB of JSON. */
export const MAX_BATCH_BYTES = 500 * 1024;
/** Prefix of the messageId given to a call that has none: a hash of the call, the same on every retry. */
export const DERIVED_ID_PREFIX = 'derived-';

export type MappedCall =
  /** An event envelope as JSON, judged next by the envelope's rules exactly as a queued message is. */
  | { kind: 'event'; messageId: string; body: string }
  | { kind: 'profile'; type: ProfileCallType }
  /** Not an event Nightshift can keep: quarantined with `body` (the call without its context) for inspection. */
  | { kind: 'refused'; reason: RejectReason; detail: string; body: string };

export interface MapOptions {
  /** The type the endpoint implies (`/v1/track`); each call of `/v1/batch` names its own. */
  type?: SegmentCallType;
  /** When the request arrived (epoch ms): the timestamp of a call that carries none. */
  receivedAt: number;
}

/**
 * One Segment call as Nightshift keeps it. `track` keeps its event name; `page` and `screen` become "Page Viewed" and
 * "Screen Viewed" with the call's `name` and `category` among the properties. `context`, `traits` and `integrations`
 * are not kept (IP address, user agent, e-mail: personal data no KPI reads).
 */
export function mapSegmentCall(call: unknown, options: MapOptions): MappedCall {
  if (typeof call !== 'object' || call === null || Array.isArray(call)) {
    return refused('not_an_object', 'a Segment call must be a JSON object', call);
  }
  const c = call as Record<string, unknown>;
  const size = jsonBytes(c);
  if (size === undefined) return refused('too_deep', 'the call nests too deeply to be read', summaryOf(c));
  if (size > MAX_CALL_BYTES) {
    return refused(
      'too_large',
      `the call is ${size} bytes of JSON; Segment's limit, which Nightshift keeps, is ${MAX_CALL_BYTES} per call${idNote(c)}`,
      c,
    );
  }
  const type = options.type ?? c.type;
  if (type === 'identify' || type === 'group' || type === 'alias') return { kind: 'profile', type };
  if (type !== 'track' && type !== 'page' && type !== 'screen') {
    const named = typeof type === 'string' ? `'${type.slice(0, 40)}'` : 'missing';
    return refused(
      'missing_event',
      `type is ${named}, not one of ${SEGMENT_CALL_TYPES.join(', ')}: the call names no event${idNote(c)}`,
      c,
    );
  }

  const envelope: Record<string, unknown> = {
    messageId: hasValue(c.messageId) ? c.messageId : derivedMessageId(type, c),
    event: type === 'track' ? c.event : type === 'page' ? PAGE_EVENT : SCREEN_EVENT,
    // RudderStack's SDKs send the time of the call as originalTimestamp; no clock-skew correction from sentAt, which
    // SDKs stamp anew on every retry: a retried call must map to the same stored event.
    timestamp: c.timestamp ?? c.originalTimestamp ?? new Date(options.receivedAt).toISOString(),
    properties: type === 'track' ? c.properties : viewProperties(c),
  };
  const userId = id(c.userId);
  if (userId !== undefined) envelope.userId = userId;
  const anonymousId = id(c.anonymousId);
  if (anonymousId !== undefined) envelope.anonymousId = anonymousId;
  let infinite: string | undefined;
  const body = json(envelope, (key, value) => {
    // A number past JSON's range (1e999) was read as Infinity: written back it would become null, a silent change.
    if (typeof value === 'number' && !Number.isFinite(value)) infinite ??= key;
    return value;
  });
  if (body === undefined)
    return refused('too_deep', `the properties nest too deeply to be read${idNote(c)}`, summaryOf(c));
  if (infinite !== undefined) {
    const detail = `"${infinite}" is a number beyond what can be stored (±1.8e308 read as infinity)${idNote(c)}`;
    return refused('unstorable_number', detail, summaryOf(c));
  }
  return { kind: 'event', messageId: String(envelope.messageId), body };
}

/**
 * The messageId of a call sent without one (every Segment SDK sends one; a hand-written client may not): a hash of
 * the call as sent, so a retry of it is stored once. Two calls alike in every field are then one event.
 */
export function derivedMessageId(type: string, call: Record<string, unknown>): string {
  // sentAt and writeKey belong to the request and change between retries; the rest is the call itself.
  const { sentAt: _sentAt, writeKey: _writeKey, ...rest } = call;
  const text = json({ type, ...rest }) ?? '';
  return `${DERIVED_ID_PREFIX}${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

function viewProperties(c: Record<string, unknown>): unknown {
  const { properties } = c;
  // Anything but an object (or nothing) goes through as sent, for the envelope to name the problem.
  if (
    properties !== undefined &&
    properties !== null &&
    (typeof properties !== 'object' || Array.isArray(properties))
  ) {
    return properties;
  }
  const out: Record<string, unknown> = { ...(properties as Record<string, unknown> | null | undefined) };
  if (hasValue(c.name)) out.name = c.name;
  if (hasValue(c.category)) out.category = c.category;
  return out;
}

/** SDKs have long accepted numeric ids and sent them as strings; so does Nightshift. Empty or null ids are absent. */
function id(value: unknown): unknown {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return hasValue(value) ? value : undefined;
}

const hasValue = (v: unknown) => v !== undefined && v !== null && v !== '';

function refused(reason: RejectReason, detail: string, call: unknown): MappedCall {
  return { kind: 'refused', reason, detail, body: keptBody(call) };
}

/** The call as quarantined: without its context, traits and integrations (personal data, and no use to a reader). */
function keptBody(call: unknown): string {
  if (typeof call !== 'object' || call === null || Array.isArray(call)) return json(call) ?? String(call);
  const {
    context: _context,
    traits: _traits,
    integrations: _integrations,
    writeKey: _writeKey,
    ...rest
  } = call as Record<string, unknown>;
  return json(rest) ?? json(summaryOf(rest)) ?? '{}';
}

/** What can be shown of a call too deep to serialize: its scalar fields. */
function summaryOf(c: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c)) if (typeof v !== 'object' || v === null) out[k] = v;
  return out;
}

function idNote(c: Record<string, unknown>): string {
  return typeof c.messageId === 'string' ? ` (message ${c.messageId.slice(0, 100)})` : '';
}

/** JSON text, or undefined when the value nests deeper than the stack serializes. */
function json(value: unknown, replacer?: (key: string, value: unknown) => unknown): string | undefined {
  try {
    return JSON.stringify(value, replacer);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function jsonBytes(value: unknown): number | undefined {
  const text = json(value);
  return text === undefined ? undefined : Buffer.byteLength(text);
}

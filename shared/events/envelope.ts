// The event envelope (Segment "track" shape): validation with a precise reason for every rejection, including what
// JSON allows but DynamoDB cannot store as sent. Hand-written rather than zod because it runs per event on the ingest
// hot path (>100k events/s per core).
import { localDate, parseOffsetTimestamp } from '#shared/time/calendar.ts';

export const REJECT_REASONS = [
  'too_large',
  'not_json',
  'not_an_object',
  'missing_message_id',
  'missing_event',
  'missing_timestamp',
  'timestamp_without_offset',
  'bad_timestamp',
  'future_timestamp',
  'expired_timestamp',
  'bad_user_id',
  'bad_properties',
  'unstorable_number',
  'unstorable_string',
  'bad_property_name',
  'too_deep',
  'not_a_number',
  'item_too_large',
  'reused_message_id',
  'store_rejected',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A valid event as stored: its local day is computed once, at ingest, in the config's time zone. */
export interface StoredEvent {
  messageId: string;
  event: string;
  /** userId, or the anonymousId of a visitor who has none. */
  userId?: string;
  /** Epoch milliseconds of `timestamp`. */
  ts: number;
  /** Local date of the event in the configured time zone: the KPI day, not the arrival day. */
  day: string;
  properties: Record<string, unknown>;
}

/**
 * A property a KPI formula adds up (sum, avg, min or max of it): an event holding it as anything but a number would
 * count in the KPI's counts and not in its sums, so an average order value of three orders with one readable amount
 * reads a third of it. Such an event is refused (`not_a_number`) rather than stored.
 */
export interface NumberRead {
  /** The property's path inside `properties`. */
  path: readonly string[];
  /** The term that reads it, as the formula language prints it: 'sum("Order Completed".revenue)'. */
  term: string;
  /** The KPIs whose formulas have the term. */
  kpis: readonly string[];
}

/** The properties formulas add up, by the event name they read them on; `null`: terms that read any event. */
export type NumberReads = ReadonlyMap<string | null, readonly NumberRead[]>;

export type ParseResult = { ok: true; event: StoredEvent } | { ok: false; reason: RejectReason; detail: string };

export interface EnvelopeOptions {
  timeZone: string;
  maxBytes: number;
  /**
   * When the message was sent (epoch ms): the timestamp is judged against it, so a redelivery is judged alike.
   * Without it, no timestamp is too new or too old.
   */
  sentAt?: number;
  /** How far after `sentAt` a timestamp may lie (device clocks run fast). */
  futureToleranceMinutes?: number;
  /** How far before `sentAt` a timestamp may lie: an older event would expire (TTL) as soon as it was stored. */
  maxAgeDays?: number;
  /** Properties the KPI formulas add up (`numberReadsOf(config)`): one that is not a number refuses the event. */
  numberReads?: NumberReads;
}

const MAX_ID_LENGTH = 512;
/** DynamoDB's limit on a sort key (the messageId), in UTF-8 bytes. */
const MAX_ID_BYTES = 1024;
/** Containers DynamoDB nests under an attribute: 32 levels with the item itself as the first. */
export const MAX_PROPERTY_DEPTH = 31;
/** DynamoDB numbers: at most 38 digits, magnitude 1E-130 to 9.99...E+125. JSON numbers past 2^53 - 1 are not exact. */
const SMALLEST_MAGNITUDE = 1e-130;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function parseEventBody(body: string, options: EnvelopeOptions): ParseResult {
  // Byte length only matters near the limit; string length bounds it cheaply (UTF-8 uses at most 3 bytes per unit).
  if (body.length * 3 > options.maxBytes && Buffer.byteLength(body) > options.maxBytes) {
    return fail('too_large', `event is ${Buffer.byteLength(body)} bytes, the limit is ${options.maxBytes}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    // V8 parses nesting of any depth; an engine that recurses runs out of stack instead.
    if (error instanceof RangeError) return fail('too_deep', `JSON nested too deeply to parse: ${error.message}`);
    return fail('not_json', `not JSON: ${(error as Error).message}`);
  }
  return parseEventValue(value, options);
}

export function parseEventValue(value: unknown, options: Omit<EnvelopeOptions, 'maxBytes'>): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('not_an_object', 'expected a JSON object with messageId, event and timestamp');
  }
  const v = value as Record<string, unknown>;
  const messageId = v.messageId;
  if (
    typeof messageId !== 'string' ||
    messageId.trim() === '' ||
    messageId.length > MAX_ID_LENGTH ||
    (messageId.length * 3 > MAX_ID_BYTES && Buffer.byteLength(messageId) > MAX_ID_BYTES)
  ) {
    return fail(
      'missing_message_id',
      `messageId must be a non-empty string of at most ${MAX_ID_LENGTH} characters and ${MAX_ID_BYTES} bytes`,
    );
  }
  if (!messageId.isWellFormed()) return fail('unstorable_string', `messageId ${UNPAIRED}`);
  const event = v.event;
  if (typeof event !== 'string' || event.trim() === '') {
    return fail('missing_event', `event must be a non-empty string (message ${messageId})`);
  }
  if (!event.isWellFormed()) return fail('unstorable_string', `event ${UNPAIRED} (message ${messageId})`);
  const timestamp = v.timestamp;
  if (typeof timestamp !== 'string' || timestamp === '') {
    return fail('missing_timestamp', `timestamp must be an ISO 8601 string with offset (message ${messageId})`);
  }
  const parsed = parseOffsetTimestamp(timestamp);
  if (!parsed.ok) {
    const reason = parsed.noOffset ? 'timestamp_without_offset' : 'bad_timestamp';
    return fail(reason, `${parsed.reason}: '${timestamp.slice(0, 64)}' (message ${messageId})`);
  }
  const { sentAt } = options;
  if (sentAt !== undefined) {
    const tolerance = (options.futureToleranceMinutes ?? 0) * MINUTE_MS;
    if (parsed.ms > sentAt + tolerance) {
      return fail(
        'future_timestamp',
        `timestamp '${timestamp.slice(0, 64)}' is ${span(parsed.ms - sentAt)} after the message was sent; at most ${options.futureToleranceMinutes ?? 0} min is accepted (message ${messageId})`,
      );
    }
    if (options.maxAgeDays !== undefined && parsed.ms < sentAt - options.maxAgeDays * DAY_MS) {
      return fail(
        'expired_timestamp',
        `timestamp '${timestamp.slice(0, 64)}' is ${span(sentAt - parsed.ms)} before the message was sent, past the ${options.maxAgeDays} days events are kept (message ${messageId})`,
      );
    }
  }
  const userId = v.userId ?? v.anonymousId;
  if (userId !== undefined && userId !== null && (typeof userId !== 'string' || userId.length > MAX_ID_LENGTH)) {
    return fail('bad_user_id', `userId must be a string (message ${messageId})`);
  }
  if (typeof userId === 'string' && !userId.isWellFormed()) {
    return fail('unstorable_string', `userId ${UNPAIRED} (message ${messageId})`);
  }
  const properties = v.properties ?? {};
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    return fail('bad_properties', `properties must be an object (message ${messageId})`);
  }
  const flaw = flawOf(properties, 1);
  if (flaw) {
    const path = `properties${flaw.path.reverse().join('')}`;
    return fail(flaw.reason, `${clipPath(path)} ${flaw.problem} (message ${messageId})`);
  }
  const notNumber =
    options.numberReads && notANumber(event, properties as Record<string, unknown>, options.numberReads);
  if (notNumber) return fail('not_a_number', `${notNumber} (message ${messageId})`);
  const stored: StoredEvent = {
    messageId,
    event,
    ts: parsed.ms,
    day: localDate(parsed.ms, options.timeZone),
    properties: properties as Record<string, unknown>,
  };
  if (typeof userId === 'string' && userId !== '') stored.userId = userId;
  return { ok: true, event: stored };
}

/** What is wrong when a property a formula adds up holds something other than a number (null is no value). */
function notANumber(event: string, properties: Record<string, unknown>, reads: NumberReads): string | undefined {
  for (const name of [event, null]) {
    for (const read of reads.get(name) ?? []) {
      const value = valueAt(properties, read.path);
      if (value === undefined || value === null || typeof value === 'number') continue;
      const kpis = read.kpis.length > 3 ? `${read.kpis.slice(0, 3).join(', ')}, ...` : read.kpis.join(', ');
      return `${clipPath(`properties.${read.path.join('.')}`)} is ${shownValue(value)}, not a number, and ${read.term} (KPI ${kpis}) adds up numbers: stored, this event would count in its KPIs' counts but not in that sum; ${numberAdvice(value)}`;
    }
  }
  return undefined;
}

function valueAt(properties: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = properties;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function shownValue(value: unknown): string {
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** '$1,250.00' and '1,250.00' as the plain number they most likely mean ('1250.00'), when that is unambiguous. */
export function plainAmount(text: string): string | undefined {
  const bare = text
    .trim()
    .replace(/^([-+]?)\s*[$€£¥]\s*/, '$1')
    .replace(/\s*(USD|EUR|GBP|[$€£¥])$/i, '');
  const number = /^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/.test(bare)
    ? bare.replaceAll(',', '').replace(/^\+/, '')
    : undefined;
  return number !== undefined && number !== text ? number : undefined;
}

function numberAdvice(value: unknown): string {
  const plain =
    typeof value === 'string'
      ? (plainAmount(value) ?? (/^-?\d+(\.\d+)?$/.test(value.trim()) ? value.trim() : undefined))
      : undefined;
  const what = plain === undefined ? 'a number' : `the number ${plain}`;
  return `send ${what} (in JSON without quotes; in CSV without currency sign or thousands separators)`;
}

function fail(reason: RejectReason, detail: string): ParseResult {
  return { ok: false, reason, detail };
}

const UNPAIRED = 'holds an unpaired UTF-16 surrogate (half of an emoji?), which DynamoDB does not store as sent';

/** Whether DynamoDB stores this JSON number exactly as JavaScript reads it. */
export function isStorableNumber(n: number): boolean {
  return (
    n >= -Number.MAX_SAFE_INTEGER &&
    n <= Number.MAX_SAFE_INTEGER &&
    (n >= SMALLEST_MAGNITUDE || n <= -SMALLEST_MAGNITUDE || n === 0)
  );
}

interface Flaw {
  reason: 'unstorable_number' | 'unstorable_string' | 'bad_property_name' | 'too_deep';
  /** Path segments from the flaw up to the properties object ('.name', '[3]'), innermost first. */
  path: string[];
  problem: string;
}

/**
 * The first thing in a property value DynamoDB cannot store as sent. `depth` is the nesting level of `value` if it
 * is a container; the walk never goes deeper than DynamoDB's limit, whatever the input's depth.
 */
function flawOf(value: unknown, depth: number): Flaw | undefined {
  if (typeof value === 'number') {
    return isStorableNumber(value)
      ? undefined
      : { reason: 'unstorable_number', path: [], problem: numberProblem(value) };
  }
  if (typeof value === 'string') {
    return value.isWellFormed() ? undefined : { reason: 'unstorable_string', path: [], problem: UNPAIRED };
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_PROPERTY_DEPTH) {
    return {
      reason: 'too_deep',
      path: [],
      problem: `nests deeper than the ${MAX_PROPERTY_DEPTH} levels of properties DynamoDB stores`,
    };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const flaw = flawOf(value[i], depth + 1);
      if (flaw) {
        flaw.path.push(`[${i}]`);
        return flaw;
      }
    }
    return undefined;
  }
  for (const key in value) {
    if (key === '' || key === '__proto__' || key === 'constructor' || !key.isWellFormed()) {
      return { reason: 'bad_property_name', path: [], problem: badNameProblem(key) };
    }
    const flaw = flawOf((value as Record<string, unknown>)[key], depth + 1);
    if (flaw) {
      flaw.path.push(/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key).slice(0, 40)}]`);
      return flaw;
    }
  }
  return undefined;
}

function badNameProblem(key: string): string {
  if (key === '') return 'has an empty property name, which DynamoDB refuses';
  if (key === '__proto__' || key === 'constructor') {
    return `has a property named '${key}', which the AWS SDK cannot write to DynamoDB (it takes it for part of the object)`;
  }
  return `has a property name that ${UNPAIRED}`;
}

function numberProblem(n: number): string {
  if (!Number.isFinite(n)) return 'is a number too large for a double (it parses to Infinity)';
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) {
    return `is ${n}, past ±${Number.MAX_SAFE_INTEGER} where JSON numbers lose digits (send large ids as strings)`;
  }
  return `is ${n}, smaller in magnitude than DynamoDB's 1E-130`;
}

function clipPath(path: string): string {
  return path.length > 120 ? `${path.slice(0, 60)}…${path.slice(-40)}` : path;
}

/** '3 d 4 h', '2 h 5 min', '7 min' */
function span(ms: number): string {
  const minutes = Math.floor(ms / MINUTE_MS);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes % 60} min`;
  return `${minutes} min`;
}

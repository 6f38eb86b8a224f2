// The guard that keeps personal data out of log lines (DESIGN.md: "no personal data in logs"). It runs as the
// logger's JSON replacer, on every key and value of every line, whatever a caller passes: user and order ids become a
// SHA-256 prefix (the same id always maps to the same value, so an operator holding an id can still find it), emails,
// names, phone numbers, addresses, raw message bodies and event properties are withheld, and inside any text email
// addresses, the config's people and `"userId":"..."`-style JSON fragments are blanked.
import { hashId } from '#shared/privacy/mask.ts';

/** Keys (compared lower-case, without `_` or `-`) whose values are ids of people or orders: logged as a hash. */
const ID_KEYS = new Set(['userid', 'anonymousid', 'orderid', 'customerid', 'accountid', 'u']);

/** Keys whose values are withheld whole. */
const WITHHELD_KEYS = new Set([
  'email',
  'emails',
  'emailaddress',
  'mail',
  'to',
  'cc',
  'bcc',
  'replyto',
  'recipient',
  'recipients',
  'fullname',
  'firstname',
  'lastname',
  'displayname',
  'username',
  'customername',
  'phone',
  'phonenumber',
  'mobile',
  'address',
  'street',
  'ip',
  'ipaddress',
  'birthdate',
  'dateofbirth',
  // Raw queue bodies and event properties can hold anything a sender put in them.
  'body',
  'rawbody',
  'properties',
  'p',
  'traits',
  'context',
]);

/** `name` is personal unless it names an error class ("TypeError", "ConditionalCheckFailedException"). */
const ERROR_NAME = /^[A-Za-z]*(Error|Exception|Fault)$/;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** `"userId": "u_1"`, `"email":"a@b.c"`, `"orderId": 42` inside a string (a raw body quoted in an error). */
const JSON_FIELD =
  /"(userId|anonymousId|user_id|orderId|order_id|email|name|fullName|firstName|lastName|phone|address)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.]*)/gi;

export const WITHHELD = '[withheld]';

export interface ScrubOptions {
  /** People whose names and addresses are blanked wherever they appear (the config's `people`). */
  people?: ReadonlyArray<{ name: string; email: string }>;
}

const normalize = (key: string) => key.toLowerCase().replace(/[_-]/g, '');
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Scrubber {
  /** Blanks personal data inside free text. */
  text(value: string): string;
  /** A JSON.stringify replacer: the logger's `jsonReplacerFn`. */
  replacer(key: string, value: unknown): unknown;
}

export function createScrubber(options: ScrubOptions = {}): Scrubber {
  const known = (options.people ?? [])
    .flatMap((p) => [p.name, p.email])
    .filter((s) => s.trim().length >= 2)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  // Whole words only, so a short name never blanks part of another word.
  const people =
    known.length > 0 ? new RegExp(`(?<![\\p{L}\\p{N}])(${known.join('|')})(?![\\p{L}\\p{N}])`, 'giu') : undefined;

  const text = (value: string): string => {
    let out = value.replace(JSON_FIELD, (_m, key: string) => `"${key}":"${WITHHELD}"`);
    if (people) out = out.replace(people, WITHHELD);
    return out.replace(EMAIL, WITHHELD);
  };

  const replacer = (key: string, value: unknown): unknown => {
    if (value === null || value === undefined || key === '') return typeof value === 'string' ? text(value) : value;
    const k = normalize(key);
    if (ID_KEYS.has(k) && (typeof value === 'string' || typeof value === 'number')) return `sha256:${hashId(value)}`;
    if (WITHHELD_KEYS.has(k)) return WITHHELD;
    if (k === 'name' && !(typeof value === 'string' && ERROR_NAME.test(value))) return WITHHELD;
    if (typeof value === 'string') return text(value);
    return value;
  };

  return { text, replacer };
}

/** A scrubber that knows no people: for text outside a configured deployment. */
export const defaultScrubber: Scrubber = createScrubber();

/** The error as a loggable, rethrowable copy: same name, personal data blanked from its message and stack. */
export function scrubError(error: unknown, scrubber: Scrubber = defaultScrubber): Error {
  if (!(error instanceof Error)) return new Error(scrubber.text(String(error)));
  const copy = new Error(scrubber.text(error.message));
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : scrubber.text(error.stack);
  return copy;
}

// The guard that keeps personal data out of log lines (DESIGN.md: "no personal data in logs"). It runs as the
// logger's JSON replacer, on every key and value of every line, whatever a caller passes: user and order ids become
// their keyed pseudonym (`hmac:` + HMAC-SHA-256 prefix, so an operator holding the key can still find an id's lines
// with `nightshift pseudonym`; withheld where the process has no key), an address keeps its province or state, an age
// becomes a 5-year band, emails, names, phone numbers, finer locations, raw message bodies, event properties and
// secrets are withheld, and inside any text the same rules apply to `"userId":"..."`-style JSON fields, while email
// addresses, the config's people and the pseudonym key's own text are blanked.
import { locationOrAgeRule, normalizeField, WITHHELD } from '#shared/privacy/mask.ts';
import { LOG_TAG, loadedPseudonymKey, type PseudonymKey, pseudonymKey } from '#shared/privacy/pseudonym.ts';

export { WITHHELD };

/** Keys (compared lower-case, without `_` or `-`) whose values are ids of people or orders: logged as a pseudonym. */
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
  'ip',
  'ipaddress',
  // Raw queue bodies and event properties can hold anything a sender put in them.
  'body',
  'rawbody',
  'properties',
  'p',
  'traits',
  'context',
  // Secrets, whatever a careless call passes.
  'secret',
  'secretstring',
  'secretvalue',
  'password',
  'token',
  'apikey',
  'writekey',
  'pseudonymkey',
]);

/** `name` is personal unless it names an error class ("TypeError", "ConditionalCheckFailedException"). */
const ERROR_NAME = /^[A-Za-z]*(Error|Exception|Fault)$/;

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** `"userId": "u_1"`, `"age":27` inside a string (a raw body quoted in an error): a JSON field with a scalar value. */
const JSON_FIELD = /"([A-Za-z_][\w\- ]{0,63})"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*)/g;

export interface ScrubOptions {
  /** People whose names and addresses are blanked wherever they appear (the config's `people`). */
  people?: ReadonlyArray<{ name: string; email: string }>;
  /**
   * The key pseudonyms are made with. @default the process's key (shared/privacy/pseudonym.ts), looked up when a
   * line is written; without one, ids are withheld.
   */
  pseudonymKey?: () => PseudonymKey | undefined;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Scrubber {
  /** Blanks personal data inside free text. */
  text(value: string): string;
  /** A JSON.stringify replacer: the logger's `jsonReplacerFn`. */
  replacer(key: string, value: unknown): unknown;
}

/** What a field's value becomes. */
type Rule = (value: unknown) => unknown;

export function createScrubber(options: ScrubOptions = {}): Scrubber {
  const known = (options.people ?? [])
    .flatMap((p) => [p.name, p.email])
    .filter((s) => s.trim().length >= 2)
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp);
  // Whole words only, so a short name never blanks part of another word.
  const people =
    known.length > 0 ? new RegExp(`(?<![\\p{L}\\p{N}])(${known.join('|')})(?![\\p{L}\\p{N}])`, 'giu') : undefined;
  const keyOf = options.pseudonymKey ?? pseudonymKey;

  const pseudonymOf = (id: string | number): string => {
    try {
      const key = keyOf();
      return key ? `${LOG_TAG}${key.pseudonym(id)}` : WITHHELD;
    } catch {
      // A key that cannot be loaded must not break the log line, nor let the id through.
      return WITHHELD;
    }
  };

  // Only a key already in use can be quoted somewhere: looking it up must not create a key file.
  const keyToRedact = (): PseudonymKey | undefined => {
    try {
      return options.pseudonymKey ? options.pseudonymKey() : loadedPseudonymKey();
    } catch {
      return undefined;
    }
  };

  /** What a field becomes, by its name; undefined for a field no rule is about. */
  const ruleFor = (key: string): Rule | undefined => {
    const k = normalizeField(key);
    if (ID_KEYS.has(k)) {
      return (v) => (typeof v === 'string' || typeof v === 'number' ? pseudonymOf(v) : v);
    }
    if (WITHHELD_KEYS.has(k)) return () => WITHHELD;
    if (k === 'name') return (v) => (typeof v === 'string' && ERROR_NAME.test(v) ? v : WITHHELD);
    return locationOrAgeRule(k);
  };

  const text = (value: string): string => {
    let out = value.replace(JSON_FIELD, (match, key: string, raw: string) => {
      const rule = ruleFor(key);
      if (!rule) return match;
      const parsed = raw.startsWith('"') ? unquote(raw) : Number(raw);
      return `"${key}":${JSON.stringify(rule(parsed))}`;
    });
    if (people) out = out.replace(people, WITHHELD);
    out = out.replace(EMAIL, WITHHELD);
    return keyToRedact()?.redact(out, WITHHELD) ?? out;
  };

  const replacer = (key: string, value: unknown): unknown => {
    if (value === null || value === undefined || key === '') return typeof value === 'string' ? text(value) : value;
    const masked = ruleFor(key)?.(value) ?? value;
    return typeof masked === 'string' ? text(masked) : masked;
  };

  return { text, replacer };
}

function unquote(raw: string): string {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return raw.slice(1, -1);
  }
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

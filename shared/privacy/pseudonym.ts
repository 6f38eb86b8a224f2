// Pseudonyms: a user or order id shown in a log or a mail as a keyed hash (HMAC-SHA-256 with a secret the deployment
// holds, DESIGN.md "Who may see what"), so nobody without the key can hash candidate ids (u_1, u_2, ...) to reverse it,
// while an operator holding the key finds an id's lines (`nightshift pseudonym u_1042`).
import { createHmac, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** Hex characters of the HMAC kept: 64 bits, no collisions in practice, short enough for a table cell. */
export const PSEUDONYM_LENGTH = 16;
/** Shortest key text accepted: a generated key is 43 (local) or 64 (Secrets Manager) characters. */
export const MIN_KEY_LENGTH = 32;
/** How a pseudonym is tagged in log lines: `"userId":"hmac:3f9a..."`. */
export const LOG_TAG = 'hmac:';

export class PseudonymKeyError extends Error {
  override name = 'PseudonymKeyError';
}

const HIDDEN = '[pseudonym key]';

/** 32 random bytes as base64url text (43 characters): what a new key file holds. */
export function newKeyText(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The secret pseudonyms are keyed with. Its text never leaves the object by accident: JSON, `String()` and
 * `util.inspect` (console.log, error messages) all show `[pseudonym key]`.
 */
export class PseudonymKey {
  readonly #material: Buffer;
  readonly #text: string;

  private constructor(text: string) {
    this.#text = text;
    this.#material = Buffer.from(text, 'utf8');
  }

  /** A key from its text (a key file's content, a secret's value); `source` names it in errors, never the text. */
  static fromText(text: string, source: string): PseudonymKey {
    const trimmed = text.trim();
    if (trimmed.length < MIN_KEY_LENGTH) {
      throw new PseudonymKeyError(
        `${source}: a pseudonym key needs at least ${MIN_KEY_LENGTH} characters, found ${trimmed.length}`,
      );
    }
    return new PseudonymKey(trimmed);
  }

  /** A new random key (as a key file holds it). */
  static generate(): PseudonymKey {
    return new PseudonymKey(newKeyText());
  }

  /** The id's pseudonym: the first `length` hex characters of HMAC-SHA-256(key, id). 42 and '42' are one id. */
  pseudonym(id: string | number, length = PSEUDONYM_LENGTH): string {
    if (!Number.isInteger(length) || length < 1 || length > 64) {
      throw new RangeError(`pseudonym length must be an integer from 1 to 64, got ${length}`);
    }
    return createHmac('sha256', this.#material).update(String(id), 'utf8').digest('hex').slice(0, length);
  }

  /** The text with every occurrence of the key's text blanked (for a log line that quotes it somehow). */
  redact(text: string, replacement: string): string {
    return text.includes(this.#text) ? text.split(this.#text).join(replacement) : text;
  }

  toJSON(): string {
    return HIDDEN;
  }

  toString(): string {
    return HIDDEN;
  }

  [inspect.custom](): string {
    return HIDDEN;
  }
}

type KeySource = PseudonymKey | (() => PseudonymKey);

let installed: KeySource | undefined;
let loaded: PseudonymKey | undefined;

/**
 * Sets the process's key, once at start-up: the Lambda runtime after reading the secret (cold start), the CLI a
 * loader of the key file under --data (read or created on first use). `undefined` removes it (tests).
 */
export function setPseudonymKey(key: KeySource | undefined): void {
  installed = key;
  loaded = key instanceof PseudonymKey ? key : undefined;
}

/** The process's key (loading it on first use); undefined when none was set. */
export function pseudonymKey(): PseudonymKey | undefined {
  if (loaded) return loaded;
  if (installed === undefined) return undefined;
  loaded = installed instanceof PseudonymKey ? installed : installed();
  return loaded;
}

/** The process's key if it has been loaded already: for redacting its text, without creating a key file. */
export function loadedPseudonymKey(): PseudonymKey | undefined {
  return loaded;
}

/** The id's pseudonym under `key`, by default the process's key; without any key it fails rather than hash unkeyed. */
export function pseudonym(id: string | number, key: PseudonymKey | undefined = pseudonymKey()): string {
  if (!key) {
    throw new PseudonymKeyError(
      'no pseudonym key: the Lambda reads it from the secret named by PSEUDONYM_KEY_SECRET, the CLI from <data>/pseudonym.key',
    );
  }
  return key.pseudonym(id);
}

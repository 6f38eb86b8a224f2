// Masking of personal data wherever it could reach a report, an alert or a log (DESIGN.md, "Who may see what"):
// ids become a SHA-256 prefix, an address keeps only its province or state, an age becomes a 5-year band.
import { createHash } from 'node:crypto';

/** Hex characters of the SHA-256 kept by default: 64 bits, no collisions in practice, short enough for a table cell. */
export const HASH_ID_LENGTH = 16;

/**
 * A user or order id as the first `length` hex characters of its SHA-256. The same id always masks to the same
 * value, so an operator who holds the real id can find it in a report by hashing it (`sha256sum`).
 */
export function hashId(id: string | number, length = HASH_ID_LENGTH): string {
  if (!Number.isInteger(length) || length < 1 || length > 64) {
    throw new RangeError(`hashId length must be an integer from 1 to 64, got ${length}`);
  }
  return createHash('sha256').update(String(id), 'utf8').digest('hex').slice(0, length);
}

/** The parts of an address Nightshift may be given; only the province/state survives masking. */
export interface AddressParts {
  province?: string | undefined;
  state?: string | undefined;
  region?: string | undefined;
  [part: string]: unknown;
}

/**
 * An address reduced to its province or state. A free-text address cannot be split reliably (street, city and
 * province come in different orders in different countries), so it is withheld whole rather than guessed at.
 */
export function maskAddress(address: AddressParts | string | null | undefined): string {
  if (address === null || address === undefined) return 'unknown';
  if (typeof address === 'string') return address.trim() === '' ? 'unknown' : 'withheld';
  const kept = [address.province, address.state, address.region].find((p) => typeof p === 'string' && p.trim());
  return kept ? kept.trim() : 'unknown';
}

/** An age as a 5-year band: 27 becomes "25-30" (from included, to excluded). */
export function ageBand(age: number | null | undefined): string {
  if (age === null || age === undefined || !Number.isFinite(age) || age < 0 || age > 150) return 'unknown';
  const from = Math.floor(age / 5) * 5;
  return `${from}-${from + 5}`;
}

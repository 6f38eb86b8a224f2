// Masking of personal data wherever it could reach a report, an alert or a log (DESIGN.md, "Who may see what"): an
// address keeps only its province or state, an age becomes a 5-year band, and anything finer than a province (street,
// city, postcode, coordinates) or a birth date is withheld. Ids become keyed pseudonyms (./pseudonym.ts).

/** What a withheld value is replaced with. */
export const WITHHELD = '[withheld]';
/** What an address or age that cannot be read becomes. */
export const UNKNOWN = 'unknown';

/** The parts of an address Nightshift may be given; only the province/state survives masking. */
export interface AddressParts {
  province?: unknown;
  state?: unknown;
  region?: unknown;
  [part: string]: unknown;
}

/** Longest province or state name kept: a longer one is free text that may hold more than a province. */
const MAX_PROVINCE_LENGTH = 60;

/**
 * An address reduced to its province or state. A free-text address cannot be split reliably (street, city and
 * province come in different orders in different countries), so it is withheld whole rather than guessed at. Any
 * input gives a string; nothing but the province, state or region part is ever returned.
 */
export function maskAddress(address: unknown): string {
  if (address === null || address === undefined) return UNKNOWN;
  if (typeof address === 'string') return address.trim() === '' ? UNKNOWN : 'withheld';
  if (typeof address !== 'object' || Array.isArray(address)) return UNKNOWN;
  const parts = address as AddressParts;
  for (const name of ['province', 'state', 'region'] as const) {
    // Own data properties only: a getter or an inherited value is not an address part someone sent.
    const part = Object.getOwnPropertyDescriptor(parts, name)?.value;
    if (typeof part !== 'string') continue;
    const kept = part.trim();
    if (kept === '') continue;
    return kept.length > MAX_PROVINCE_LENGTH || /[\r\n]/.test(kept) ? 'withheld' : kept;
  }
  return UNKNOWN;
}

/**
 * An age as a 5-year band: 27 becomes "25-30" (from included, to excluded). A number or a numeric string from 0 to
 * 150; anything else is "unknown".
 */
export function ageBand(age: unknown): string {
  const n = typeof age === 'number' ? age : typeof age === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(age) ? +age : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 150) return UNKNOWN;
  const from = Math.floor(n / 5) * 5;
  return `${from}-${from + 5}`;
}

/** Field names (lower-case, without `_` or `-`) whose value is an address: kept to its province or state. */
const ADDRESS_FIELDS = new Set([
  'address',
  'location',
  'geo',
  'homeaddress',
  'shippingaddress',
  'billingaddress',
  'deliveryaddress',
  'postaladdress',
]);

/** Location parts finer than a province, and birth dates: withheld. */
const FINER_FIELDS = new Set([
  'street',
  'streetaddress',
  'line1',
  'line2',
  'addressline1',
  'addressline2',
  'city',
  'town',
  'district',
  'county',
  'neighborhood',
  'zip',
  'zipcode',
  'postcode',
  'postalcode',
  'latitude',
  'longitude',
  'lat',
  'lng',
  'lon',
  'coordinates',
  'birthdate',
  'dateofbirth',
  'dob',
  'birthday',
  'birthyear',
]);

const AGE_FIELDS = new Set(['age', 'userage', 'customerage']);

/** A field name as the masking rules compare it: lower-case, without `_`, `-` or spaces. */
export const normalizeField = (name: string): string => name.toLowerCase().replace(/[_\-\s]/g, '');

/**
 * The handbook's rule for a location or age field, by its name, or undefined when the field is neither
 * (`province`, `state`, `region` and `country` are already coarse enough and pass).
 */
export function locationOrAgeRule(field: string): ((value: unknown) => string) | undefined {
  const name = normalizeField(field);
  if (ADDRESS_FIELDS.has(name)) return maskAddress;
  if (AGE_FIELDS.has(name)) return ageBand;
  if (FINER_FIELDS.has(name)) return () => WITHHELD;
  return undefined;
}

/** A location or age field's value as it may be shown; undefined when the field is neither. */
export function maskLocationOrAge(field: string, value: unknown): string | undefined {
  return locationOrAgeRule(field)?.(value);
}

// How DynamoDB sizes an item against its 400 KB limit: what a writer checks before a put that must not be refused.
import type { Item } from './store.ts';

/** DynamoDB's item size limit (names and values, UTF-8). */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Size of an item as DynamoDB counts it against its 400 KB limit: attribute names and strings in UTF-8, numbers
 * about one byte per two significant digits plus one, 3 bytes per list or map plus 1 per element.
 */
export function itemBytes(item: Item): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value !== undefined) n += Buffer.byteLength(name) + valueBytes(value);
  }
  return n;
}

/** Size of one attribute value as DynamoDB counts it (`itemBytes` adds each attribute's name). */
export function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return numberBytes(value);
  if (typeof value !== 'object' || value === null) return 1;
  let n = 3;
  if (Array.isArray(value)) {
    for (const v of value) n += 1 + valueBytes(v);
  } else {
    for (const [k, v] of Object.entries(value)) if (v !== undefined) n += 1 + Buffer.byteLength(k) + valueBytes(v);
  }
  return n;
}

function numberBytes(n: number): number {
  const digits = String(Math.abs(n)).replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

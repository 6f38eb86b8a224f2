import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ageBand, hashId, maskAddress } from '#shared/privacy/mask.ts';

describe('masking of personal data', () => {
  it('an id becomes a stable prefix of its SHA-256 that does not contain the id', () => {
    const full = createHash('sha256').update('o_123').digest('hex');

    expect(hashId('o_123')).toBe(full.slice(0, 16));
    expect(hashId('o_123', 64)).toBe(full);
    expect(hashId(123)).toBe(hashId('123'));
    expect(hashId('o_123')).not.toContain('123');
  });

  it('rejects a prefix length outside 1 to 64', () => {
    expect(() => hashId('x', 0)).toThrow(RangeError);
    expect(() => hashId('x', 65)).toThrow(RangeError);
  });

  it('an address keeps only its province or state', () => {
    expect(maskAddress({ street: '12 Nanjing Rd', city: 'Shanghai', province: 'Shanghai', zip: '200001' })).toBe(
      'Shanghai',
    );
    expect(maskAddress({ line1: '1 Main St', city: 'Austin', state: 'TX' })).toBe('TX');
    expect(maskAddress({ street: '1 Main St' })).toBe('unknown');
  });

  it('a free-text address is withheld whole rather than guessed at', () => {
    expect(maskAddress('12 Nanjing Rd, Huangpu, Shanghai')).toBe('withheld');
    expect(maskAddress(undefined)).toBe('unknown');
  });

  it('an age becomes its 5-year band', () => {
    expect(ageBand(27)).toBe('25-30');
    expect(ageBand(25)).toBe('25-30');
    expect(ageBand(29.9)).toBe('25-30');
    expect(ageBand(0)).toBe('0-5');
    expect(ageBand(-1)).toBe('unknown');
    expect(ageBand(Number.NaN)).toBe('unknown');
  });
});

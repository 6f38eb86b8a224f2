import { describe, expect, it } from 'vitest';
import { ageBand, maskAddress, maskLocationOrAge, WITHHELD } from '#shared/privacy/mask.ts';

describe('masking of personal data', () => {
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

  it('an age sent as a numeric string gets its band too; other text is unknown', () => {
    expect(ageBand('34')).toBe('30-35');
    expect(ageBand('thirty')).toBe('unknown');
    expect(ageBand('34; DROP')).toBe('unknown');
  });

  it('a province longer than a province name, or spanning lines, is withheld as free text', () => {
    expect(maskAddress({ province: `Zhejiang\n12 West Lake Rd` })).toBe('withheld');
    expect(maskAddress({ state: 'x'.repeat(61) })).toBe('withheld');
  });

  it('fields are masked by their name: addresses to the province, ages to a band, finer places withheld', () => {
    expect(maskLocationOrAge('shipping_address', { city: 'Hangzhou', province: 'Zhejiang' })).toBe('Zhejiang');
    expect(maskLocationOrAge('Age', 41)).toBe('40-45');
    expect(maskLocationOrAge('postalCode', '310000')).toBe(WITHHELD);
    expect(maskLocationOrAge('date_of_birth', '1990-01-01')).toBe(WITHHELD);
    expect(maskLocationOrAge('province', 'Zhejiang')).toBeUndefined();
    expect(maskLocationOrAge('revenue', 129)).toBeUndefined();
  });
});

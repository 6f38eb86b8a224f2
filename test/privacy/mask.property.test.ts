// Property-based tests of the masking helpers, an output boundary: whatever a sender put in an address or an age,
// masking never throws and never shows more than the province (or state, or region) or a 5-year band.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createScrubber } from '#shared/observability/scrub.ts';
import { ageBand, maskAddress, maskLocationOrAge } from '#shared/privacy/mask.ts';
import { PseudonymKey } from '#shared/privacy/pseudonym.ts';

const SENTINELS = ['unknown', 'withheld'];
const COARSE = ['province', 'state', 'region'] as const;

/** Address parts finer than a province, tagged so that no province a test draws can contain one by chance. */
const finer = fc.string({ minLength: 1, maxLength: 30 }).map((s) => `§${s}§`);
const coarse = fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('Zhejiang', ' TX ', '', '\n', 'Île-de-France'));

const address = fc.record(
  {
    street: finer,
    city: finer,
    zip: finer,
    line1: finer,
    province: fc.oneof(coarse, fc.anything()),
    state: fc.oneof(coarse, fc.anything()),
    region: fc.oneof(coarse, fc.anything()),
  },
  { requiredKeys: ['street', 'city'] },
);

describe('maskAddress on any input', () => {
  test.prop([fc.anything()])('never throws and always gives a string', (input) => {
    expect(typeof maskAddress(input)).toBe('string');
  });

  test.prop([address])('gives one of the coarse parts as sent (trimmed), or says unknown or withheld', (parts) => {
    const masked = maskAddress(parts);
    const allowed = COARSE.map((k) => parts[k])
      .filter((p): p is string => typeof p === 'string')
      .map((p) => p.trim());
    expect([...SENTINELS, ...allowed]).toContain(masked);
    expect(masked).not.toContain('§');
  });

  test.prop([fc.string()])('never returns a free-text address', (text) => {
    expect(SENTINELS).toContain(maskAddress(text));
  });
});

describe('ageBand on any input', () => {
  test.prop([fc.anything()])('never throws: a band or unknown', (input) => {
    expect(ageBand(input)).toMatch(/^(unknown|\d+-\d+)$/);
  });

  test.prop([fc.double({ min: 0, max: 150, noNaN: true })])(
    'a band is 5 years wide, starts at a multiple of 5 and holds the age',
    (age) => {
      const [from, to] = ageBand(age).split('-').map(Number) as [number, number];
      expect(to - from).toBe(5);
      expect(from % 5).toBe(0);
      expect(age >= from && age < to).toBe(true);
    },
  );

  test.prop([fc.oneof(fc.double({ max: -Number.MIN_VALUE }), fc.double({ min: 150.0001 }), fc.constant(Number.NaN))])(
    'an age below 0, above 150 or not a number is unknown',
    (age) => {
      expect(ageBand(age)).toBe('unknown');
    },
  );
});

describe('masking by field name on any input', () => {
  const field = fc.constantFrom('address', 'location', 'age', 'city', 'street', 'zip', 'birthdate', 'geo', 'lat');
  test.prop([field, fc.anything()])('never throws, and gives a string for every location or age field', (f, v) => {
    expect(typeof maskLocationOrAge(f, v)).toBe('string');
  });
});

describe('the log scrubber on any user record', () => {
  const key = PseudonymKey.generate();
  const scrubber = createScrubber({ pseudonymKey: () => key });
  const record = fc.record({
    userId: fc.stringMatching(/^u_[a-z0-9]{6,12}$/),
    age: fc.integer({ min: 0, max: 120 }),
    address: fc.record({ street: finer, city: finer, province: fc.constantFrom('Zhejiang', 'Guangdong', 'TX') }),
    zip: finer,
  });

  test.prop([record])('logs the pseudonym, the province and the band, nothing finer', (user) => {
    const line = JSON.stringify({ message: 'user seen', user }, (k, v) => scrubber.replacer(k, v));
    expect(JSON.parse(line).user).toEqual({
      userId: `hmac:${key.pseudonym(user.userId)}`,
      age: ageBand(user.age),
      address: user.address.province,
      zip: '[withheld]',
    });
    expect(line).not.toContain('§');
    expect(line).not.toContain(user.userId);
  });
});

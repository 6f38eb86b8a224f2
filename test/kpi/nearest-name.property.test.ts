// Property-based test of the did-you-mean of a name (event, property): a name one typo away from one seen is always
// answered with a seen name at most one edit away, and never with the name itself.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { editDistance, nearestName } from '#shared/formula/formula.ts';

const name = fc.stringMatching(/^[A-Za-z][A-Za-z _]{3,15}$/);

/** `s` with one character replaced, removed or added at `at`. */
const typo = (s: string, at: number, kind: number, ch: string) => {
  const i = at % s.length;
  if (kind === 0) return s.slice(0, i) + ch + s.slice(i + 1);
  if (kind === 1 && s.length > 4) return s.slice(0, i) + s.slice(i + 1);
  return s.slice(0, i) + ch + s.slice(i);
};

describe('nearestName', () => {
  test.prop([
    fc.uniqueArray(name, { minLength: 1, maxLength: 8 }),
    fc.nat(),
    fc.nat(),
    fc.nat(2),
    fc.constantFrom('x', 'q', ' ', 'E'),
  ])('a name one typo from a seen one gets a seen name at most one edit away', (seen, pick, at, kind, ch) => {
    const meant = seen[pick % seen.length]!;
    const wanted = typo(meant, at, kind, ch);
    fc.pre(!seen.includes(wanted));

    const suggestion = nearestName(wanted, seen);

    expect(suggestion).toBeDefined();
    expect(seen).toContain(suggestion);
    expect(editDistance(wanted.toLowerCase(), suggestion!.toLowerCase())).toBeLessThanOrEqual(1);
  });

  test.prop([name, fc.array(name, { maxLength: 8 })])('never suggests the name itself', (wanted, seen) => {
    expect(nearestName(wanted, [...seen, wanted])).not.toBe(wanted);
  });
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { learnSidedTails, learnTails, type StandardisedErrors, TAIL_MIN_VALUES } from '#shared/anomaly/tails.ts';
import { studentT as drawT, normal, seeded } from '../support/random.ts';

/** Student's t with `nu` degrees of freedom, scaled to unit variance. */
const studentT = (nu: number) => (rand: () => number) => drawT(rand, nu);

/** `n` errors from `draw`, in units of their own sd, those beyond `cut` sd left out as a baseline's outliers. */
function errorsOf(
  n: number,
  draw: (rand: () => number) => number,
  seed: number,
  plant: number[] = [],
): StandardisedErrors {
  const rand = seeded(seed);
  const x = [...Array.from({ length: n - plant.length }, () => draw(rand)), ...plant];
  // As the baseline does: the sd of the values kept, those beyond the cut left out, until they settle.
  const cut = 4.3;
  let sd = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / n);
  for (let round = 0; round < 5; round++) {
    const kept = x.filter((v) => Math.abs(v) <= cut * sd);
    sd = Math.sqrt(kept.reduce((s, v) => s + v * v, 0) / kept.length);
  }
  return {
    kept: x.filter((v) => Math.abs(v) <= cut * sd).map((v) => v / sd),
    cut,
    leftOut: x.filter((v) => Math.abs(v) > cut * sd).length,
  };
}

/** Share of 200 seeded samples of `n` errors in which heavy tails are learnt, and the median degrees of freedom. */
function learnt(draw: (rand: () => number) => number, plant: number[] = [], n = 98) {
  const nus: number[] = [];
  for (let seed = 1; seed <= 200; seed++) {
    const tails = learnTails(errorsOf(n, draw, seed * 7919 + 1, plant));
    if (tails) nus.push(tails.nu);
  }
  nus.sort((a, b) => a - b);
  return { share: nus.length / 200, medianNu: nus[nus.length >> 1] };
}

describe('learning how heavy a KPI’s tails are', () => {
  it('Gaussian noise keeps Gaussian tails in all but a few histories (the test’s 1% level)', () => {
    // 200 histories: 2 expected at 1%; binomial 99.9% range up to about 8.
    expect(learnt(normal).share).toBeLessThan(0.04);
    expect(learnt(normal, [], 200).share).toBeLessThan(0.04);
  });

  it('an outage or two in a Gaussian history is not taken for heavy tails', () => {
    // Two values 16 sd low (a day at 40% of its usual): the baseline leaves them out, and they count as beyond its cut.
    expect(learnt(normal, [-16, -16]).share).toBeLessThan(0.04);
    expect(learnt(normal, [-16, -9, 7]).share).toBeLessThan(0.04);
  });

  it('noise with heavy tails (Student t, 3 df) is learnt as such in most long histories, with heavy degrees of freedom', () => {
    // Power grows with the history: about half of the histories of 98 values, most of 200. Each far value counts as
    // possibly a stray bad day, which is what costs power (7 in 10 at 98 values without it).
    const { share, medianNu } = learnt(studentT(3), [], 200);
    expect(share).toBeGreaterThan(0.6);
    expect(medianNu).toBeLessThanOrEqual(5);
    expect(learnt(studentT(3)).share).toBeGreaterThan(0.35);
  });

  it('one or two stray bad days within the cut (4 sd, kept by the baseline) do not pass for heavy tails', () => {
    // Counted as plain Gaussian-versus-t evidence, a single 4-sd day turned 13% of Gaussian histories heavy-tailed, and
    // two of them 45%: a KPI would have lost sensitivity for 16 weeks after one bad day nobody flagged.
    expect(learnt(normal, [4]).share).toBeLessThan(0.03);
    expect(learnt(normal, [4, -4]).share).toBeLessThan(0.12);
  });

  /** Share of 200 seeded histories of `n` values from `draw` whose tail is learnt heavy below, above, on either side. */
  function sided(n: number, draw: (rand: () => number) => number, plant: number[] = []) {
    const counts = { below: 0, above: 0, either: 0 };
    for (let seed = 1; seed <= 200; seed++) {
      const { kept, cut, leftOut } = errorsOf(n, draw, seed * 7919 + 3, plant);
      const tails = learnSidedTails(
        { kept: kept.filter((e) => e < 0).map(Math.abs), cut, leftOut: 0 },
        { kept: kept.filter((e) => e >= 0), cut, leftOut },
      );
      if (tails.below) counts.below++;
      if (tails.above) counts.above++;
      if (tails.below || tails.above) counts.either++;
    }
    return { below: counts.below / 200, above: counts.above / 200, either: counts.either / 200 };
  }

  it('two stray days 4 sd out, one on each side, never make a Gaussian KPI heavy-tailed on either side', () => {
    // Without leaving the two farthest days out of the evidence, such histories read as t with 3 degrees of freedom on
    // both sides, bands three times as wide.
    expect(sided(98, normal, [4, -4]).either).toBeLessThan(0.02);
    expect(sided(98, normal, [4.2, 3.9]).either).toBeLessThan(0.02);
  });

  it('a KPI whose ups jump far one day in ten (a large order) gets a heavy tail above, its low side staying Gaussian', () => {
    const orders = (rand: () => number) => normal(rand) + (rand() < 0.1 ? 2 + 4 * rand() : 0);
    const long = sided(200, orders);
    expect(long.above).toBeGreaterThan(0.85);
    expect(long.below).toBeLessThan(0.08);
    expect(sided(98, orders).above).toBeGreaterThan(0.4);
  });

  it('learns nothing from fewer values than it needs', () => {
    const few = errorsOf(TAIL_MIN_VALUES - 1, studentT(3), 5, [12, -12, 9]);
    expect(learnTails(few)).toBeNull();
  });

  const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
  test.prop([fc.array(finite, { maxLength: 200 }), fc.double({ min: 0.5, max: 100, noNaN: true }), fc.nat(10)], {
    numRuns: 100,
  })(
    'any errors give Gaussian tails or a t with degrees of freedom of at least 3 and a positive, finite scale',
    (kept, cut, leftOut) => {
      const tails = learnTails({ kept, cut, leftOut });
      if (tails === null) return;
      expect(tails.nu).toBeGreaterThanOrEqual(3);
      expect(Number.isFinite(tails.scale) && tails.scale > 0).toBe(true);
      expect(tails.evidence).toBeGreaterThan(0);
    },
  );
});

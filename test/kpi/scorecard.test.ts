import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { assess, boundsFor, closedAssessment, scorecard } from '#shared/kpi/scorecard.ts';

describe('attainment and status against a target', () => {
  it('a ">=" target: 15% or more above is outstanding, at or above is met, below is missed', () => {
    expect(assess(0.0345, { min: 0.03 })).toMatchObject({ status: 'outstanding' });
    expect(assess(0.0344, { min: 0.03 })).toMatchObject({ status: 'met' });
    expect(assess(0.03, { min: 0.03 })).toMatchObject({ status: 'met', attainment: 1 });
    expect(assess(0.024, { min: 0.03 })).toMatchObject({ status: 'missed' });
    expect(assess(0.024, { min: 0.03 }).attainment).toBeCloseTo(0.8, 10);
  });

  it('a "<=" target: lower is better, 15% or more below is outstanding', () => {
    expect(assess(80, { max: 100 })).toMatchObject({ status: 'outstanding', attainment: 1.2 });
    expect(assess(85, { max: 100 })).toMatchObject({ status: 'outstanding' });
    expect(assess(86, { max: 100 })).toMatchObject({ status: 'met' });
    expect(assess(100, { max: 100 })).toMatchObject({ status: 'met', attainment: 1 });
    expect(assess(125, { max: 100 })).toMatchObject({ status: 'missed', attainment: 0.8 });
  });

  it('a "<=" target: none at all is the best there is, above a value that merely beats it', () => {
    // A trial's payment failure rate: 0.0% read "Met, 105% of target" while 4.0% read "Outstanding, 125%".
    const none = assess(0, { max: 0.05 });
    const some = assess(0.04, { max: 0.05 });

    expect(none).toMatchObject({ status: 'outstanding', attainment: 2 });
    expect(some.status).toBe('outstanding');
    expect(some.attainment).toBeCloseTo(1.2, 10);
    expect(assess(0.049, { max: 0.05 }).status).toBe('met');
  });

  it('a range is met anywhere inside and missed outside', () => {
    expect(assess(5, { min: 2, max: 8 })).toMatchObject({ status: 'met', attainment: 1 });
    expect(assess(1, { min: 2, max: 8 })).toMatchObject({ status: 'missed', attainment: 0.5 });
    expect(assess(10, { min: 2, max: 8 })).toMatchObject({ status: 'missed', attainment: 0.8 });
  });

  it('no value and no target are their own statuses', () => {
    expect(assess(null, { min: 1 })).toMatchObject({ status: 'no_value', attainment: null });
    expect(assess(3, undefined)).toMatchObject({ status: 'no_target', attainment: null });
  });

  it('per-day targets scale with the days of a week or month; others do not', () => {
    expect(boundsFor({ min: 500, per: 'day' }, 7)).toEqual({ min: 3500 });
    expect(boundsFor({ min: 0.03, per: 'period' }, 30)).toEqual({ min: 0.03 });
  });
});

describe('better is never scored worse', () => {
  const RANK = { missed: 0, met: 1, outstanding: 2 } as const;
  const rank = (status: string) => RANK[status as keyof typeof RANK];
  const value = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  // Rates (0 to 1 against a ceiling of a few percent) and counts, and bounds on both sides of zero.
  const bound = fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }));
  const rate = fc.double({ min: 0, max: 1, noNaN: true });

  /** Asserts that `better` scores at least as well as `worse`: attainment, status and its share of the score. */
  const atLeastAsGood = (better: ReturnType<typeof assess>, worse: ReturnType<typeof assess>) => {
    expect(better.attainment!).toBeGreaterThanOrEqual(worse.attainment!);
    expect(rank(better.status)).toBeGreaterThanOrEqual(rank(worse.status));
    const score = (a: ReturnType<typeof assess>) => scorecard([{ kpi: { id: 'k', weight: 1 }, assessment: a }]).score!;
    expect(score(better)).toBeGreaterThanOrEqual(score(worse));
  };

  test.prop([value, value, bound])('an "at most" target: a lower value never scores worse', (a, b, max) => {
    const [low, high] = a <= b ? [a, b] : [b, a];
    atLeastAsGood(assess(low, { max }), assess(high, { max }));
  });

  test.prop([rate, rate, fc.double({ min: 1e-6, max: 1, noNaN: true })])(
    'an "at most" rate: a lower one never scores worse, and 0 scores best of all',
    (a, b, max) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      atLeastAsGood(assess(low, { max }), assess(high, { max }));
      atLeastAsGood(assess(0, { max }), assess(low, { max }));
    },
  );

  test.prop([value, value, bound])('an "at least" target: a higher value never scores worse', (a, b, min) => {
    const [low, high] = a <= b ? [a, b] : [b, a];
    atLeastAsGood(assess(high, { min }), assess(low, { min }));
  });
});

describe('weighted score', () => {
  it('is the weighted mean of attainment capped at 100%, over KPIs with a weight and a value', () => {
    const card = scorecard([
      { kpi: { id: 'a', weight: 0.2 }, assessment: assess(600, { min: 500 }) }, // outstanding, counts as 1
      { kpi: { id: 'b', weight: 0.3 }, assessment: assess(0.015, { min: 0.03 }) }, // 0.5
      { kpi: { id: 'c', weight: 0.25 }, assessment: assess(4, { min: 4 }) }, // 1
      { kpi: { id: 'd', weight: 0.25 }, assessment: assess(null, { min: 0.3 }) }, // left out
      { kpi: { id: 'e' }, assessment: assess(10, { min: 1 }) }, // no weight: counted in statuses only
    ]);
    expect(card.score).toBeCloseTo((100 * (0.2 + 0.15 + 0.25)) / 0.75, 1);
    expect(card).toMatchObject({ outstanding: 2, met: 1, missed: 1, noValue: 1, unscored: ['d'] });
  });

  it('has no score when no weighted KPI has a value', () => {
    expect(scorecard([{ kpi: { id: 'a', weight: 1 }, assessment: assess(null, { min: 1 }) }]).score).toBeNull();
  });
});

describe('a period the business was closed', () => {
  it('its KPIs are neither missed nor without data, and the score leaves them out', () => {
    const card = scorecard([
      { kpi: { id: 'orders', weight: 0.5 }, assessment: closedAssessment({ min: 500 }) },
      { kpi: { id: 'conversion', weight: 0.5 }, assessment: closedAssessment({ min: 0.03 }) },
    ]);

    expect(card).toMatchObject({ score: null, missed: 0, noValue: 0, closed: 2, unscored: [] });
  });

  it('keeps its target to show, with no attainment', () => {
    expect(closedAssessment({ min: 500 })).toEqual({ status: 'closed', attainment: null, target: { min: 500 } });
  });

  const scored = fc.record({
    weight: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    value: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { nil: null }),
    min: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
  });

  test.prop([fc.array(scored, { maxLength: 6 }), fc.array(scored, { minLength: 1, maxLength: 6 })])(
    'closed KPIs beside others change neither the score nor the missed, met and no-data counts',
    (open, closed) => {
      const inputs = open.map((k, i) => ({
        kpi: { id: `k${i}`, ...(k.weight === undefined ? {} : { weight: k.weight }) },
        assessment: assess(k.value, { min: k.min }),
      }));
      const closedInputs = closed.map((k, i) => ({
        kpi: { id: `c${i}`, ...(k.weight === undefined ? {} : { weight: k.weight }) },
        assessment: closedAssessment({ min: k.min }),
      }));

      const without = scorecard(inputs);
      const withClosed = scorecard([...closedInputs, ...inputs]);

      expect({ ...withClosed, closed: 0 }).toEqual(without);
      expect(withClosed.closed).toBe(closed.length);
    },
  );
});

// A deviation rule learns how heavy its KPI's tails are from a year of values, read in the same query as the 16 weeks
// its baseline fits: 16 weeks alone told Student-t noise with 3 degrees of freedom from Gaussian noise on 1 night in
// 10, and such a KPI alerted 75 times as often as its sensitivity promised.
import { describe, expect, it } from 'vitest';
import { evaluateRule } from '#shared/detection/rules.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dateRange, isoWeekday } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';
import { seeded, studentT } from '../support/random.ts';
import { configWith, type SeedValue, seedDaily } from './support.ts';

const LAST = '2026-11-22';
const RULE = { id: 'dau_unusual', kpi: 'dau', all: [{ deviation: { direction: 'both', sensitivity: 0.55 } }] };

/** `count` days of active users up to LAST: weekdays about 1300, weekends 900, Student-t noise (3 df) of 5%. */
function heavyTailed(count: number, seed: number): SeedValue[] {
  const rand = seeded(seed);
  return dateRange(addDays(LAST, 1 - count), LAST).map((period) => ({
    period,
    value: Math.round((isoWeekday(period) >= 6 ? 900 : 1300) * (1 + 0.05 * studentT(rand, 3))),
  }));
}

/** The store, counting the queries made of each partition. */
function counting(store: StateStore): { store: StateStore; queries: string[] } {
  const queries: string[] = [];
  return {
    queries,
    store: {
      ...store,
      query: (table, pk, options) => {
        queries.push(pk);
        return store.query(table, pk, options);
      },
    },
  };
}

describe('a deviation rule learns its KPI’s tails from a year of values', () => {
  it('reads the year in one query, learns the heavy tails 16 weeks did not show, and keeps the 16 weeks’ baseline', async () => {
    const config = configWith([RULE]);
    const series = heavyTailed(365, 29);
    const year = await freshStore('tails-year');
    const weeks = await freshStore('tails-weeks');
    await seedDaily(year.store, config, 'dau', series);
    await seedDaily(weeks.store, config, 'dau', series.slice(-113));
    const { store, queries } = counting(year.store);

    const withYear = await evaluateRule(config.alerts.rules[0]!, LAST, { store, config });
    const withWeeks = await evaluateRule(config.alerts.rules[0]!, LAST, { store: weeks.store, config });

    expect(queries.filter((pk) => pk === 'KPI#day#dau')).toHaveLength(1);
    expect(withYear.conditions[0]?.detail).toMatch(/heavy tails?/);
    expect(withWeeks.conditions[0]?.detail).not.toMatch(/heavy tail/);
    expect(withYear.expected).toBeCloseTo(withWeeks.expected as number, 6);
    // The heavy tails widen the usual band.
    expect((withYear.upper as number) - (withYear.lower as number)).toBeGreaterThan(
      (withWeeks.upper as number) - (withWeeks.lower as number),
    );
  });
});

// Where the stored data begins: the first counted day with events, read a few days at a time (one query without a
// limit read a page of up to 1 MB of day figures every night). On the test run's DynamoDB Local.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { readDataStart, saveDayFigures } from '#shared/events/day-figures.ts';
import { addDays } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';

describe('readDataStart', () => {
  test.prop([fc.array(fc.boolean(), { maxLength: 120 }), fc.boolean()], { numRuns: 12 })(
    'is the first day with events however many empty days come before it, and undefined without one',
    async (hadEvents, names) => {
      const { store } = await freshStore('data-start');
      const days = hadEvents.map((had, i) => ({
        day: addDays('2026-01-01', i),
        events: had ? 3 : 0,
        quarantined: {},
        countedAt: '2026-11-30T00:00:00.000Z',
        ...(had ? { firstEventAt: Date.parse(`${addDays('2026-01-01', i)}T10:00:00Z`) } : {}),
      }));
      await saveDayFigures(store, days);
      // The names item shares the partition, after every day.
      if (names) await store.putMany('state', [{ pk: 'FIGURES#day', sk: '~names', history: { names: [] } }]);

      const first = days.find((d) => d.events > 0);

      expect(await readDataStart(store)).toEqual(first ? { day: first.day, at: first.firstEventAt } : undefined);
    },
    120_000,
  );
});

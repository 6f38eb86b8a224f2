// Properties of closed days, over any history of daily events and any holidays: a business with events every day
// has no closed day but its empty holidays (its targets mean what they meant before closed days were told apart); a
// closed day is a holiday or a day without events; and a weekday is closed only after it was empty at least twice.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { CLOSED_LOOKBACK_WEEKS, CLOSED_MIN_WEEKS, closedDays } from '#shared/events/closed-days.ts';
import { addDays, dateRange, isoWeekday, type LocalDate } from '#shared/time/calendar.ts';

const FIRST = '2025-12-29'; // a Monday

/** A history of 1 to 10 weeks from FIRST: each day's events (0 for a day without any), and some holidays. */
const business = fc
  .integer({ min: 7, max: 70 })
  .chain((length) =>
    fc.record({
      events: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5000 })), {
        minLength: length,
        maxLength: length,
      }),
      holidays: fc.uniqueArray(fc.integer({ min: 0, max: length - 1 }), { maxLength: 6 }),
      start: fc.integer({ min: 0, max: length - 1 }),
    }),
  )
  .map(({ events, holidays, start }) => {
    const days = dateRange(FIRST, addDays(FIRST, events.length - 1));
    return {
      days,
      events: new Map(days.map((d, i) => [d, events[i]!])),
      holidays: holidays.map((i) => days[i]!),
      start: days[start]!,
    };
  });

describe('closed days, for any history', () => {
  test.prop([business])(
    'a closed day is a holiday or a day without a single event',
    ({ days, events, holidays, start }) => {
      for (const [day, reason] of closedDays(days, events, holidays, start)) {
        if (reason === 'holiday') expect(holidays).toContain(day);
        else expect(events.get(day)).toBe(0);
      }
    },
  );

  test.prop([business])(
    'a business with events every day has no closed day but its holidays without events',
    ({ days, events, holidays, start }) => {
      const busy = new Map([...events].map(([d, n]) => [d, holidays.includes(d) ? n : Math.max(1, n)]));

      for (const day of closedDays(days, busy, holidays, start).keys()) {
        expect(holidays).toContain(day);
        expect(busy.get(day)).toBe(0);
      }
    },
  );

  test.prop([business])(
    'an empty ordinary day is closed only when its weekday was empty on most of at least two known earlier weeks',
    ({ days, events, holidays, start }) => {
      for (const [day, reason] of closedDays(days, events, holidays, start)) {
        if (reason !== 'weekday') continue;
        const earlier = Array.from({ length: CLOSED_LOOKBACK_WEEKS }, (_, k) => addDays(day, -7 * (k + 1))).filter(
          (d) => events.has(d) && d >= start && !holidays.includes(d),
        );
        expect(earlier.length).toBeGreaterThanOrEqual(CLOSED_MIN_WEEKS);
        expect(earlier.every((d) => isoWeekday(d) === isoWeekday(day))).toBe(true);
        expect(2 * earlier.filter((d) => events.get(d) === 0).length).toBeGreaterThan(earlier.length);
      }
    },
  );

  test.prop([business])(
    'a day not known (never counted) is never closed by its weekday',
    ({ days, events, holidays, start }) => {
      const unknown = addDays(days.at(-1)!, 7) as LocalDate;

      expect(closedDays([unknown], events, holidays, start).size).toBe(0);
    },
  );
});

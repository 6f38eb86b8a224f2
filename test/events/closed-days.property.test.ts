// Properties of closed days, over any history of daily events and any holidays: a business with events every day
// has no closed day but its empty holidays (its targets mean what they meant before closed days were told apart); a
// closed day is a holiday or a day without events; a weekday is closed only after it was empty at least twice in weeks
// with events (data that stops closes nothing); and a holiday as busy as the weeks before it is open.
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
    'an empty day is closed only when its weekday was empty, in a week with events, on most of two or more known weeks',
    ({ days, events, holidays, start }) => {
      const hadEvents = (d: LocalDate) => (events.get(d) ?? 0) > 0;
      for (const [day, reason] of closedDays(days, events, holidays, start)) {
        if (reason !== 'weekday') continue;
        const earlier = Array.from({ length: CLOSED_LOOKBACK_WEEKS }, (_, k) => addDays(day, -7 * (k + 1))).filter(
          (d) => events.has(d) && d >= start && !holidays.includes(d),
        );
        // An empty one whose 7 days around had no event says nothing: the data stopped.
        const weekKnown = earlier.filter(
          (d) => hadEvents(d) || [-3, -2, -1, 1, 2, 3].some((i) => hadEvents(addDays(d, i))),
        );
        expect(weekKnown.length).toBeGreaterThanOrEqual(CLOSED_MIN_WEEKS);
        expect(earlier.every((d) => isoWeekday(d) === isoWeekday(day))).toBe(true);
        expect(2 * weekKnown.filter((d) => events.get(d) === 0).length).toBeGreaterThan(weekKnown.length);
      }
    },
  );

  test.prop([business, fc.integer({ min: 0, max: 69 })])(
    'a business with events every day whose data then stops has no day closed by its weekday',
    ({ days, events, holidays, start }, stopAt) => {
      const stop = days[Math.min(stopAt, days.length - 1)]!;
      const outage = new Map([...events].map(([d, n]) => [d, d < stop ? Math.max(1, n) : 0]));

      for (const reason of closedDays(days, outage, holidays, start).values()) expect(reason).toBe('holiday');
    },
  );

  test.prop([business, fc.integer({ min: 0, max: 69 })])(
    'a holiday with as many events as the busiest day of the four weeks before it is open',
    ({ days, events, holidays, start }, at) => {
      const holiday = days[Math.min(at, days.length - 1)]!;
      const before = Array.from({ length: 7 * CLOSED_LOOKBACK_WEEKS }, (_, i) => events.get(addDays(holiday, -1 - i)));
      const busy = new Map(events).set(holiday, Math.max(1, ...before.map((n) => n ?? 0)));

      expect(closedDays([holiday], busy, [...holidays, holiday], start).size).toBe(0);
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

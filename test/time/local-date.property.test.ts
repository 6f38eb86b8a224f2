// Property-based test of dates as written on the command line (--date, --from, --to, --now) and in the config, an
// input boundary: a date of the calendar is accepted as written; text in the YYYY-MM-DD form that is not one is told
// why it is not a date (never the format it already has); anything else is told the format.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { localDateProblem, parseOffsetTimestamp } from '#shared/time/calendar.ts';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
/** The calendar's own answer: JavaScript's Date in UTC, for the years it reads as written. */
const onCalendar = (y: number, m: number, d: number) => {
  const date = new Date(Date.UTC(2000, m - 1, d));
  date.setUTCFullYear(y);
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};
/** YYYY-MM-DD text, mostly near real dates: months 00-13, days 00-32. */
const written = fc
  .tuple(fc.integer({ min: 100, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
  .map(([y, m, d]) => ({ text: `${pad(y, 4)}-${pad(m)}-${pad(d)}`, real: onCalendar(y, m, d), month: m, day: d }));

describe('local dates', () => {
  test.prop([written])('YYYY-MM-DD text is a date, or is told why not: never the format it already has', (w) => {
    const problem = localDateProblem(w.text);

    if (w.real) {
      expect(problem).toBeUndefined();
      return;
    }
    expect(problem).toMatch(new RegExp(`^${w.text} is not a date \\((.+)\\)$`));
    expect(problem).not.toMatch(/expected a date/);
    if (w.month >= 1 && w.month <= 12 && w.day >= 1) expect(problem).toMatch(/ has (28|29|30|31) days\)$/);
  });

  test.prop([written, fc.constantFrom('T03:00Z', 'T23:59:59+08:00', 'T00:00-05:00')])(
    'the same in a timestamp with its offset (--now, --at): the date is told why it is not one',
    (w, time) => {
      const parsed = parseOffsetTimestamp(`${w.text}${time}`);

      if (w.real) expect(parsed.ok).toBe(true);
      else expect(parsed).toMatchObject({ ok: false, impossible: true, reason: localDateProblem(w.text) });
    },
  );

  test.prop([fc.string({ maxLength: 20 }).filter((s) => !/^\d{4}-\d{2}-\d{2}$/.test(s))])(
    'any other text is told the format, quoted as written',
    (text) => {
      expect(localDateProblem(text)).toBe(`expected a date as YYYY-MM-DD, got '${text}'`);
    },
  );
});

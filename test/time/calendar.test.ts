import { describe, expect, it } from 'vitest';
import {
  dayRange,
  isoWeek,
  localDate,
  localDateProblem,
  localParts,
  parseLocalDate,
  parseOffsetTimestamp,
  periodBounds,
  periodDays,
  periodOf,
  periodsBetween,
  shiftPeriod,
  zonedInstant,
} from '#shared/time/calendar.ts';

const HOUR = 3_600_000;
const ms = (iso: string) => Date.parse(iso);

describe('local day of an instant', () => {
  it('an event at 23:59:59 Shanghai time, sent in UTC, falls on that Shanghai day', () => {
    expect(localDate(ms('2026-11-22T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-11-22');
    expect(localDate(ms('2026-11-22T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-23');
  });

  it('an event given with a Los Angeles offset lands on the Shanghai day it happened in', () => {
    // 08:00 on the 22nd in Los Angeles (PST, -08:00) is 00:00 on the 23rd in Shanghai.
    expect(localDate(ms('2026-11-22T08:00:00-08:00'), 'Asia/Shanghai')).toBe('2026-11-23');
    expect(localDate(ms('2026-11-22T07:59:59-08:00'), 'Asia/Shanghai')).toBe('2026-11-22');
  });

  it('reads the wall clock and ISO weekday in Los Angeles', () => {
    expect(localParts(ms('2026-11-23T17:30:00Z'), 'America/Los_Angeles')).toEqual({
      date: '2026-11-23',
      hour: 9,
      minute: 30,
      second: 0,
      weekday: 1,
    });
  });
});

describe('days across DST changes', () => {
  it('Berlin has a 23-hour day when clocks go forward and a 25-hour day when they go back', () => {
    const spring = dayRange('2026-03-29', 'Europe/Berlin');
    const autumn = dayRange('2026-10-25', 'Europe/Berlin');
    const normal = dayRange('2026-11-22', 'Europe/Berlin');
    expect((spring.end - spring.start) / HOUR).toBe(23);
    expect((autumn.end - autumn.start) / HOUR).toBe(25);
    expect((normal.end - normal.start) / HOUR).toBe(24);
    expect(new Date(spring.start).toISOString()).toBe('2026-03-28T23:00:00.000Z');
  });

  it('Los Angeles days follow its own DST dates', () => {
    const spring = dayRange('2026-03-08', 'America/Los_Angeles');
    const autumn = dayRange('2026-11-01', 'America/Los_Angeles');
    expect((spring.end - spring.start) / HOUR).toBe(23);
    expect((autumn.end - autumn.start) / HOUR).toBe(25);
  });

  it('Shanghai has no DST: every day is 24 hours', () => {
    for (const d of ['2026-03-29', '2026-10-25', '2026-03-08', '2026-11-01']) {
      const r = dayRange(d, 'Asia/Shanghai');
      expect((r.end - r.start) / HOUR).toBe(24);
    }
  });

  it('a schedule time skipped by spring-forward runs an hour later; a repeated time runs at its first occurrence', () => {
    expect(new Date(zonedInstant('2026-03-29', '02:30', 'Europe/Berlin')).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    expect(new Date(zonedInstant('2026-10-25', '02:30', 'Europe/Berlin')).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(new Date(zonedInstant('2026-11-22', '05:00', 'Asia/Shanghai')).toISOString()).toBe(
      '2026-11-21T21:00:00.000Z',
    );
  });

  it('the last second before local midnight and midnight itself fall on different days in a DST zone', () => {
    const { end } = dayRange('2026-10-25', 'Europe/Berlin');
    expect(localDate(end - 1000, 'Europe/Berlin')).toBe('2026-10-25');
    expect(localDate(end, 'Europe/Berlin')).toBe('2026-10-26');
  });
});

describe('ISO weeks and months', () => {
  it('weeks run Monday to Sunday and belong to the year of their Thursday', () => {
    expect(isoWeek('2026-11-22')).toBe('2026-W47'); // a Sunday
    expect(isoWeek('2026-11-23')).toBe('2026-W48'); // the Monday after
    expect(isoWeek('2027-01-01')).toBe('2026-W53'); // 2026 has 53 ISO weeks
    expect(isoWeek('2024-12-30')).toBe('2025-W01');
    expect(periodBounds('2026-W53')).toEqual({ first: '2026-12-28', last: '2027-01-03' });
    expect(periodBounds('2025-W01')).toEqual({ first: '2024-12-30', last: '2025-01-05' });
  });

  it('months know their length, including leap February', () => {
    expect(periodDays('2028-02')).toHaveLength(29);
    expect(periodDays('2026-02')).toHaveLength(28);
    expect(periodBounds('2026-11')).toEqual({ first: '2026-11-01', last: '2026-11-30' });
  });

  it('periods shift across year ends', () => {
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12');
    expect(shiftPeriod('2026-W01', -1)).toBe('2025-W52');
    expect(shiftPeriod('2026-03-01', -1)).toBe('2026-02-28');
    expect(periodOf('2026-12-31', 'week')).toBe('2026-W53');
  });

  it('lists the periods overlapping a date range', () => {
    expect(periodsBetween('2026-11-20', '2026-12-02', 'week')).toEqual(['2026-W47', '2026-W48', '2026-W49']);
    expect(periodsBetween('2026-11-20', '2026-12-02', 'month')).toEqual(['2026-11', '2026-12']);
  });
});

describe('event timestamps', () => {
  it('accepts ISO 8601 with an offset or Z', () => {
    expect(parseOffsetTimestamp('2026-11-22T23:59:30+08:00')).toEqual({ ok: true, ms: ms('2026-11-22T15:59:30Z') });
    expect(parseOffsetTimestamp('2026-11-22T15:59:30.123Z')).toEqual({ ok: true, ms: ms('2026-11-22T15:59:30.123Z') });
    expect(parseOffsetTimestamp('2026-11-22T23:59:30+0800')).toEqual({ ok: true, ms: ms('2026-11-22T15:59:30Z') });
  });

  it('refuses a timestamp without an offset, and says so', () => {
    expect(parseOffsetTimestamp('2026-11-22T23:59:30')).toEqual({
      ok: false,
      noOffset: true,
      reason: 'timestamp has no UTC offset (add Z or +hh:mm)',
    });
  });

  it('refuses dates that do not exist and text that is not a date', () => {
    expect(parseOffsetTimestamp('2026-02-30T10:00:00Z').ok).toBe(false);
    expect(parseOffsetTimestamp('2026-11-22T24:30:00Z').ok).toBe(false);
    expect(parseOffsetTimestamp('yesterday').ok).toBe(false);
  });

  it('says why a well-formed timestamp does not exist, rather than that it is not one', () => {
    expect(parseOffsetTimestamp('2026-11-31T03:00Z')).toEqual({
      ok: false,
      noOffset: false,
      impossible: true,
      reason: '2026-11-31 is not a date (November has 30 days)',
    });
    expect(parseOffsetTimestamp('2026-11-22T24:30:00Z')).toMatchObject({
      reason: '24:30:00 is not a time of day (00:00 to 23:59)',
      impossible: true,
    });
    expect(parseOffsetTimestamp('22/11/2026 10:00')).toEqual({
      ok: false,
      noOffset: false,
      reason: 'timestamp is not an ISO 8601 date-time with offset',
    });
  });
});

describe('local dates as written on the command line', () => {
  it('a well-formed date that is not on the calendar says why', () => {
    expect(localDateProblem('2026-11-31')).toBe('2026-11-31 is not a date (November has 30 days)');
    expect(localDateProblem('2026-02-29')).toBe('2026-02-29 is not a date (February 2026 has 28 days)');
    expect(localDateProblem('2028-02-30')).toBe('2028-02-30 is not a date (February 2028 has 29 days)');
    expect(localDateProblem('2026-13-01')).toBe('2026-13-01 is not a date (months run from 01 to 12)');
    expect(localDateProblem('2026-00-10')).toBe('2026-00-10 is not a date (months run from 01 to 12)');
    expect(localDateProblem('2026-11-00')).toBe('2026-11-00 is not a date (days of a month start at 01)');
    expect(() => parseLocalDate('2026-11-31')).toThrow('2026-11-31 is not a date (November has 30 days)');
  });

  it('text not written as YYYY-MM-DD is told the format', () => {
    expect(localDateProblem('28/11/2026')).toBe("expected a date as YYYY-MM-DD, got '28/11/2026'");
    expect(localDateProblem('yesterday')).toBe("expected a date as YYYY-MM-DD, got 'yesterday'");
    expect(() => parseLocalDate('2026-1-5')).toThrow("expected a date as YYYY-MM-DD, got '2026-1-5'");
  });

  it('a date of the calendar has no problem', () => {
    expect(localDateProblem('2028-02-29')).toBeUndefined();
    expect(parseLocalDate('2026-11-30')).toBe('2026-11-30');
  });
});

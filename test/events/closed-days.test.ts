// Which days a business was closed (a parts distributor closed on Sundays and holidays, a new-user trial): a holiday,
// or a day without a single event whose weekday its own history shows closed. Any other day is open: an empty
// Tuesday among busy ones is missing data, and an e-commerce shop's busy holiday week is scored as usual.
import { describe, expect, it } from 'vitest';
import { closedDays } from '#shared/events/closed-days.ts';
import { addDays, dateRange, isoWeekday, type LocalDate } from '#shared/time/calendar.ts';

const START = '2026-10-26'; // a Monday
const SUNDAY = '2026-11-22';

/** Events per day from START to `to`: 40 on open days, none on the days `closed` names. */
function history(to: LocalDate, closed: (day: LocalDate) => boolean): Map<LocalDate, number> {
  return new Map(dateRange(START, to).map((d) => [d, closed(d) ? 0 : 40]));
}
const sundays = (d: LocalDate) => isoWeekday(d) === 7;

describe('closed days', () => {
  it('an empty Sunday is closed when the Sundays before it were empty too', () => {
    const events = history(SUNDAY, sundays);

    expect(closedDays([SUNDAY], events, [], START)).toEqual(new Map([[SUNDAY, 'weekday']]));
  });

  it('the first empty Sundays are not: one earlier empty Sunday is not yet a habit', () => {
    const events = history(SUNDAY, sundays);

    // 1 Nov has no earlier Sunday since the data began, 8 Nov one; 15 Nov has two.
    expect([...closedDays(['2026-11-01', '2026-11-08', '2026-11-15'], events, [], START).keys()]).toEqual([
      '2026-11-15',
    ]);
  });

  it('an empty Tuesday among busy Tuesdays is not closed: that is missing data', () => {
    const tuesday = '2026-11-17';
    const events = history(tuesday, (d) => sundays(d) || d === tuesday);

    expect(closedDays([tuesday], events, [], START).size).toBe(0);
  });

  it('a long ingest outage is not closed: a week without a single event is the data stopping, not the business', () => {
    // A shop open every day, 500 events a day since 5 Oct; nothing arrived from Monday 2 Nov, for five weeks.
    const outage = dateRange('2026-11-02', '2026-12-06');
    const events = new Map(dateRange('2026-10-05', '2026-12-06').map((d) => [d, d < outage[0]! ? 500 : 0]));

    expect(closedDays(outage, events, [], '2026-10-05').size).toBe(0);
  });

  it('an empty Sunday in a week without events says nothing of Sundays', () => {
    // Open every day but 8 and 15 Nov, Sundays in the weeks the data stopped (5 to 11 Nov, 12 to 18 Nov).
    const events = history(SUNDAY, (d) => (d >= '2026-11-05' && d <= '2026-11-18') || d === SUNDAY);

    expect(closedDays([SUNDAY], events, [], START).size).toBe(0);
  });

  it('a Sunday with events is open, whatever the Sundays before it', () => {
    const events = history(SUNDAY, (d) => sundays(d) && d !== SUNDAY);

    expect(closedDays([SUNDAY], events, [], START).size).toBe(0);
  });

  it('the empty days before the data began say nothing of a weekday', () => {
    const tuesday = '2026-11-10';
    // Counted empty before it began (a backfill from an earlier date), busy since 4 Nov, nothing on 10 Nov.
    const events = history(tuesday, (d) => d < '2026-11-04' || d === tuesday);

    expect(closedDays([tuesday], events, [], '2026-11-04').size).toBe(0);
  });

  it('a holiday without events is closed, even on a weekday the business opens', () => {
    const holiday = '2026-11-18'; // a Wednesday
    const events = history(holiday, (d) => sundays(d) || d === holiday);

    expect(closedDays([holiday], events, [holiday], START)).toEqual(new Map([[holiday, 'holiday']]));
  });

  it('a holiday with a few events is closed where Sundays are closed: it is judged as a Sunday', () => {
    const holiday = '2026-11-18';
    const events = history(holiday, sundays);
    events.set(holiday, 3);

    expect(closedDays([holiday], events, [holiday], START)).toEqual(new Map([[holiday, 'holiday']]));
  });

  it('a holiday as busy as its weekday is open, even where Sundays are closed: its events are no stray ones', () => {
    const christmasEve = '2026-12-24'; // a Thursday
    const events = new Map(dateRange(START, christmasEve).map((d) => [d, sundays(d) ? 0 : 500]));
    events.set(christmasEve, 3000);

    expect(closedDays([christmasEve], events, [christmasEve], START).size).toBe(0);
  });

  it("a holiday is closed under a tenth of its weekday's usual events, open from a tenth on", () => {
    const holiday = '2026-11-18'; // a Wednesday; the Wednesdays before it had 40, 60 and 80 events: median 60
    const events = history(holiday, sundays);
    events.set('2026-11-04', 60);
    events.set('2026-11-11', 80);

    events.set(holiday, 5);
    expect(closedDays([holiday], events, [holiday], START)).toEqual(new Map([[holiday, 'holiday']]));
    events.set(holiday, 6);
    expect(closedDays([holiday], events, [holiday], START).size).toBe(0);
  });

  it('a busy holiday on a closed Sunday is judged against the open days of the weeks before it', () => {
    // A holiday on Sunday 22 Nov, of a business closed on Sundays: no open Sunday to compare with; its days had 40.
    const events = history(SUNDAY, sundays);

    events.set(SUNDAY, 3);
    expect(closedDays([SUNDAY], events, [SUNDAY], START)).toEqual(new Map([[SUNDAY, 'holiday']]));
    events.set(SUNDAY, 400);
    expect(closedDays([SUNDAY], events, [SUNDAY], START).size).toBe(0);
  });

  it("a shop open on Sundays keeps its busy holidays open (the example config's National Day week)", () => {
    const week = dateRange('2026-10-01', '2026-10-07');
    const events = new Map(dateRange('2026-09-01', '2026-10-07').map((d) => [d, week.includes(d) ? 900 : 400]));

    expect(closedDays(week, events, week, '2026-09-01').size).toBe(0);
  });

  it('a Sunday that was a holiday does not count towards Sundays being closed or open', () => {
    // Sundays with events, except 15 Nov, a holiday: 22 Nov, empty, is still missing data.
    const events = history(SUNDAY, (d) => d === '2026-11-15' || d === SUNDAY);

    expect(closedDays([SUNDAY], events, ['2026-11-15'], START).size).toBe(0);
    expect(closedDays([addDays(SUNDAY, -7)], events, ['2026-11-15'], START)).toEqual(
      new Map([['2026-11-15', 'holiday']]),
    );
  });
});

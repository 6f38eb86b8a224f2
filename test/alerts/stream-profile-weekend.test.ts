// Weekends keep their own rhythm: a B2B invoicing stream (Europe/Paris) sends ~10 times fewer invoices on Saturdays
// and Sundays than on weekdays, as in a new user's trial where quiet weekend hours were judged against weekday volume.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#cli/demo/generate.ts';
import { detectAnomaliesBetween, eventSubject } from '#shared/detection/detect.ts';
import { judgeDay, judgeLive } from '#shared/detection/event-silence.ts';
import {
  emptyProfile,
  foldDay,
  readProfile,
  type StreamProfile,
  writeProfile,
} from '#shared/detection/stream-profile.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { incidentId, readIncident } from '#shared/incidents/incidents.ts';
import {
  addDays,
  dateRange,
  dayRange,
  isoWeekday,
  type LocalDate,
  localDate,
  zonedInstant,
} from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, memoryQueue } from './support.ts';

const TZ = 'Europe/Paris';
const HOUR = 3_600_000;
const INVOICES = { event: 'Invoice Sent', maxSilenceHours: 16 };
const FIRST = '2026-08-24'; // a Monday; six weekends follow, the last on 3-4 Oct
const OUTAGE_DAY = '2026-10-07'; // a Wednesday
const DAYS = dateRange(FIRST, OUTAGE_DAY);
const weekend = (day: LocalDate) => isoWeekday(day) >= 6;

interface Traffic {
  weekday: number;
  weekendDay: number;
  /** Invoices on a Sunday, when not `weekendDay`. */
  sunday?: number;
  /** Instants with no invoices (an outage). */
  stop?: (t: number) => boolean;
  zone?: string;
}

/** A day's invoices at random: weekdays 08:00-19:00, weekends 09:00-19:00 (local). */
function invoiceDay(day: LocalDate, seed: number, { weekday, weekendDay, sunday, stop, zone = TZ }: Traffic): number[] {
  const rand = mulberry32(seed);
  const onWeekend = isoWeekday(day) === 7 && sunday !== undefined ? sunday : weekendDay;
  const [open, close, n] = weekend(day) ? [9, 19, onWeekend] : [8, 19, weekday];
  const start = zonedInstant(day, '04:00', zone) - 4 * HOUR; // local midnight, past any daylight-saving change
  const times = Array.from({ length: n }, () => start + (open + rand() * (close - open)) * HOUR);
  return times.filter((t) => !stop?.(t)).sort((a, b) => a - b);
}

/** Detection's nightly calls, day by day: judge the day from the last event before it, then learn it. */
function nightly(
  days: readonly LocalDate[],
  traffic: Traffic,
  rule = INVOICES,
  zone = TZ,
  holidays: readonly LocalDate[] = [],
) {
  let profile = emptyProfile(rule.event);
  let lastBefore: number | undefined;
  const alarms: Array<{ day: LocalDate; summary: string }> = [];
  const byDay = new Map<LocalDate, number[]>();
  for (const [i, day] of days.entries()) {
    const times = invoiceDay(day, i + 1, { ...traffic, zone });
    byDay.set(day, times);
    const judged = judgeDay(rule, day, times, zone, profile, holidays, lastBefore);
    if (judged.anomalous) alarms.push({ day, summary: judged.summary });
    profile = foldDay(profile, day, times, zone, holidays);
    lastBefore = times.at(-1) ?? lastBefore;
  }
  return { alarms, profile, byDay };
}

const between =
  (day: LocalDate, from: string, to: string, zone = TZ) =>
  (t: number) =>
    t >= zonedInstant(day, from, zone) && t < zonedInstant(day, to, zone);

describe('quiet weekends are judged against weekend traffic', () => {
  it('six weekends at a tenth of weekday volume raise nothing; a 6-hour weekday outage is caught on its day', () => {
    const { alarms } = nightly(DAYS, { weekday: 500, weekendDay: 50, stop: between(OUTAGE_DAY, '10:00', '16:00') });

    expect(alarms.map((a) => a.day)).toEqual([OUTAGE_DAY]);
    expect(alarms[0]?.summary).toMatch(
      /^No "Invoice Sent" events 09:\d\d–16:\d\d on 7 Oct \(6(\.\d)? h\), where about \d+ usually arrive; limit for any silence 16 h$/,
    );
  });

  it('the live check flags the weekday outage within its first hour', () => {
    const stop = between(OUTAGE_DAY, '10:00', '16:00');
    const { profile, byDay } = nightly(DAYS.slice(0, -1), { weekday: 500, weekendDay: 50 });
    const today = invoiceDay(OUTAGE_DAY, DAYS.length, { weekday: 500, weekendDay: 50, stop });
    const now = zonedInstant(OUTAGE_DAY, '11:00', TZ);
    const sent = today.filter((t) => t <= now);

    const judged = judgeLive(INVOICES, now, TZ, sent.at(-1), dayRange(OUTAGE_DAY, TZ).start, sent.length, profile);

    expect(byDay.size).toBe(DAYS.length - 1);
    expect(judged.anomalous).toBe(true);
    expect(judged.silenceHours).toBeLessThanOrEqual(1.1);
  });

  it('the rhythms are learnt apart: weekday hours expect ten times what weekend hours do', () => {
    const { profile } = nightly(DAYS.slice(0, -1), { weekday: 500, weekendDay: 50 });
    const sum = (xs: readonly number[] = []) => xs.reduce((a, b) => a + b, 0);

    expect(sum(profile.hourly)).toBeGreaterThan(450);
    expect(sum(profile.weekendHourly)).toBeGreaterThan(40);
    expect(sum(profile.weekendHourly)).toBeLessThan(60);
  });
});

describe('a shop open on Saturdays and closed on Sundays', () => {
  const saturday = '2026-10-03';

  it('its empty Sundays are ordinary once two are learnt (not half a Saturday), and a Saturday stop is caught', () => {
    const stop = (t: number) => isoWeekday(localDate(t, TZ)) === 7 || between(saturday, '11:00', '15:00')(t);
    const { alarms } = nightly(dateRange(FIRST, saturday), { weekday: 500, weekendDay: 250, sunday: 0, stop });

    // The first two weekends: Saturdays judged by the limit alone are busy, Sundays silences of 24 h; the first Monday
    // ends one of 37 h before the weekdays' rhythm is learnt.
    expect(alarms.map((a) => a.day)).toEqual(['2026-08-30', '2026-08-31', '2026-09-06', saturday]);
    expect(alarms.at(-1)?.summary).toMatch(/^No "Invoice Sent" events 1\d:\d\d–15:\d\d on 3 Oct .*usually arrive/);
  });
});

describe('a business closed at weekends and on holidays', () => {
  const holiday = '2026-09-30'; // a Wednesday, in the config's holidays
  const early = '2026-08-26'; // a Wednesday before any weekend
  /** No events at weekends nor on the given holiday. */
  const closedOn = (day: LocalDate) => ({
    weekday: 500,
    weekendDay: 0,
    stop: (t: number) => isoWeekday(localDate(t, TZ)) >= 6 || localDate(t, TZ) === day,
  });
  const traffic = closedOn(holiday);
  const secondWeekendOver = '2026-09-07';

  it('empty weekends are ordinary once two weekends are learnt; a closed holiday too; the weekday outage is caught', () => {
    const { alarms } = nightly(
      DAYS,
      { ...traffic, stop: (t) => traffic.stop(t) || between(OUTAGE_DAY, '10:00', '16:00')(t) },
      INVOICES,
      TZ,
      [holiday],
    );

    // Before the rhythms are learnt the limit alone decides: the first two weekends' days are silences of 24 h, and
    // the first Monday ends one of 61 h (only 4 whole weekdays learnt by then).
    expect(alarms.filter((a) => a.day < secondWeekendOver).map((a) => a.day)).toEqual([
      '2026-08-29',
      '2026-08-30',
      '2026-08-31',
      '2026-09-05',
      '2026-09-06',
    ]);
    expect(alarms.filter((a) => a.day >= secondWeekendOver).map((a) => a.day)).toEqual([OUTAGE_DAY]);
  });

  it('a holiday is judged by the limit alone while no weekend rhythm is learnt, and the live check agrees', () => {
    const { alarms } = nightly(dateRange(FIRST, early), closedOn(early), INVOICES, TZ, [early]);
    const { profile, byDay } = nightly(dateRange(FIRST, addDays(holiday, -1)), traffic, INVOICES, TZ, [holiday]);
    const lastEvening = byDay.get(addDays(holiday, -1))?.at(-1);

    const live = judgeLive(INVOICES, zonedInstant(holiday, '20:00', TZ), TZ, lastEvening, 0, 0, profile, [holiday]);

    expect(alarms.map((a) => a.day)).toEqual([early]);
    expect(live.anomalous).toBe(false);
  });
});

describe('a weekend stop is still caught when the weekend’s own rhythm expects events', () => {
  const sunday = '2026-10-04';
  const days = dateRange(FIRST, sunday);

  it('a Sunday without a single invoice is critical', () => {
    const { alarms } = nightly(days, { weekday: 500, weekendDay: 50, stop: between(sunday, '00:00', '23:59') });

    expect(alarms).toEqual([{ day: sunday, summary: expect.stringMatching(/^No "Invoice Sent" events on 4 Oct/) }]);
  });

  it('a Sunday silent from 11:00 to 17:00 opens long before maxSilenceHours, nightly and live', () => {
    const stop = between(sunday, '11:00', '17:00');
    const { alarms, byDay, profile } = nightly(days, { weekday: 500, weekendDay: 50, stop });
    const now = zonedInstant(sunday, '14:30', TZ);
    const sent = (byDay.get(sunday) ?? []).filter((t) => t <= now);
    const before = nightly(days.slice(0, -1), { weekday: 500, weekendDay: 50 }).profile;

    const live = judgeLive(INVOICES, now, TZ, sent.at(-1), dayRange(sunday, TZ).start, sent.length, before);

    expect(alarms.map((a) => a.day)).toEqual([sunday]);
    expect(alarms[0]?.summary).toMatch(
      /^No "Invoice Sent" events 1[01]:\d\d–17:\d\d on 4 Oct \(\d\.\d h\), where about/,
    );
    expect(live.anomalous).toBe(true);
    expect(profile.weekendDays).toBe(12);
  });
});

describe('a profile stored before weekends had their own rhythm', () => {
  it('still loads and judges weekdays by its rhythm, weekends by maxSilenceHours until two weekends are learnt', async () => {
    const { store } = await freshStore('weekend');
    const learnt = nightly(DAYS.slice(0, -1), { weekday: 500, weekendDay: 50 }).profile;
    // The old shape: one rhythm over every day, no weekend fields.
    const old: StreamProfile = { event: INVOICES.event, firstSeen: learnt.firstSeen, days: 28, hourly: learnt.hourly };
    await writeProfile(store, { ...old, foldedThrough: '2026-10-02' });
    const profile = await readProfile(store, INVOICES.event);
    const quietSaturday = invoiceDay('2026-10-03', 7, { weekday: 500, weekendDay: 50 });
    const stoppedWednesday = invoiceDay(OUTAGE_DAY, 8, {
      weekday: 500,
      weekendDay: 50,
      stop: between(OUTAGE_DAY, '10:00', '16:00'),
    });

    const saturday = judgeDay(INVOICES, '2026-10-03', quietSaturday, TZ, profile);
    const wednesday = judgeDay(INVOICES, OUTAGE_DAY, stoppedWednesday, TZ, profile);
    const folded = foldDay(profile, '2026-10-03', quietSaturday, TZ);

    expect(saturday.anomalous).toBe(false);
    expect(wednesday.anomalous).toBe(true);
    expect(folded).toMatchObject({ days: 28, weekendDays: 1, hourly: learnt.hourly });
  });
});

describe('through detection and DynamoDB, six weekends of a trial', () => {
  it('opens only the weekday outage', async () => {
    const config = configWith([], [INVOICES], {
      timeZone: TZ,
      jobs: { ...exampleConfig().jobs, checksAt: '03:00' }, // 02:00 is skipped in Paris's spring
    });
    const { store } = await freshStore('weekend');
    const now = () => dayRange(addDays(OUTAGE_DAY, 1), TZ).start + 9 * HOUR;
    const stop = between(OUTAGE_DAY, '10:00', '16:00');
    const messages = DAYS.flatMap((day, i) =>
      invoiceDay(day, i + 1, { weekday: 200, weekendDay: 20, stop }).map((t, j) => {
        const id = `${day}-${j}`;
        const body = { messageId: id, event: INVOICES.event, userId: `c${j}`, timestamp: new Date(t).toISOString() };
        return { id, body: JSON.stringify(body) };
      }),
    );
    await ingestMessages(messages, { store, config, now });

    const run = await detectAnomaliesBetween(FIRST, OUTAGE_DAY, { store, config, now, queue: memoryQueue() });

    expect(run.opened).toEqual([{ incident: incidentId(eventSubject(INVOICES, 'day')), period: OUTAGE_DAY }]);
  }, 120_000);
});

describe('how busy the weekends are changes no weekday judgement', () => {
  test.prop(
    {
      zone: fc.constantFrom('Europe/Paris', 'America/New_York', 'Asia/Kathmandu', 'Pacific/Auckland', 'UTC'),
      weekday: fc.integer({ min: 100, max: 500 }),
      ratio: fc.integer({ min: 1, max: 20 }), // weekday volume over weekend volume
    },
    { numRuns: 6 },
  )(
    'six weeks alert on the weekday outage only, as a stream as busy every day does',
    (p) => {
      const weekendDay = Math.max(10, Math.round(p.weekday / p.ratio));
      const stop = between(OUTAGE_DAY, '10:00', '16:00', p.zone);
      const quiet = nightly(DAYS, { weekday: p.weekday, weekendDay, stop }, INVOICES, p.zone);
      const busy = nightly(DAYS, { weekday: p.weekday, weekendDay: p.weekday, stop }, INVOICES, p.zone);

      expect(quiet.alarms.map((a) => a.day)).toContain(OUTAGE_DAY);
      expect(quiet.alarms.filter((a) => !weekend(a.day))).toEqual(busy.alarms.filter((a) => !weekend(a.day)));
      // Random traffic has rare real silences: {weekday: 155, ratio: 2} in Paris has no invoice from 18:01 on a
      // Saturday to 09:27 on the Sunday, where about 11 usually arrive (a 1-in-100,000 gap). Before weekends had
      // their own rhythm, 10 of 12 weekend days alerted; at most one in six weekends may now.
      expect(quiet.alarms.filter((a) => weekend(a.day)).length).toBeLessThanOrEqual(1);
    },
    120_000,
  );
});

describe('a silence over the Sunday night is dated where it was unusual', () => {
  const saturday = '2026-10-03';
  const sunday = '2026-10-04';
  const monday = '2026-10-05';
  const learnt = nightly(dateRange(FIRST, saturday), { weekday: 500, weekendDay: 50 });
  /** Sunday and Monday with invoices stopped from 11:00 on Sunday until `until` on Monday. */
  function weekendNight(until: string) {
    const stop = (t: number) => t >= zonedInstant(sunday, '11:00', TZ) && t < zonedInstant(monday, until, TZ);
    const traffic = { weekday: 500, weekendDay: 50, stop };
    const sun = invoiceDay(sunday, 100, traffic);
    const mon = invoiceDay(monday, 101, traffic);
    const judgedSunday = judgeDay(INVOICES, sunday, sun, TZ, learnt.profile, [], learnt.byDay.get(saturday)!.at(-1));
    const profile = foldDay(learnt.profile, sunday, sun, TZ);
    const judge = (reported: boolean) => judgeDay(INVOICES, monday, mon, TZ, profile, [], sun.at(-1), reported);
    return { judgedSunday, judge };
  }

  it('an outage from Sunday 11:00 through the night is Sunday’s; Monday, whose invoices come as usual, is not unusual', () => {
    const { judgedSunday, judge } = weekendNight('06:00');

    const mondayAlone = judge(true);

    expect(judgedSunday).toMatchObject({ anomalous: true, runsOn: true });
    expect(judgedSunday.summary).toMatch(/^No "Invoice Sent" events 1[01]:\d\d–24:00 on 4 Oct \(1\d(\.\d)? h\), where/);
    // Judged whole, as before, the same silence made Monday unusual too ('10:55 (4 Oct)–08:00 on 5 Oct (21.1 h)').
    expect(judge(false).anomalous).toBe(true);
    expect(mondayAlone.anomalous).toBe(false);
    expect(mondayAlone.summary).toMatch(
      /^\d+ "Invoice Sent" events on 5 Oct, longest silence \d+(\.\d)? h \(limit 16 h\); the silence since 1[01]:\d\d \(4 Oct\) ended at 08:\d\d$/,
    );
  });

  it('an outage that goes on into Monday’s working hours is unusual on Monday too, for its Monday hours', () => {
    const { judgedSunday, judge } = weekendNight('11:00');

    const mondayAlone = judge(true);

    expect(judgedSunday.anomalous).toBe(true);
    expect(mondayAlone.anomalous).toBe(true);
    expect(mondayAlone.summary).toMatch(
      /^No "Invoice Sent" events 00:00–11:0\d on 5 Oct \(11(\.\d)? h\), silent since 1[01]:\d\d \(4 Oct\), where about \d+ usually arrive; limit for any silence 16 h$/,
    );
  });

  it('through detection and DynamoDB: the incident opens on Sunday and resolves on Monday, one unusual day', async () => {
    const config = configWith([], [INVOICES], {
      timeZone: TZ,
      jobs: { ...exampleConfig().jobs, checksAt: '03:00' }, // 02:00 is skipped in Paris's spring
    });
    const { store } = await freshStore('weekend');
    const now = () => dayRange(addDays(monday, 1), TZ).start + 9 * HOUR;
    const stop = (t: number) => t >= zonedInstant(sunday, '11:00', TZ) && t < zonedInstant(monday, '06:00', TZ);
    const first = '2026-09-14'; // a Monday: three weekends, two of them learnt before the Sunday
    const messages = dateRange(first, monday).flatMap((day, i) =>
      invoiceDay(day, i + 1, { weekday: 200, weekendDay: 20, stop }).map((t, j) => {
        const id = `${day}-${j}`;
        const body = { messageId: id, event: INVOICES.event, userId: `c${j}`, timestamp: new Date(t).toISOString() };
        return { id, body: JSON.stringify(body) };
      }),
    );
    await ingestMessages(messages, { store, config, now });

    const run = await detectAnomaliesBetween(first, monday, { store, config, now, queue: memoryQueue() });

    const id = incidentId(eventSubject(INVOICES, 'day'));
    expect(run.opened).toEqual([{ incident: id, period: sunday }]);
    expect(run.resolved).toEqual([{ incident: id, period: monday }]);
    expect(await readIncident(store, id)).toMatchObject({ periods: 1, firstPeriod: sunday, resolvedPeriod: monday });
  }, 120_000);
});

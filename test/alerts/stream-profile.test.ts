import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { generateDemoEvents } from '#cli/demo/generate.ts';
import { judgeDay, judgeLive } from '#shared/detection/event-silence.ts';
import { emptyProfile, foldDay, type StreamProfile } from '#shared/detection/stream-profile.ts';
import { addDays, dateRange, localDate, zonedInstant } from '#shared/time/calendar.ts';

const TZ = 'Europe/Berlin';
const ORDERS = { event: 'Order Completed', maxSilenceHours: 6 };
const MIN = 60_000;

/** A shop whose orders come every 6 minutes from 08:00 to 22:00 and one an hour at 02:00 and 05:00 at night. */
function shopDay(day: string, skip: (t: number) => boolean = () => false): number[] {
  const times: number[] = [];
  for (const hhmm of ['02:00', '05:00']) times.push(zonedInstant(day, hhmm, TZ));
  const open = zonedInstant(day, '08:00', TZ);
  for (let t = open; t < open + 14 * 60 * MIN; t += 6 * MIN) times.push(t);
  return times.filter((t) => !skip(t)).sort((a, b) => a - b);
}

function learned(until: string, days: number): StreamProfile {
  let profile = emptyProfile(ORDERS.event);
  for (const day of dateRange(addDays(until, -(days - 1)), until)) profile = foldDay(profile, day, shopDay(day), TZ);
  return profile;
}

describe('expected-event silence follows the stream’s own rhythm', () => {
  const day = '2027-03-29'; // the day after Europe's spring-forward change
  const history = learned(addDays(day, -1), 21);

  it('a quiet night is not a stop once the rhythm is known, though the fixed limit alone would call it one', () => {
    const quiet = shopDay(day, (t) => t < zonedInstant(day, '07:00', TZ)); // nothing from midnight to 08:00

    const withRhythm = judgeDay(ORDERS, day, quiet, TZ, history);
    const firstWeek = judgeDay(ORDERS, day, quiet, TZ, { ...history, days: 3 });

    expect(withRhythm.anomalous).toBe(false);
    expect(firstWeek.anomalous).toBe(true);
  });

  it('a daytime stop is caught within two hours, long before maxSilenceHours', () => {
    const stopped = shopDay(day, (t) => t >= zonedInstant(day, '14:00', TZ) && t < zonedInstant(day, '15:30', TZ));

    const judged = judgeDay(ORDERS, day, stopped, TZ, history);

    expect(judged.anomalous).toBe(true);
    expect(judged.silenceHours).toBeLessThan(ORDERS.maxSilenceHours);
    expect(judged.summary).toBe(
      'No "Order Completed" events 13:54–15:30 on 29 Mar (1.6 h), where about 16 usually arrive; limit for any silence 6 h',
    );
  });

  it('the live check flags a silent afternoon and lets a quiet night pass', () => {
    const last = zonedInstant(day, '14:00', TZ);
    const since = zonedInstant(day, '00:00', TZ);

    const afternoon = judgeLive(ORDERS, last + 100 * MIN, TZ, last, since, 60, history);
    const night = judgeLive(
      ORDERS,
      zonedInstant(day, '07:30', TZ),
      TZ,
      zonedInstant(day, '05:00', TZ),
      since,
      2,
      history,
    );

    expect(afternoon.anomalous).toBe(true);
    expect(night.anomalous).toBe(false);
  });

  it('a day is learned once, and the stream’s partial first day is not learned at all', () => {
    const first = shopDay(day, (t) => t < zonedInstant(day, '12:00', TZ));
    const once = foldDay(emptyProfile(ORDERS.event), day, first, TZ);
    const twice = foldDay(once, day, first, TZ);

    expect(once.days).toBe(0);
    expect(once.firstSeen).toBe(first[0]);
    expect(twice).toEqual(once);
  });
});

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC'];

describe('the demo’s normal days raise no missing-data alarm, whatever the date and zone', () => {
  test.prop(
    {
      lastDay: fc
        .date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2098-12-31T00:00:00Z'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      zone: fc.constantFrom(...ZONES),
    },
    { numRuns: 6 },
  )(
    'every stream judged day by day, as the first detection run does',
    ({ lastDay, zone }) => {
      const data = generateDemoEvents({ lastDay, days: 14, timeZone: zone });
      const planted = new Set(data.incidents.flatMap((i) => i.days));
      const byEvent = new Map<string, Map<string, number[]>>();
      for (const line of data.lines) {
        let e: { event?: string; timestamp?: string };
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        const t = Date.parse(e.timestamp ?? '');
        if (!e.event || Number.isNaN(t)) continue;
        const days = byEvent.get(e.event) ?? new Map<string, number[]>();
        byEvent.set(e.event, days);
        const day = localDate(t, zone);
        days.set(day, [...(days.get(day) ?? []), t]);
      }
      const alarms: string[] = [];
      for (const expected of [
        { event: 'Page Viewed', maxSilenceHours: 2 },
        { event: 'Order Completed', maxSilenceHours: 8 }, // as in the example config
      ]) {
        let profile = emptyProfile(expected.event);
        for (const day of data.days) {
          const times = (byEvent.get(expected.event)?.get(day) ?? []).sort((a, b) => a - b);
          const judged = judgeDay(expected, day, times, zone, profile);
          if (judged.anomalous && !planted.has(day)) alarms.push(judged.summary);
          profile = foldDay(profile, day, times, zone);
        }
      }
      expect(alarms).toEqual([]);
      // Two weeks of demo events per run: seconds on an idle core, more under load.
    },
    120_000,
  );
});

describe('a stop is judged against the rest of its own day', () => {
  const RULE = { event: 'Booking Made', maxSilenceHours: 12 };
  /** `n` bookings spread evenly over 09:00-19:00 local, none in the given local hours. */
  const evenDay = (day: string, n: number, quiet: [string, string] = ['00:00', '00:00']) => {
    const open = zonedInstant(day, '09:00', TZ);
    const step = (10 * 3_600_000) / n;
    const [from, to] = quiet.map((h) => zonedInstant(day, h, TZ)) as [number, number];
    return Array.from({ length: n }, (_, i) => open + i * step).filter((t) => t < from || t >= to);
  };
  // Six weekdays at 300 a day: the first (the stream's first day) is not learnt, five are.
  const days = dateRange('2026-10-05', '2026-10-12');
  const profile = days
    .filter((d) => !['2026-10-10', '2026-10-11'].includes(d))
    .reduce((p, d) => foldDay(p, d, evenDay(d, 300), TZ), emptyProfile(RULE.event));
  const slow = '2026-10-13';

  it('an ordinary lull on a slow day (a third of the usual volume) is not a stop', () => {
    const judged = judgeDay(RULE, slow, evenDay(slow, 90, ['13:00', '14:00']), TZ, profile);

    expect(judged.anomalous).toBe(false);
  });

  it('a three-hour stop on the same slow day is', () => {
    const judged = judgeDay(RULE, slow, evenDay(slow, 90, ['12:00', '15:00']), TZ, profile);

    expect(judged.anomalous).toBe(true);
    expect(judged.summary).toMatch(/^No "Booking Made" events 1[12]:\d\d–15:\d\d on 13 Oct/);
  });
});

describe('holidays and the day rate', () => {
  const RULE = { event: 'Booking Made', maxSilenceHours: 12 };
  /** `day` and `night` bookings spread evenly over 09:00-19:00 and 00:00-06:00 local. */
  const shaped = (d: string, day: number, night: number) => {
    const spread = (from: string, hours: number, n: number) =>
      Array.from({ length: n }, (_, i) => zonedInstant(d, from, TZ) + (i * hours * 3_600_000) / n);
    return [...spread('00:00', 6, night), ...spread('09:00', 10, day)];
  };
  const weekdays = ['2026-10-05', '2026-10-06', '2026-10-07', '2026-10-08', '2026-10-09', '2026-10-12'];

  it('a quiet night after a busy holiday evening is not a stop (its events are not a busy day at the usual rate)', () => {
    const profile = weekdays.reduce((p, d) => foldDay(p, d, shaped(d, 300, 6), TZ), emptyProfile(RULE.event));
    const holiday = '2026-10-13';
    const evening = Array.from({ length: 30 }, (_, i) => zonedInstant(holiday, '20:00', TZ) + i * 6 * 60_000);

    const live = judgeLive(
      RULE,
      zonedInstant('2026-10-14', '03:00', TZ),
      TZ,
      evening.at(-1),
      zonedInstant(holiday, '00:00', TZ),
      evening.length,
      profile,
      [holiday],
    );

    expect(live.anomalous).toBe(false);
  });

  it('a holiday without a single event is a stop when its Sunday rhythm expects many, whatever maxSilenceHours', () => {
    const sundays = ['2026-10-04', '2026-10-11', '2026-10-18'];
    const profile = [...weekdays, ...sundays]
      .toSorted()
      .reduce((p, d) => foldDay(p, d, shaped(d, 100, 0), TZ), emptyProfile(RULE.event));
    const holiday = '2026-10-20';
    const rule = { ...RULE, maxSilenceHours: 48 };

    const judged = judgeDay(rule, holiday, [], TZ, profile, [holiday], zonedInstant('2026-10-19', '18:59', TZ));

    expect(judged.anomalous).toBe(true);
    expect(judged.summary).toMatch(/^No "Booking Made" events on 20 Oct, about \d+ expected/);
  });
});

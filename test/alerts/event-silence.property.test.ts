// Properties, day by day with the calls detection makes (judge the day from the stream's last event before it, then
// learn it): a stream with quiet nights shorter than its `maxSilenceHours` raises no silence alarm in its first two
// weeks (before and after the rhythm is learnt), whatever its volume and time zone, nor on a holiday with half the
// volume and shorter hours; and an outage longer than `maxSilenceHours` in its first week, across midnight or not,
// always does.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { mulberry32 } from '#cli/demo/generate.ts';
import { judgeDay } from '#shared/detection/event-silence.ts';
import { emptyProfile, foldDay } from '#shared/detection/stream-profile.ts';
import { addDays, dateRange, dayRange, type LocalDate, zonedInstant } from '#shared/time/calendar.ts';

const HOUR = 3_600_000;
const ZONES = [
  'America/Chicago',
  'America/Los_Angeles',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Kathmandu',
  'Asia/Shanghai',
  'Pacific/Auckland',
  'UTC',
];

/**
 * One day's events: `orders` spread over the opening hours [open, close) (local wall-clock hours), one at random in
 * each of `orders` equal slots, so the busy hours have no long gap by chance and only the night is quiet.
 */
function dayEvents(day: LocalDate, zone: string, orders: number, open: number, close: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const slot = (close - open) / orders;
  return Array.from({ length: orders }, (_, i) => {
    const h = open + (i + rand()) * slot; // from 04:00 on: past every zone's daylight-saving change
    return zonedInstant(day, `${String(Math.floor(h)).padStart(2, '0')}:00`, zone) + (h % 1) * HOUR;
  });
}

/** A shop's stream: zone, first day, daily orders, opening hour, night length and the limit's margin over it. */
const SHOP = {
  zone: fc.constantFrom(...ZONES),
  first: fc
    .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  orders: fc.integer({ min: 20, max: 1000 }),
  open: fc.integer({ min: 4, max: 10 }), // local hour the first events may come
  night: fc.integer({ min: 6, max: 12 }), // hours from closing to opening
  margin: fc.double({ min: 0.1, max: 6, noNaN: true }), // maxSilenceHours above the longest night
};

/** Each of these properties judges weeks of generated events per run: seconds on an idle core, more under load. */
const SLOW_PROPERTY_MS = 120_000;

describe('quiet nights shorter than maxSilenceHours are never a stop', () => {
  test.prop(
    {
      ...SHOP,
      firstHour: fc.double({ min: 0, max: 0.9, noNaN: true }), // when, on the first day, the stream began
      holiday: fc.integer({ min: 1, max: 13 }),
      seed: fc.integer({ min: 1, max: 1_000_000 }),
    },
    { numRuns: 25 },
  )(
    'no day of the first two weeks alerts, a holiday included',
    (p) => {
      const close = Math.min(24, p.open + 24 - p.night);
      const holidayOrders = Math.ceil(p.orders / 2);
      // The longest quiet stretch: a night next to the holiday (an hour longer, from a last event a slot early to a first
      // a holiday's slot late), on the wall clock; a daylight-saving night is an hour longer still.
      const longest =
        24 - (close - p.open) + 1 + (close - p.open - 2) / holidayOrders + (close - p.open) / p.orders + 1;
      const rule = { event: 'Order Placed', maxSilenceHours: longest + p.margin };
      const days = dateRange(p.first, addDays(p.first, 13));
      const holiday = days[p.holiday]!;
      let profile = emptyProfile(rule.event);
      const alarms: string[] = [];
      let lastBefore: number | undefined;
      for (const [i, day] of days.entries()) {
        const short = day === holiday ? 2 : 0; // the holiday opens an hour later and closes an hour earlier
        const orders = day === holiday ? holidayOrders : p.orders;
        let times = dayEvents(day, p.zone, orders, p.open + short / 2, close - short / 2, p.seed + i);
        if (i === 0) times = times.slice(Math.floor(times.length * p.firstHour)); // began mid-day
        const judged = judgeDay(rule, day, times, p.zone, profile, [holiday], lastBefore);
        if (judged.anomalous) alarms.push(`${day}: ${judged.summary}`);
        profile = foldDay(profile, day, times, p.zone, [holiday]);
        lastBefore = times.at(-1) ?? lastBefore;
      }
      // The partial first day and the holiday are not learnt; weekdays and weekend days each teach their own rhythm.
      expect(profile.days + (profile.weekendDays ?? 0)).toBe(12);
      expect(alarms).toEqual([]);
    },
    SLOW_PROPERTY_MS,
  );

  test.prop(
    {
      ...SHOP,
      at: fc.double({ min: 0, max: 1, noNaN: true }), // where in the first week the outage starts
      over: fc.double({ min: 0.05, max: 8, noNaN: true }), // hours the outage lasts past maxSilenceHours
      seed: fc.integer({ min: 1, max: 1_000_000 }),
    },
    { numRuns: 40 },
  )(
    'an outage longer than maxSilenceHours in the first week opens, across midnight too',
    (p) => {
      const close = Math.min(24, p.open + 24 - p.night);
      const longest = 24 - (close - p.open) + (2 * (close - p.open)) / p.orders + 1;
      const rule = { event: 'Order Placed', maxSilenceHours: longest + p.margin };
      const days = dateRange(p.first, addDays(p.first, 9));
      const all = days.flatMap((day, i) => dayEvents(day, p.zone, p.orders, p.open, close, p.seed + i));
      const firstWeek = all.filter((t) => t < zonedInstant(addDays(p.first, 7), '00:00', p.zone));
      const from = firstWeek[0]! + 1 + p.at * (firstWeek.at(-1)! - firstWeek[0]!); // the stream has begun
      const to = from + (rule.maxSilenceHours + p.over) * HOUR;
      const sent = all.filter((t) => t < from || t >= to);
      // The silence it makes runs from the last event before it to the next one after it.
      const silent = [sent.findLast((t) => t < from)!, sent.find((t) => t >= to) ?? Number.POSITIVE_INFINITY];
      let profile = emptyProfile(rule.event);
      let lastBefore: number | undefined;
      const alarms: string[] = [];
      const outage: string[] = [];
      for (const day of days) {
        const { start, end } = dayRange(day, p.zone);
        const times = sent.filter((t) => t >= start && t < end);
        const judged = judgeDay(rule, day, times, p.zone, profile, [], lastBefore);
        if (judged.anomalous) alarms.push(day);
        if (start <= silent[1]! && end > silent[0]!) outage.push(day);
        profile = foldDay(profile, day, times, p.zone);
        lastBefore = times.at(-1) ?? lastBefore;
      }
      expect(alarms).not.toEqual([]);
      expect(alarms.filter((d) => !outage.includes(d))).toEqual([]); // and only on the days it spans
    },
    SLOW_PROPERTY_MS,
  );
});

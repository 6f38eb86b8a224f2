// Expected-event silence through detection, on a shop like a new user's trial: ~350 orders a day from 07:00 to
// 22:00 in America/Chicago, nothing at night, deliveries 1.5-3 h after each order; `maxSilenceHours` 10 and 14.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#cli/demo/generate.ts';
import { detectAnomaliesBetween, detectEventSilence, eventSubject } from '#shared/detection/detect.ts';
import { judgeDay } from '#shared/detection/event-silence.ts';
import { RHYTHM_MIN_DAYS, readProfile } from '#shared/detection/stream-profile.ts';
import { loadAlertMail } from '#shared/email/alert-mail.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { incidentId, readIncident } from '#shared/incidents/incidents.ts';
import type { AlertDelivery } from '#shared/queue/messages.ts';
import { addDays, dateRange, dayRange, type LocalDate, zonedInstant } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, memoryQueue } from './support.ts';

const TZ = 'America/Chicago';
const FIRST = '2026-10-01';
const THANKSGIVING = '2026-11-26';
const HOLIDAYS = [THANKSGIVING, '2026-11-27', '2026-12-25'];
const ORDERS = { event: 'Order Placed', maxSilenceHours: 10, plan: 'outage' };
const DELIVERIES = { event: 'Delivery Completed', maxSilenceHours: 14 };
const HOUR = 3_600_000;

interface ShopDay {
  orders?: number;
  open?: number;
  close?: number;
  /** Instants with no orders (an outage). */
  stop?: (t: number) => boolean;
}

/** One local day of the shop: orders at random in its opening hours, each delivered 1.5-3 h later. */
function shopDay(day: LocalDate, seed: number, { orders = 350, open = 7, close = 22, stop }: ShopDay = {}) {
  const rand = mulberry32(seed);
  const start = dayRange(day, TZ).start;
  const out: Array<{ id: string; body: string }> = [];
  const event = (name: string, id: string, t: number) =>
    out.push({
      id,
      body: JSON.stringify({ messageId: id, event: name, userId: `u${id}`, timestamp: new Date(t).toISOString() }),
    });
  for (let i = 0; i < orders; i++) {
    const t = start + (open + rand() * (close - open)) * HOUR;
    if (stop?.(t)) continue;
    event('Order Placed', `${day}-o${i}`, t);
    event('Delivery Completed', `${day}-d${i}`, t + (1.5 + rand() * 1.5) * HOUR);
  }
  return out;
}

async function shop(last: LocalDate, special: Record<LocalDate, ShopDay> = {}) {
  const config = configWith([], [ORDERS, DELIVERIES], {
    timeZone: TZ,
    holidays: HOLIDAYS,
    jobs: { ...exampleConfig().jobs, checksAt: '03:00' }, // 02:00 is skipped in Chicago's spring
  });
  const { store } = await freshStore('silence');
  const queue = memoryQueue();
  const now = () => dayRange(addDays(last, 1), TZ).start + 9 * HOUR;
  const days = dateRange(addDays(last, -9), last).filter((d) => d >= FIRST);
  const messages = days.flatMap((d, i) => shopDay(d, i + 1, special[d]));
  await ingestMessages(messages, { store, config, now });
  return { config, store, queue, deps: { store, config, now, queue }, days };
}

const ordersDay = incidentId(eventSubject(ORDERS, 'day'));
const deliveriesDay = incidentId(eventSubject(DELIVERIES, 'day'));

describe('before the rhythm is learnt, maxSilenceHours alone decides', () => {
  it('the first days of a busy shop with quiet nights open nothing', async () => {
    const { store, deps } = await shop(addDays(FIRST, 2));

    const run = await detectAnomaliesBetween(FIRST, addDays(FIRST, 2), deps);

    expect(run.opened).toEqual([]);
    expect((await readIncident(store, ordersDay))?.last.summary).toMatch(
      /^\d+ "Order Placed" events on 3 Oct, longest silence \d\.\d h \(limit 10 h\)$/,
    );
  });

  it('the hourly check through the first nights opens nothing', async () => {
    const { deps } = await shop(addDays(FIRST, 2));
    const hours = Array.from({ length: 48 }, (_, h) => zonedInstant(FIRST, '07:30', TZ) + h * HOUR);

    const opened: string[] = [];
    for (const at of hours) opened.push(...(await detectEventSilence({ ...deps, now: () => at })).opened);

    expect(opened).toEqual([]);
  });

  it('a silence of maxSilenceHours in the first week still opens, in the limit’s words', async () => {
    const stopped = addDays(FIRST, 2);
    const { store, deps } = await shop(stopped, {
      [stopped]: { stop: (t) => t >= zonedInstant(stopped, '11:00', TZ) },
    });

    const run = await detectAnomaliesBetween(FIRST, stopped, deps);

    expect(run.opened).toEqual([{ incident: ordersDay, period: stopped }]);
    expect((await readIncident(store, ordersDay))?.last.summary).toMatch(
      /^No "Order Placed" events 1[01]:\d\d–24:00 on 3 Oct \(13\.\d h\); limit 10 h$/,
    );
  });
});

describe('a silence is judged whole, across midnight too', () => {
  it('an outage from one evening into the next morning opens on the day it ends, with its hours', async () => {
    const [evening, morning] = [addDays(FIRST, 1), addDays(FIRST, 2)];
    const stop = (t: number) => t >= zonedInstant(evening, '17:00', TZ) && t < zonedInstant(morning, '09:30', TZ);
    const { store, deps } = await shop(morning, { [evening]: { stop }, [morning]: { stop } });

    const run = await detectAnomaliesBetween(FIRST, morning, deps);

    // 7 h to midnight and 9.5 h after it: each half is under the 10 h limit, the whole is not. (Deliveries, 1.5-3 h
    // behind, stop for longer than their 14 h.)
    expect(run.opened).toContainEqual({ incident: ordersDay, period: morning });
    expect(run.opened).not.toContainEqual({ incident: ordersDay, period: evening });
    expect((await readIncident(store, ordersDay))?.last.summary).toMatch(
      /^No "Order Placed" events 1[67]:\d\d \(2 Oct\)–09:\d\d on 3 Oct \(1[67]\.\d h\); limit 10 h$/,
    );
  });

  it('a quiet night shorter than the limit is reported as the day’s longest silence, after the rhythm too', async () => {
    const day = '2026-10-14';
    const { store, deps, days } = await shop(day);

    const run = await detectAnomaliesBetween(days[0]!, day, deps);

    // 22:00 to 07:00 is 9 h, less the minutes to the last and first orders.
    expect(run.opened).toEqual([]);
    expect((await readIncident(store, ordersDay))?.last.summary).toMatch(
      /^\d+ "Order Placed" events on 14 Oct, longest silence (8\.[5-9]|9) h \(limit 10 h\)$/,
    );
  });
});

describe('on a holiday the rhythm is off, and the holiday does not teach it', () => {
  it('Thanksgiving’s short, thin day opens nothing and leaves the learnt rhythm as it was', async () => {
    const before = addDays(THANKSGIVING, -1);
    const { store, deps, days } = await shop(THANKSGIVING, {
      [THANKSGIVING]: { orders: 120, open: 7.5, close: 20 },
    });
    await detectAnomaliesBetween(days[0]!, before, deps);
    const learnt = await readProfile(store, ORDERS.event);

    const run = await detectAnomaliesBetween(THANKSGIVING, THANKSGIVING, deps);
    const after = await readProfile(store, ORDERS.event);

    expect(learnt.days).toBeGreaterThanOrEqual(RHYTHM_MIN_DAYS); // the rhythm judges the days around it
    expect(run.opened).toEqual([]);
    expect((await readIncident(store, deliveriesDay))?.status).toBe('normal');
    expect(after).toEqual({ ...learnt, foldedThrough: THANKSGIVING });
  });

  it('the live check on the holiday evening lets the early close pass', async () => {
    const { deps, days } = await shop(THANKSGIVING, { [THANKSGIVING]: { orders: 120, open: 7.5, close: 20 } });
    await detectAnomaliesBetween(days[0]!, addDays(THANKSGIVING, -1), deps);

    const evening = await detectEventSilence({ ...deps, now: () => zonedInstant(THANKSGIVING, '23:30', TZ) });

    expect(evening.opened).toEqual([]);
  });
});

describe('a stop the rhythm catches says which hours were silent and what usually arrives in them', () => {
  it('an afternoon without orders opens long before maxSilenceHours, and the mail says why', async () => {
    const day = '2026-10-14';
    const stop = (t: number) => t >= zonedInstant(day, '13:00', TZ) && t < zonedInstant(day, '15:06', TZ);
    const { store, queue, config, deps, days } = await shop(day, { [day]: { stop } });

    const run = await detectAnomaliesBetween(days[0]!, day, deps);
    const incident = await readIncident(store, ordersDay);
    const mail = await loadAlertMail(
      store,
      config,
      queue.messages.find((m) => m.kind === 'alert' && m.incidentId === ordersDay) as AlertDelivery,
    );

    // Deliveries stop too, 1.5-3 h later: the orders they would deliver were never placed.
    expect(run.opened).toContainEqual({ incident: ordersDay, period: day });
    const why =
      /^No "Order Placed" events 1[23]:\d\d–15:\d\d on 14 Oct \(2\.\d h\), where about \d+ usually arrive; limit for any silence 10 h$/;
    expect(incident?.last.summary).toMatch(why);
    expect(mail?.subject).toContain(incident?.last.summary);
    expect(mail?.text).not.toMatch(/\(limit 10 h\)/);
  });

  it('the alert mail writes the silent day as "14 Oct", as every other alert does, not as an ISO date', async () => {
    const day = '2026-10-14';
    const stop = (t: number) => t >= zonedInstant(day, '13:00', TZ) && t < zonedInstant(day, '15:06', TZ);
    const { store, queue, config, deps, days } = await shop(day, { [day]: { stop } });

    await detectAnomaliesBetween(days[0]!, day, deps);
    const mail = await loadAlertMail(
      store,
      config,
      queue.messages.find((m) => m.kind === 'alert' && m.incidentId === ordersDay) as AlertDelivery,
    );

    expect(mail?.subject).toContain(' on 14 Oct (');
    expect(mail?.subject).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect(mail?.text).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    expect((await readIncident(store, ordersDay))?.lastPeriod).toBe(day); // stored periods stay ISO
  });

  it('a silence past maxSilenceHours keeps the limit’s words', () => {
    const day = '2026-10-14';
    const times = [zonedInstant(day, '07:05', TZ), zonedInstant(day, '09:00', TZ)];

    const judged = judgeDay(ORDERS, day, times, TZ, { event: ORDERS.event, firstSeen: 0, days: 0, hourly: [] });

    expect(judged.summary).toBe('No "Order Placed" events 09:00–24:00 on 14 Oct (15 h); limit 10 h');
  });
});

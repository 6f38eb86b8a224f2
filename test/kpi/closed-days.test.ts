// Targets on closed days (a new-user trial: a parts distributor closed on Sundays and holidays read "score 0, 2 KPIs
// missed" every Sunday, and could never reach a weekly target of 7 days' orders in 6). Real ingest, rollup and
// detection on the test run's DynamoDB Local.
import { describe, expect, it } from 'vitest';
import { detectAnomaliesBetween } from '#shared/detection/detect.ts';
import { readKpiValues, readScorecards } from '#shared/kpi/kpi-store.ts';
import { nightlyRollup } from '#shared/kpi/rollup.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, zonedInstant } from '#shared/time/calendar.ts';
import { memoryQueue } from '../alerts/support.ts';
import {
  closedOnSundays,
  FIRST_DAY,
  HOLIDAY,
  ingestOpenDays,
  LAST_SUNDAY,
  rollUpThrough,
  sundaysAndHoliday,
} from '../support/closed-business.ts';
import { freshStore } from '../support/dynamo.ts';

const value = async (store: StateStore, kpi: string, g: 'day' | 'week', period: string) =>
  (await readKpiValues(store, kpi, g, period, period))[0];
const card = async (store: StateStore, g: 'day' | 'week', period: string) =>
  (await readScorecards(store, g, period, period))[0];
const OUTAGE = '2026-11-17'; // a Tuesday: the business was open, but no event arrived

describe('a day the business was closed', () => {
  it('is closed on its scorecard, not "score 0, 2 KPIs missed"; an empty Tuesday among busy ones is still a miss', async () => {
    const config = closedOnSundays();
    const { store } = await freshStore('closed-days');
    await ingestOpenDays(store, config, FIRST_DAY, LAST_SUNDAY, (d) => sundaysAndHoliday(d) || d === OUTAGE);
    await rollUpThrough(store, config, addDays(LAST_SUNDAY, -1));

    // The night after the Sunday: its rollup reads the day figures the nights before it stored.
    await nightlyRollup({ store, config, now: () => zonedInstant(addDays(LAST_SUNDAY, 1), '01:00', config.timeZone) });

    expect(await value(store, 'orders', 'day', LAST_SUNDAY)).toMatchObject({
      value: 0,
      status: 'closed',
      closed: 'weekday',
      attainment: null,
      target: { min: 3 },
    });
    expect(await card(store, 'day', LAST_SUNDAY)).toMatchObject({ score: null, missed: 0, noValue: 0, closed: 2 });
    expect(await value(store, 'orders', 'day', OUTAGE)).toMatchObject({ value: 0, status: 'missed', attainment: 0 });
    expect(await card(store, 'day', OUTAGE)).toMatchObject({ score: 0, missed: 2, closed: 0 });
  });

  it('a holiday without events is closed, whatever its weekday', async () => {
    const config = closedOnSundays();
    const { store } = await freshStore('closed-days');
    await ingestOpenDays(store, config, FIRST_DAY, LAST_SUNDAY, sundaysAndHoliday);

    await rollUpThrough(store, config, LAST_SUNDAY);

    expect(await value(store, 'new_users', 'day', HOLIDAY)).toMatchObject({ status: 'closed', closed: 'holiday' });
    expect(await card(store, 'day', HOLIDAY)).toMatchObject({ score: null, missed: 0, closed: 2 });
  });

  it("the first Sundays are scored as before: one empty Sunday is not yet the business's habit", async () => {
    const config = closedOnSundays();
    const { store } = await freshStore('closed-days');
    await ingestOpenDays(store, config, FIRST_DAY, LAST_SUNDAY, sundaysAndHoliday);

    await rollUpThrough(store, config, LAST_SUNDAY);

    const statuses = [];
    for (const sunday of ['2026-11-01', '2026-11-08', '2026-11-15', LAST_SUNDAY])
      statuses.push((await value(store, 'orders', 'day', sunday))?.status);
    expect(statuses).toEqual(['missed', 'missed', 'closed', 'closed']);
  });
});

describe('a per-day target of a week with closed days', () => {
  it('counts the open days only: 5 open days at 4 orders a day are outstanding against 5 x 3', async () => {
    const config = closedOnSundays();
    const { store } = await freshStore('closed-days');
    await ingestOpenDays(store, config, FIRST_DAY, LAST_SUNDAY, sundaysAndHoliday);

    await rollUpThrough(store, config, LAST_SUNDAY);

    // Week 47, Mon 16 .. Sun 22 Nov: closed on the holiday (Wed 18) and on Sunday.
    expect(await value(store, 'orders', 'week', '2026-W47')).toMatchObject({
      value: 20,
      days: 7,
      openDays: 5,
      target: { min: 15 },
      status: 'outstanding',
    });
    expect(await card(store, 'week', '2026-W47')).toMatchObject({ missed: 0, score: 100 });
  });

  it('a business open every day keeps its week at 7 times the daily target', async () => {
    const config = closedOnSundays({ holidays: [] });
    const { store } = await freshStore('closed-days');
    await ingestOpenDays(store, config, FIRST_DAY, LAST_SUNDAY, () => false);

    await rollUpThrough(store, config, LAST_SUNDAY);

    const week = await value(store, 'orders', 'week', '2026-W47');
    expect(week).toMatchObject({ value: 28, days: 7, target: { min: 21 }, status: 'outstanding' });
    expect(week).not.toHaveProperty('openDays');
  });
});

describe('a target rule on a closed day', () => {
  it('opens no incident on a closed Sunday or holiday, and still does on an empty Tuesday', async () => {
    const config = closedOnSundays();
    const { store } = await freshStore('closed-days');
    await ingestOpenDays(store, config, FIRST_DAY, LAST_SUNDAY, (d) => sundaysAndHoliday(d) || d === OUTAGE);
    await rollUpThrough(store, config, LAST_SUNDAY);
    const now = () => zonedInstant(addDays(LAST_SUNDAY, 1), '02:00', config.timeZone);

    const run = await detectAnomaliesBetween('2026-11-15', LAST_SUNDAY, { store, config, now, queue: memoryQueue() });

    expect(run.opened).toEqual([{ incident: 'rule:orders_floor:*:target_breach', period: OUTAGE }]);
    const sunday = run.days.find((d) => d.date === LAST_SUNDAY)!.results.find((r) => r.title.startsWith('Orders'));
    expect(sunday).toMatchObject({
      outcome: 'not_judged',
      summary: 'Orders 0 not judged: breach: no events, on a day it is usually closed: not judged',
    });
    const holiday = run.days.find((d) => d.date === HOLIDAY)!.results.find((r) => r.title.startsWith('Orders'));
    expect(holiday).toMatchObject({ outcome: 'not_judged' });
  });
});

import { describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { dirtyDays } from '#shared/events/events-store.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { readKpiValues, readScorecards } from '#shared/kpi/kpi-store.ts';
import { nightlyRollup, periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import type { StateStore } from '#shared/store/store.ts';
import { dateRange } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

let seq = 0;
type Ev = { event: string; userId?: string; timestamp: string; properties?: Record<string, unknown> };

async function ingest(
  store: StateStore,
  config: NightshiftConfig,
  events: Ev[],
  now = Date.parse('2026-12-15T00:00:00Z'),
) {
  const messages = events.map((e) => ({
    id: `m${++seq}`,
    body: JSON.stringify({ messageId: `e${seq}`, properties: {}, ...e }),
  }));
  const r = await ingestMessages(messages, { store, config, now: () => now });
  expect(r.failed).toEqual([]);
  return r;
}
const value = async (store: StateStore, kpi: string, g: 'day' | 'week' | 'month', period: string) =>
  (await readKpiValues(store, kpi, g, period, period))[0];

function configWith(kpis: unknown[], timeZone = 'Asia/Shanghai'): NightshiftConfig {
  const base = exampleConfig() as unknown as Record<string, unknown>;
  return validateConfig(
    // Checks at 03:30: 02:00 does not exist one night a year in a zone with daylight saving.
    { ...base, timeZone, kpis, alerts: {}, responsePlans: [], reports: [], checks: {}, jobs: { checksAt: '03:30' } },
    'test config',
  );
}

/** The rollups run at 01:00 on 23 Nov 2026, after every day these tests roll up. */
const NOW = () => Date.parse('2026-11-23T01:00:00+08:00');

describe('KPI rollups', () => {
  it('weekly distinct users are distinct over the week, and a weekly ratio is the ratio of weekly totals', async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    // Week 2026-W47 is Mon 16 .. Sun 22 Nov. u1 visits on two days, u2 once; u1 orders twice, u2 never.
    await ingest(store, config, [
      { event: 'Page Viewed', userId: 'u1', timestamp: '2026-11-16T10:00:00+08:00' },
      { event: 'Page Viewed', userId: 'u1', timestamp: '2026-11-17T10:00:00+08:00' },
      { event: 'Page Viewed', userId: 'u2', timestamp: '2026-11-17T11:00:00+08:00' },
      { event: 'Order Completed', userId: 'u1', timestamp: '2026-11-16T10:05:00+08:00' },
      { event: 'Order Completed', userId: 'u1', timestamp: '2026-11-17T10:05:00+08:00' },
    ]);
    await rollupPeriods(['2026-11-16', '2026-11-17', '2026-W47'], '2026-11-22', { store, config, now: NOW });

    expect((await value(store, 'dau', 'day', '2026-11-16'))?.value).toBe(1);
    expect((await value(store, 'dau', 'day', '2026-11-17'))?.value).toBe(2);
    // Daily conversion: 1/1 and 1/2; the week is 2 orders / 2 distinct visitors, not the mean (0.75) nor 2/3.
    expect((await value(store, 'conversion_rate', 'day', '2026-11-17'))?.value).toBe(0.5);
    const week = await value(store, 'conversion_rate', 'week', '2026-W47');
    expect(week?.value).toBe(1);
    expect(week?.inputs).toMatchObject({ 'count("Order Completed")': 2, 'distinct(userId of "Page Viewed")': 2 });
    expect(week?.complete).toBe(true);
  });

  it('a ratio with a zero denominator has no value, and the scorecard leaves it out of the score', async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    await ingest(store, config, [{ event: 'Signed Up', userId: 'u1', timestamp: '2026-11-20T10:00:00+08:00' }]);
    await rollupPeriods(['2026-11-20'], '2026-11-22', { store, config, now: NOW });

    const roi = await value(store, 'roi', 'day', '2026-11-20');
    expect(roi).toMatchObject({ value: null, status: 'no_value', attainment: null });
    const [card] = await readScorecards(store, 'day', '2026-11-20', '2026-11-20');
    expect(card?.unscored).toEqual(expect.arrayContaining(['roi', 'conversion_rate']));
  });

  it('next-day retention at a month end counts returns on the 1st of the next month', async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    await ingest(store, config, [
      { event: 'Signed Up', userId: 'a', timestamp: '2026-10-31T09:00:00+08:00' },
      { event: 'Signed Up', userId: 'b', timestamp: '2026-10-31T23:59:59+08:00' },
      { event: 'Signed Up', userId: 'c', timestamp: '2026-10-31T12:00:00+08:00' },
      { event: 'Page Viewed', userId: 'a', timestamp: '2026-11-01T00:00:00+08:00' },
      { event: 'Page Viewed', userId: 'c', timestamp: '2026-10-31T13:00:00+08:00' }, // same day: not a return
    ]);
    await rollupPeriods(['2026-10-31', '2026-10'], '2026-11-01', { store, config, now: NOW });

    const day = await value(store, 'next_day_retention', 'day', '2026-10-31');
    expect(day?.value).toBeCloseTo(1 / 3, 10);
    expect(day?.complete).toBe(true);
    expect((await value(store, 'next_day_retention', 'month', '2026-10'))?.value).toBeCloseTo(1 / 3, 10);
  });

  it("yesterday's next-day retention is pending until today has ended", async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    await ingest(store, config, [{ event: 'Signed Up', userId: 'a', timestamp: '2026-11-22T09:00:00+08:00' }]);
    await rollupPeriods(['2026-11-22'], '2026-11-22', { store, config, now: NOW });
    expect(await value(store, 'next_day_retention', 'day', '2026-11-22')).toMatchObject({
      value: null,
      pending: true,
      complete: false,
    });
    expect((await value(store, 'new_users', 'day', '2026-11-22'))?.value).toBe(1);
  });

  it('a DST zone counts 25 hours of events on the autumn change day and 23 in spring', async () => {
    const { store } = await freshStore();
    const config = configWith(
      [{ id: 'events', name: 'Events', formula: 'count(any)', granularities: ['day'] }],
      'Europe/Berlin',
    );
    const hourly = (from: string, hours: number) =>
      Array.from({ length: hours }, (_, h) => ({
        event: 'Tick',
        timestamp: new Date(Date.parse(from) + h * 3_600_000 + 1_800_000).toISOString(),
      }));
    // One event in the middle of every real hour from local midnight to local midnight.
    await ingest(store, config, [...hourly('2026-10-24T22:00:00Z', 25), ...hourly('2026-03-28T23:00:00Z', 23)]);
    await rollupPeriods(['2026-10-25', '2026-03-29', '2026-10-26'], '2026-10-26', { store, config, now: NOW });

    expect((await value(store, 'events', 'day', '2026-10-25'))?.value).toBe(25);
    expect((await value(store, 'events', 'day', '2026-03-29'))?.value).toBe(23);
    expect((await value(store, 'events', 'day', '2026-10-26'))?.value).toBe(0);
  });

  it('a late event changes its own day after the next nightly rollup', async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    const night1 = Date.parse('2026-11-23T01:00:00+08:00');
    await ingest(store, config, [{ event: 'Signed Up', userId: 'a', timestamp: '2026-11-10T09:00:00+08:00' }], night1);
    await rollupPeriods(periodsForDays(['2026-11-10'], config), '2026-11-22', { store, config, now: () => night1 });
    expect((await value(store, 'new_users', 'day', '2026-11-10'))?.value).toBe(1);

    // An app that was offline sends its sign-up from the 10th on the 23rd, long after that day's rollup.
    const arrival = Date.parse('2026-11-23T15:00:00+08:00');
    const r = await ingest(
      store,
      config,
      [{ event: 'Signed Up', userId: 'b', timestamp: '2026-11-10T20:00:00+08:00' }],
      arrival,
    );
    expect(r.lateDays).toEqual(['2026-11-10']);
    const summary = await nightlyRollup({ store, config, now: () => Date.parse('2026-11-24T00:30:00+08:00') });

    expect(summary.lateDays).toEqual(['2026-11-10']);
    expect((await value(store, 'new_users', 'day', '2026-11-10'))?.value).toBe(2);
    expect((await value(store, 'new_users', 'week', '2026-W46'))?.value).toBe(2);
    expect((await value(store, 'new_users', 'month', '2026-11'))?.value).toBe(2);
  });

  it('a late event that arrives while its day is being rolled up is counted by the next night, not lost', async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    const signUp = (userId: string, hour: number) => ({
      event: 'Signed Up',
      userId,
      timestamp: `2026-11-10T${String(hour).padStart(2, '0')}:00:00+08:00`,
    });
    await ingest(store, config, [signUp('a', 9)], Date.parse('2026-11-23T15:00:00+08:00'));
    // The rollup reads the 10th; meanwhile another late sign-up of the 10th arrives and marks it again.
    let arrived = false;
    const racing: StateStore = {
      ...store,
      async *query(table, pk, options) {
        if (!arrived && table === 'events' && pk.includes('2026-11-10')) {
          arrived = true;
          await ingest(store, config, [signUp('b', 20)], Date.parse('2026-11-24T00:30:05+08:00'));
        }
        yield* store.query(table, pk, options);
      },
    };

    const first = await nightlyRollup({ store: racing, config, now: () => Date.parse('2026-11-24T00:30:00+08:00') });
    expect(first.lateDays).toEqual(['2026-11-10']);
    expect(arrived).toBe(true);
    expect((await dirtyDays(store)).map((d) => d.day)).toEqual(['2026-11-10']);

    await nightlyRollup({ store, config, now: () => Date.parse('2026-11-25T00:30:00+08:00') });
    expect((await value(store, 'new_users', 'day', '2026-11-10'))?.value).toBe(2);
    expect(await dirtyDays(store)).toEqual([]);
  });

  it('the nightly rollup recomputes yesterday and the recomputeDays before it in the config time zone', async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    config.jobs.recomputeDays = 3;
    const summary = await nightlyRollup({ store, config, now: () => Date.parse('2026-11-23T00:30:00+08:00') });
    expect(summary.asOf).toBe('2026-11-22');
    expect(summary.periods).toEqual(
      expect.arrayContaining([...dateRange('2026-11-19', '2026-11-22'), '2026-W47', '2026-11']),
    );
  });

  it('values per department sit beside the overall value', async () => {
    const { store } = await freshStore();
    const config = exampleConfig();
    await ingest(store, config, [
      {
        event: 'Page Viewed',
        userId: 'u1',
        timestamp: '2026-11-20T10:00:00+08:00',
        properties: { department: 'market' },
      },
      {
        event: 'Page Viewed',
        userId: 'u2',
        timestamp: '2026-11-20T10:00:00+08:00',
        properties: { department: 'content' },
      },
      {
        event: 'Order Completed',
        userId: 'u1',
        timestamp: '2026-11-20T10:00:00+08:00',
        properties: { department: 'market' },
      },
    ]);
    await rollupPeriods(['2026-11-20'], '2026-11-22', { store, config, now: NOW });
    const v = await value(store, 'conversion_rate', 'day', '2026-11-20');
    expect(v?.value).toBe(0.5);
    expect(v?.byScope?.market).toMatchObject({ value: 1, status: 'outstanding' });
    expect(v?.byScope?.content).toMatchObject({ value: 0, status: 'missed' });
  });
});

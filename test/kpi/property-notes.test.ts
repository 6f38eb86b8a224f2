// The config declares no event properties, so a property name in a formula that no event has (a typo, or `user` for
// userId) reads as no value without a word: the rollup notes each one with the name the events most likely meant.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { nearestName, parseFormula } from '#shared/formula/formula.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import {
  closestName,
  EVENT_NOTE_MIN_DAYS,
  eventNoteLine,
  PropertyReads,
  propertyNoteLine,
} from '#shared/kpi/property-reads.ts';
import { rollupPeriods } from '#shared/kpi/rollup.ts';
import type { StateStore } from '#shared/store/store.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const NOW = () => Date.parse('2026-11-23T01:00:00+08:00');
let seq = 0;

async function ingest(store: StateStore, config: NightshiftConfig, events: Record<string, unknown>[]) {
  const messages = events.map((e) => ({
    id: `m${++seq}`,
    body: JSON.stringify({ messageId: `pn${seq}`, timestamp: '2026-11-20T10:00:00+08:00', ...e }),
  }));
  const r = await ingestMessages(messages, { store, config, now: NOW });
  expect(r.failed).toEqual([]);
}

function configWith(kpis: unknown[], alerts: Record<string, unknown> = {}): NightshiftConfig {
  const base = exampleConfig() as unknown as Record<string, unknown>;
  return validateConfig({ ...base, kpis, alerts, responsePlans: [], reports: [], checks: {} }, 'test config');
}
const kpi = (id: string, formula: string) => ({ id, name: id, formula, granularities: ['day'] });

describe('rollup notes on properties no event had', () => {
  it('distinct(user of ...) and a sum over a misspelt amount are noted, with the names the events have', async () => {
    const { store } = await freshStore();
    const config = configWith([
      kpi('signups', 'distinct(user of "Signed Up")'),
      kpi('revenue', 'sum("Order Completed".amount)'),
      kpi('shop_views', 'count("Page Viewed" where sectoin == "shop")'),
      kpi('orders', 'count("Order Completed")'),
    ]);
    await ingest(store, config, [
      { event: 'Signed Up', userId: 'u1', properties: { channel: 'ads' } },
      { event: 'Signed Up', userId: 'u2', properties: { channel: 'organic' } },
      { event: 'Order Completed', userId: 'u1', properties: { revenue: 12.5, orderId: 'o1' } },
      { event: 'Page Viewed', userId: 'u1', properties: { section: 'shop' } },
    ]);

    const summary = await rollupPeriods(['2026-11-20'], '2026-11-22', { store, config, now: NOW });

    expect(summary.propertyNotes).toEqual([
      {
        kpis: ['shop_views'],
        term: 'count("Page Viewed" where sectoin == "shop")',
        property: 'sectoin',
        event: 'Page Viewed',
        role: 'filter',
        problem: 'absent',
        events: 1,
        suggestion: 'section',
        names: ['section'],
      },
      {
        kpis: ['signups'],
        term: 'distinct(user of "Signed Up")',
        property: 'user',
        event: 'Signed Up',
        role: 'value',
        problem: 'absent',
        events: 2,
        suggestion: 'userId',
        names: ['channel'],
      },
      {
        kpis: ['revenue'],
        term: 'sum("Order Completed".amount)',
        property: 'amount',
        event: 'Order Completed',
        role: 'value',
        problem: 'absent',
        events: 1,
        names: ['orderId', 'revenue'],
      },
    ]);
    expect(propertyNoteLine(summary.propertyNotes[1]!)).toBe(
      'note: KPI signups: distinct(user of "Signed Up"): no "Signed Up" event read had the property user (2 events); did you mean userId? (names are matched exactly, case included)',
    );
    expect(propertyNoteLine(summary.propertyNotes[2]!)).toBe(
      'note: KPI revenue: sum("Order Completed".amount): no "Order Completed" event read had the property amount (1 event; they had orderId, revenue); check the property name (matched exactly, case included)',
    );
  });

  it('a property some events have is not noted, nor one on events that never came', async () => {
    const { store } = await freshStore();
    const config = configWith([
      kpi('coupons', 'count("Order Completed" where coupon == "XMAS")'),
      kpi('refunds', 'sum("Refund Issued".amount)'),
      kpi('orders', 'count("Order Completed")'),
    ]);
    await ingest(store, config, [
      { event: 'Order Completed', userId: 'u1', properties: { revenue: 10 } },
      { event: 'Order Completed', userId: 'u2', properties: { revenue: 20, coupon: 'XMAS' } },
    ]);

    const summary = await rollupPeriods(['2026-11-20'], '2026-11-22', { store, config, now: NOW });

    expect(summary.propertyNotes).toEqual([]);
  });
});

// Ingest quarantines an event whose amount a formula adds up as text (not_a_number): such values reach a rollup only
// when stored before a KPI summed them, as here (stored under a config that only counts them).
const countingOnly = () =>
  configWith([kpi('orders', 'count("Order Completed")'), kpi('spends', 'count("Marketing Spend")')]);

describe('rollup notes on values a sum skipped as not numbers', () => {
  it('amounts stored as strings before a KPI summed them are counted by type and noted; the numbers beside them are summed', async () => {
    const { store } = await freshStore();
    const config = configWith([
      kpi('revenue', 'sum("Order Completed".revenue)'),
      kpi('basket', 'avg("Order Completed".revenue)'),
      kpi('orders', 'count("Order Completed")'),
    ]);
    await ingest(store, countingOnly(), [
      { event: 'Order Completed', userId: 'u1', properties: { revenue: '12.50' } },
      { event: 'Order Completed', userId: 'u2', properties: { revenue: '7' } },
      { event: 'Order Completed', userId: 'u3', properties: { revenue: 20 } },
      { event: 'Order Completed', userId: 'u4', properties: { revenue: true } },
      { event: 'Order Completed', userId: 'u5', properties: {} },
    ]);

    const summary = await rollupPeriods(['2026-11-20'], '2026-11-22', { store, config, now: NOW });

    const notes = summary.propertyNotes;
    expect(notes).toEqual([
      expect.objectContaining({ kpis: ['basket'], problem: 'not_numeric', events: 5, skipped: 3 }),
      {
        kpis: ['revenue'],
        term: 'sum("Order Completed".revenue)',
        property: 'revenue',
        event: 'Order Completed',
        role: 'value',
        problem: 'not_numeric',
        events: 5,
        skipped: 3,
        types: { string: 2, boolean: 1 },
      },
    ]);
    expect(propertyNoteLine(notes[1]!)).toBe(
      'note: KPI revenue: sum("Order Completed".revenue) skipped 3 of the 5 "Order Completed" events read, whose revenue was not a number (2 strings, 1 boolean); send amounts as JSON numbers (12.5, not "12.50")',
    );
    expect((await readKpiValues(store, 'revenue', 'day', '2026-11-20', '2026-11-20'))[0]?.value).toBe(20);
  });

  it('counts over the days read add up, and a count or distinct of the property is not a numeric read', async () => {
    const { store } = await freshStore();
    const config = configWith([
      kpi('spend', 'sum("Marketing Spend".amount)'),
      kpi('campaigns', 'distinct(campaign of "Marketing Spend")'),
      kpi('big_spends', 'count("Marketing Spend" where amount >= 100)'),
    ]);
    await ingest(store, countingOnly(), [
      { event: 'Marketing Spend', properties: { amount: '520', campaign: 1 }, timestamp: '2026-11-20T10:00:00+08:00' },
      { event: 'Marketing Spend', properties: { amount: 130, campaign: 2 }, timestamp: '2026-11-21T10:00:00+08:00' },
      { event: 'Marketing Spend', properties: { amount: '90.5', campaign: 3 }, timestamp: '2026-11-21T11:00:00+08:00' },
    ]);

    const summary = await rollupPeriods(['2026-11-20', '2026-11-21'], '2026-11-22', { store, config, now: NOW });

    expect(summary.propertyNotes).toEqual([
      expect.objectContaining({ kpis: ['spend'], problem: 'not_numeric', events: 3, skipped: 2, types: { string: 2 } }),
    ]);
  });
});

describe('closestName', () => {
  it.each([
    ['user', ['channel'], 'userId'],
    ['Revenue', ['revenue', 'profit'], 'revenue'],
    ['revnue', ['revenue', 'profit'], 'revenue'],
    ['amount', ['revenue', 'profit'], undefined],
    ['geo.regoin', ['geo'], undefined],
  ])('%s among %j: %s', (property, names, expected) => {
    expect(closestName(property, names)).toBe(expected);
  });
});

describe('rollup notes on event names no event had', () => {
  it('a misspelt event in a formula and in expectedEvents is noted with the name seen it most likely meant', async () => {
    const { store } = await freshStore();
    const config = configWith([kpi('orders', 'count("Order Complted")'), kpi('signups', 'count("Signed Up")')], {
      expectedEvents: [{ event: 'page viewed', maxSilenceHours: 2 }],
    });
    await ingest(store, config, [
      { event: 'Signed Up', userId: 'u1' },
      { event: 'Order Completed', userId: 'u1', properties: { revenue: 3 } },
      { event: 'Page Viewed', userId: 'u1' },
    ]);

    const summary = await rollupPeriods(['2026-11-20'], '2026-11-22', { store, config, now: NOW });

    expect(summary.eventNotes).toEqual([
      {
        event: 'Order Complted',
        kpis: ['orders'],
        terms: ['count("Order Complted")'],
        expected: false,
        days: 1,
        daysWithEvents: 1,
        events: 3,
        suggestion: 'Order Completed',
      },
      {
        event: 'page viewed',
        kpis: [],
        terms: [],
        expected: true,
        days: 1,
        daysWithEvents: 1,
        events: 3,
        suggestion: 'Page Viewed',
      },
    ]);
    expect(eventNoteLine(summary.eventNotes[0]!)).toBe(
      'note: KPI orders: no "Order Complted" event in the 1 day read (3 events of other names); did you mean "Order Completed"? (names are matched exactly, case included); a formula counts no such events',
    );
    expect(eventNoteLine(summary.eventNotes[1]!)).toContain(
      'alerts.expectedEvents: no "page viewed" event in the 1 day read (3 events of other names); did you mean "Page Viewed"?',
    );
  });

  it('says nothing on days with no events at all, and of a name with no look-alike before a week of days with events', () => {
    const kpis = [{ id: 'refunds', formula: parseFormula('count("Refund Issued")') }];
    const empty = new PropertyReads();
    for (let d = 0; d < 10; d++) empty.addEventNames(new Map());
    const short = new PropertyReads();
    const week = new PropertyReads();
    for (let d = 0; d < EVENT_NOTE_MIN_DAYS; d++) {
      short.addEventNames(new Map(d === 0 ? [] : [['Signed Up', 5]]));
      week.addEventNames(new Map([['Signed Up', 5]]));
    }

    expect(empty.eventNotes(kpis)).toEqual([]);
    expect(short.eventNotes(kpis)).toEqual([]);
    expect(week.eventNotes(kpis)).toEqual([
      expect.objectContaining({ event: 'Refund Issued', days: 7, daysWithEvents: 7, events: 35 }),
    ]);
    expect(week.eventNotes(kpis)[0]).not.toHaveProperty('suggestion');
  });
});

describe('nearestName', () => {
  it.each([
    ['Order Complted', ['Order Completed', 'Signed Up'], 'Order Completed'],
    ['page viewed', ['Page Viewed'], 'Page Viewed'],
    ['PageViewed', ['Page Viewed', 'Page Loaded'], 'Page Viewed'],
    ['Refund Issued', ['Signed Up', 'Order Completed'], undefined],
  ])('%s among %j: %s', (wanted, names, expected) => {
    expect(nearestName(wanted, names)).toBe(expected);
  });
});

// The names the counted days have had, kept in one item the rollup reads once: a nightly rollup reads no other day's
// figures, a day read again adds nothing twice, a backfill judges its whole range with hindsight, and figures stored
// before properties were recorded (the 100 most frequent names) are no evidence that a name was absent.
// On the test run's DynamoDB Local.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { parseFormula } from '#shared/formula/formula.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import { backfill, rollupRange } from '#shared/kpi/rollup.ts';
import { NameHistory } from '#shared/kpi/unread-names.ts';
import type { QueryOptions, StateStore } from '#shared/store/store.ts';
import { addDays, dateRange } from '#shared/time/calendar.ts';
import { freshArchive } from '../support/archive.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

function shopConfig(refunds = 'Refund Issued'): NightshiftConfig {
  const kpi = (id: string, formula: string, target: Record<string, unknown>) => ({
    id,
    name: id,
    formula,
    target,
    granularities: ['day'],
  });
  return validateConfig(
    {
      ...(exampleConfig() as unknown as Record<string, unknown>),
      kpis: [
        kpi('refund_rate', `count("${refunds}") / count("Order Completed")`, { max: 0.02 }),
        kpi('coupon_orders', 'count("Order Completed" where coupon == "BF")', { max: 100 }),
      ],
      alerts: { rules: [] },
      responsePlans: [],
      reports: [],
      checks: {},
    },
    'test config',
  );
}

/** 10 orders a day, `screens` other event names twice a day, one refund and one coupon order on the days given. */
async function ingestShop(
  store: StateStore,
  config: NightshiftConfig,
  now: () => number,
  days: { from: string; to: string; refund: string; coupon?: string; screens?: number },
): Promise<void> {
  const events: Record<string, unknown>[] = [];
  for (const day of dateRange(days.from, days.to)) {
    for (let i = 0; i < 10; i++) {
      const coupon = day === days.coupon && i === 0 ? { coupon: 'BF' } : {};
      events.push({
        messageId: `${day}-o${i}`,
        event: 'Order Completed',
        userId: `u${i}`,
        timestamp: `${day}T10:0${i}:00+08:00`,
        properties: { revenue: 20, ...coupon },
      });
    }
    for (let n = 0; n < (days.screens ?? 0); n++) {
      for (let j = 0; j < 2; j++) {
        events.push({
          messageId: `${day}-s${n}-${j}`,
          event: `Screen ${n}`,
          userId: 'u1',
          timestamp: `${day}T11:00:00+08:00`,
        });
      }
    }
  }
  events.push({
    messageId: 'refund',
    event: 'Refund Issued',
    userId: 'u1',
    timestamp: `${days.refund}T12:00:00+08:00`,
  });
  const r = await ingestMessages(
    events.map((e, i) => ({ id: `m${i}`, body: JSON.stringify(e) })),
    { store, config, now },
  );
  expect(r.failed).toEqual([]);
}

/** The store, recording every query of the day figures' partition. */
function watched(store: StateStore): { store: StateStore; figureQueries: QueryOptions[] } {
  const figureQueries: QueryOptions[] = [];
  const query: StateStore['query'] = (table, pk, options) => {
    if (pk === 'FIGURES#day') figureQueries.push(options ?? {});
    return store.query(table, pk, options);
  };
  const spied = new Proxy(store, {
    get: (target, key) => (key === 'query' ? query : Reflect.get(target, key, target).bind?.(target)),
  });
  return { store: spied, figureQueries };
}

const nameItem = async (store: StateStore) => {
  for await (const item of store.query('state', 'FIGURES#day', { from: '~names', to: '~names' })) return item;
  return undefined;
};

const outcome = async (store: StateStore, kpi: string, from: string, to: string) =>
  (await readKpiValues(store, kpi, 'day', from, to)).map((v) => [v.period, v.value, v.status, v.unread?.length ?? 0]);

describe('the names the counted days have had, in one item', () => {
  const config = shopConfig();
  const now = () => Date.parse('2026-11-20T09:00:00+08:00');

  it('a nightly rollup reads that item and the days it reads, never every day counted', async () => {
    const fresh = await freshStore('names-nightly');
    await ingestShop(fresh.store, config, now, { from: '2026-11-01', to: '2026-11-19', refund: '2026-11-03' });
    await rollupRange({ from: '2026-11-01', to: '2026-11-18' }, { store: fresh.store, config, now });
    const { store, figureQueries } = watched(fresh.store);

    await rollupRange({ from: '2026-11-19', to: '2026-11-19' }, { store, config, now });

    const wide = figureQueries.filter((q) => q.from === '0000-01-01');
    expect(wide).toEqual([]);
    expect(figureQueries).toContainEqual({ from: '~names', to: '~names' });
    // The refund of the 3rd, a day the nightly did not read, is still known: the rate is judged, not no data.
    expect(await outcome(store, 'refund_rate', '2026-11-19', '2026-11-19')).toEqual([
      ['2026-11-19', 0, 'outstanding', 0],
    ]);
  });

  it('a data folder from before the item: built once from every day counted, then read alone', async () => {
    const { store: plain } = await freshStore('names-migrate');
    await ingestShop(plain, config, now, { from: '2026-11-01', to: '2026-11-19', refund: '2026-11-03' });
    await rollupRange({ from: '2026-11-01', to: '2026-11-18' }, { store: plain, config, now });
    await plain.delete('state', 'FIGURES#day', '~names');
    const { store, figureQueries } = watched(plain);

    await rollupRange({ from: '2026-11-19', to: '2026-11-19' }, { store, config, now });
    const first = figureQueries.splice(0);
    await rollupRange({ from: '2026-11-19', to: '2026-11-19' }, { store, config, now });

    expect(first).toContainEqual({ from: '0000-01-01', to: '9999-12-31' });
    expect(figureQueries.filter((q) => q.from === '0000-01-01')).toEqual([]);
    expect(await outcome(store, 'refund_rate', '2026-11-19', '2026-11-19')).toEqual([
      ['2026-11-19', 0, 'outstanding', 0],
    ]);
  });

  it('rolling up days again leaves the item as it was', async () => {
    const { store } = await freshStore('names-again');
    await ingestShop(store, config, now, { from: '2026-11-01', to: '2026-11-19', refund: '2026-11-03' });
    await rollupRange({ from: '2026-11-01', to: '2026-11-19' }, { store, config, now });
    const once = await nameItem(store);

    await rollupRange({ from: '2026-11-10', to: '2026-11-19' }, { store, config, now });
    await rollupRange({ from: '2026-11-01', to: '2026-11-19' }, { store, config, now });

    expect(await nameItem(store)).toEqual(once);
    expect(once?.history).toMatchObject({ eventDays: { from: '2026-11-01' } });
  });
});

describe('figures stored before properties were recorded', () => {
  const config = shopConfig();
  const now = () => Date.parse('2026-11-20T09:00:00+08:00');

  it('are no evidence that a rare event or an optional property was absent: the nightly after the upgrade judges them', async () => {
    const { store } = await freshStore('names-upgrade');
    // 120 other names a day: the previous version kept the 100 most frequent, without the refund of the 3rd.
    const shop = { from: '2026-11-01', to: '2026-11-19', refund: '2026-11-03', coupon: '2026-11-04', screens: 120 };
    await ingestShop(store, config, now, shop);
    await rollupRange({ from: '2026-11-01', to: '2026-11-18' }, { store, config, now });
    for await (const item of store.query('state', 'FIGURES#day', { to: '9999-12-31' })) {
      const names = Object.entries(item.eventNames as Record<string, number>)
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
        .slice(0, 100);
      const { properties: _properties, ...old } = item;
      await store.put('state', { ...old, eventNames: Object.fromEntries(names) });
    }
    await store.delete('state', 'FIGURES#day', '~names');

    await rollupRange({ from: '2026-11-19', to: '2026-11-19' }, { store, config, now });

    expect(await outcome(store, 'refund_rate', '2026-11-19', '2026-11-19')).toEqual([
      ['2026-11-19', 0, 'outstanding', 0],
    ]);
    expect(await outcome(store, 'coupon_orders', '2026-11-19', '2026-11-19')).toEqual([
      ['2026-11-19', 0, 'outstanding', 0],
    ]);
  });

  test.prop([fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }), fc.nat(30)], { numRuns: 100 })(
    'old days count toward no day with events, and the names they hold count as seen',
    (oldDays, newDays) => {
      const day = (k: number) => addDays('2026-10-01', k);
      const old = oldDays.map((k) => ({ day: day(k), events: 5, eventNames: { 'Refund Issued': 1, Orders: 4 } }));
      const fresh = Array.from({ length: newDays }, (_, k) => ({
        day: day(50 + k),
        events: 5,
        eventNames: { Orders: 5 },
        properties: [],
      }));
      const history = new NameHistory([...old, ...fresh]);
      const read = (name: string) => history.unread(parseFormula(`count("${name}")`));

      expect(history.toStored().eventDays === undefined).toBe(newDays === 0);
      if (oldDays.length > 0) expect(read('Refund Issued')).toEqual([]);
      if (oldDays.length === 0 && newDays >= 7) expect(read('Refund Issued').map((u) => u.days)).toEqual([newDays]);
    },
  );
});

describe('adding a day again adds nothing', () => {
  const dayFigures = fc.record({
    day: fc.integer({ min: 0, max: 1200 }).map((k) => addDays('2024-01-01', k)),
    names: fc.subarray(['Order Completed', 'Refund Issued', 'Page Viewed', 'Signed Up']),
    present: fc.boolean(),
  });
  const figures = (f: { day: string; names: string[]; present: boolean }) => ({
    day: f.day,
    events: f.names.length,
    eventNames: Object.fromEntries(f.names.map((n) => [n, 1])),
    properties: [
      { event: 'Order Completed', property: 'revenue', events: 1, present: f.present, names: ['price', 'total'] },
    ],
  });

  test.prop([fc.array(dayFigures, { minLength: 1, maxLength: 40 }), fc.nat()], { numRuns: 200 })(
    'in any order, twice or through the stored item: the same history, its days the distinct days',
    (days, seed) => {
      const all = days.map(figures);
      const shuffled = [...all, ...all].sort(
        (a, b) => ((a.day.charCodeAt(9) + seed) % 7) - ((b.day.charCodeAt(9) + seed) % 7),
      );
      const once = new NameHistory(all).toStored();
      const half = NameHistory.fromStored(new NameHistory(shuffled.slice(0, all.length)).toStored());
      for (const f of shuffled.slice(all.length)) half.add(f);

      expect(new NameHistory(shuffled).toStored()).toEqual(once);
      expect(half.toStored()).toEqual(once);
      const withEvents = new Set(all.filter((f) => f.events > 0).map((f) => f.day));
      const absent = new NameHistory([...all, ...all]).unread(parseFormula('count("Refund Isued")'));
      if (absent.length > 0) expect(absent[0]!.days).toBe(withEvents.size);
    },
  );
});

describe('a backfill judges its range with hindsight', () => {
  it('a name first seen in a later month leaves no month before it as no data, and a second run changes nothing', async () => {
    const config = shopConfig();
    const now = () => Date.parse('2026-11-09T09:00:00+08:00');
    const { store } = await freshStore('names-backfill');
    const archive = await freshArchive('names-backfill');
    await ingestShop(store, config, now, {
      from: '2026-10-24',
      to: '2026-11-08',
      refund: '2026-11-03',
      coupon: '2026-11-05',
    });

    const first = await backfill({ store, config, now, archive }, { from: '2026-10-24' });
    const once = await outcome(store, 'refund_rate', '2026-10-24', '2026-11-08');
    await backfill({ store, config, now, archive }, { from: '2026-10-24' });

    expect(once.find(([day]) => day === '2026-10-30')).toEqual(['2026-10-30', 0, 'outstanding', 0]);
    expect(once.filter(([, , , unread]) => unread !== 0)).toEqual([]);
    expect((await outcome(store, 'coupon_orders', '2026-10-24', '2026-11-08')).filter(([, , , u]) => u !== 0)).toEqual(
      [],
    );
    expect(first.unread).toEqual([]);
    expect(await outcome(store, 'refund_rate', '2026-10-24', '2026-11-08')).toEqual(once);
  });

  it('a formula fixed in the config: the backfill recomputes the past, the slip read no data before', async () => {
    const now = () => Date.parse('2026-11-09T09:00:00+08:00');
    const { store } = await freshStore('names-fixed');
    const archive = await freshArchive('names-fixed');
    const config = shopConfig();
    await ingestShop(store, config, now, {
      from: '2026-10-24',
      to: '2026-11-08',
      refund: '2026-11-03',
      coupon: '2026-11-05',
    });
    await rollupRange({ from: '2026-10-24', to: '2026-11-08' }, { store, config: shopConfig('Refund Isued'), now });
    const slipped = await outcome(store, 'refund_rate', '2026-10-24', '2026-11-08');

    const fixed = await backfill({ store, config, now, archive }, { from: '2026-10-24' });

    expect(slipped.every(([, value, status, unread]) => value === null && status === 'no_value' && unread === 1)).toBe(
      true,
    );
    expect(fixed.unread).toEqual([]);
    expect((await outcome(store, 'refund_rate', '2026-10-24', '2026-11-08')).filter(([, , , u]) => u !== 0)).toEqual(
      [],
    );
  });

  it('a name no later month had either: the first month, too short to tell alone, is no data like the rest', async () => {
    const now = () => Date.parse('2026-11-09T09:00:00+08:00');
    const { store } = await freshStore('names-late-slip');
    const archive = await freshArchive('names-late-slip');
    const config = shopConfig('Refunds Granted');
    const shop = { from: '2026-10-29', to: '2026-11-08', refund: '2026-11-03', coupon: '2026-11-05' };
    await ingestShop(store, config, now, shop);

    const s = await backfill({ store, config, now, archive }, { from: '2026-10-29' });

    const values = await outcome(store, 'refund_rate', '2026-10-29', '2026-11-08');
    expect(values.filter(([, , status]) => status !== 'no_value')).toEqual([]);
    expect(s.unread.map((u) => [u.kpi, u.names.map((n) => [n.event, n.days])])).toEqual([
      ['refund_rate', [['Refunds Granted', 11]]],
    ]);
  });
});

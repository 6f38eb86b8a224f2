// The rollup `nightshift rollup` runs (rollupRange, shared with the nightly job): it counts late events into their
// day as the ingest message promises, keeps a day and its week and month in agreement, never takes days out of a week
// when an older day is recomputed, and survives being cut short anywhere. A shop in Asia/Shanghai; week 2026-W48 is
// Mon 23 .. Sun 29 Nov 2026.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { dirtyDays } from '#shared/events/events-store.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { readKpiValues, type StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { nightlyRollup, rollupPeriods, rollupRange } from '#shared/kpi/rollup.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dateRange, type Granularity, type LocalDate, zonedInstant } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { killedAfter } from '../support/killable.ts';

const TZ = 'Asia/Shanghai';
const at = (day: LocalDate, time: string) => zonedInstant(day, time, TZ);

const config: NightshiftConfig = (() => {
  const base = exampleConfig() as unknown as Record<string, unknown>;
  return validateConfig(
    {
      ...base,
      timeZone: TZ,
      kpis: [
        { id: 'orders', name: 'Orders', formula: 'count("Order Completed")' },
        { id: 'buyers', name: 'Buyers', formula: 'distinct(userId of "Order Completed")' },
        { id: 'retention', name: 'Next-day retention', formula: 'retention("Signed Up" -> any, 1 day)' },
      ],
      alerts: {},
      responsePlans: [],
      reports: [],
      checks: {},
    },
    'test config',
  );
})();

type Ev = { event: string; userId: string; timestamp: string };
let seq = 0;

async function ingest(store: StateStore, events: Ev[], now: number, cfg = config): Promise<string[]> {
  const messages = events.map((e) => ({ id: `m${++seq}`, body: JSON.stringify({ messageId: `e${seq}`, ...e }) }));
  const r = await ingestMessages(messages, { store, config: cfg, now: () => now });
  expect(r.failed).toEqual([]);
  return r.lateDays;
}

/** `n` orders on the day from buyers b0..b(n-1) (the same buyers every day), and a sign-up who returns next day. */
function orders(day: LocalDate, n: number, hour = 10): Ev[] {
  const ts = `${day}T${String(hour).padStart(2, '0')}:00:00+08:00`;
  return [
    ...Array.from({ length: n }, (_, i) => ({ event: 'Order Completed', userId: `b${i}`, timestamp: ts })),
    { event: 'Signed Up', userId: `new-${day}`, timestamp: ts },
  ];
}
const LATE: Ev[] = Array.from({ length: 3 }, (_, i) => ({
  event: 'Order Completed',
  userId: `late${i}`,
  timestamp: '2026-11-27T21:00:00+08:00',
}));

const LATE_26: Ev[] = [{ event: 'Order Completed', userId: 'late-26', timestamp: '2026-11-26T21:00:00+08:00' }];

const value = async (store: StateStore, kpi: string, g: Granularity, period: string) =>
  (await readKpiValues(store, kpi, g, period, period))[0];

/** Every stored value of W48's days, W48 and November, without when it was computed. */
async function stored(store: StateStore): Promise<Omit<StoredKpiValue, 'computedAt'>[]> {
  const out: Omit<StoredKpiValue, 'computedAt'>[] = [];
  for (const kpi of config.kpis) {
    for (const [g, from, to] of [
      ['day', '2026-11-23', '2026-11-29'],
      ['week', '2026-W48', '2026-W48'],
      ['month', '2026-11', '2026-11'],
    ] as const) {
      for (const { computedAt: _c, ...v } of await readKpiValues(store, kpi.id, g, from, to)) out.push(v);
    }
  }
  return out;
}

/**
 * Mon 23 .. Fri 27 Nov loaded and rolled up on the night of the 27th; on the 28th three orders of the 27th arrive
 * late (and are marked), and the 28th's own orders arrive.
 */
async function lateArrivals(label: string): Promise<StateStore> {
  const { store } = await freshStore(label);
  const days = dateRange('2026-11-23', '2026-11-27');
  await ingest(
    store,
    days.flatMap((d) => orders(d, 4)),
    at('2026-11-28', '00:10'),
  );
  await rollupRange({ from: '2026-11-27', to: '2026-11-27' }, { store, config, now: () => at('2026-11-28', '00:30') });
  expect(await ingest(store, LATE, at('2026-11-28', '10:00'))).toEqual(['2026-11-27']);
  await ingest(store, orders('2026-11-28', 5), at('2026-11-28', '18:00'));
  return store;
}

describe('nightshift rollup after late events', () => {
  it("counts late events into their day, whose value then agrees with its week's and month's", async () => {
    const store = await lateArrivals('late-plain');

    // A plain `nightshift rollup` on the 29th: yesterday is the 28th.
    const summary = await rollupRange(
      { from: '2026-11-28', to: '2026-11-28' },
      { store, config, now: () => at('2026-11-29', '00:30') },
    );

    expect((await value(store, 'orders', 'day', '2026-11-27'))?.value).toBe(4 + 3);
    expect((await value(store, 'orders', 'week', '2026-W48'))?.value).toBe(5 * 4 + 3 + 5);
    expect((await value(store, 'orders', 'month', '2026-11'))?.value).toBe(5 * 4 + 3 + 5);
    expect((await value(store, 'buyers', 'day', '2026-11-27'))?.value).toBe(4 + 3);
    expect(await dirtyDays(store)).toEqual([]);
    expect(summary.lateDays).toEqual(['2026-11-27']);
  });

  it('reads only yesterday and the marked day, and stores what reading every day of the month again stores', async () => {
    const store = await lateArrivals('late-merged');
    const reference = await lateArrivals('late-reread');
    const now = () => at('2026-11-29', '00:30');

    const summary = await rollupRange({ from: '2026-11-28', to: '2026-11-28' }, { store, config, now });
    // The same periods, every day they need read again from the raw events (what the local rollup did).
    await rollupPeriods(summary.periods, '2026-11-28', { store: reference, config, now });

    expect(summary.daysRead).toBe(2);
    expect(summary.eventsRead).toBe(4 + 1 + 3 + 5 + 1);
    // Buyers b0..b3 order every day: a week's distinct buyers are not the sum of its days'.
    expect((await value(store, 'buyers', 'week', '2026-W48'))?.value).toBe(5 + 3);
    expect(await stored(store)).toEqual(await stored(reference));
  });
});

describe('nightshift rollup of an older day', () => {
  it('leaves its week and month as complete as the nightly rollup left them', async () => {
    const store = await lateArrivals('older-day');
    await rollupRange(
      { from: '2026-11-28', to: '2026-11-28' },
      { store, config, now: () => at('2026-11-29', '00:30') },
    );
    const week = await value(store, 'orders', 'week', '2026-W48');
    const month = await value(store, 'orders', 'month', '2026-11');

    // The 27th recomputed by hand on the 29th, after the nightly rollup counted the 28th.
    const summary = await rollupRange(
      { from: '2026-11-27', to: '2026-11-27' },
      { store, config, now: () => at('2026-11-29', '10:00') },
    );

    expect(summary.asOf).toBe('2026-11-28');
    expect(await value(store, 'orders', 'week', '2026-W48')).toMatchObject({
      value: week?.value,
      days: 6,
      asOf: '2026-11-28',
    });
    expect(await value(store, 'orders', 'month', '2026-11')).toMatchObject({ value: month?.value, days: 28 });
    // The 27th's next-day retention stays known: its return day, the 28th, is still counted.
    expect(await value(store, 'retention', 'day', '2026-11-27')).toMatchObject({ value: 0, complete: true });
    expect(summary.daysRead).toBe(1);
  });

  it('is rolled up as of its own last day when its week was never rolled up further', async () => {
    const { store } = await freshStore('older-first');
    await ingest(
      store,
      dateRange('2026-11-23', '2026-11-28').flatMap((d) => orders(d, 4)),
      at('2026-11-29', '00:10'),
    );

    const summary = await rollupRange(
      { from: '2026-11-25', to: '2026-11-25' },
      { store, config, now: () => at('2026-11-29', '10:00') },
    );

    expect(summary.asOf).toBe('2026-11-25');
    expect(await value(store, 'orders', 'week', '2026-W48')).toMatchObject({ value: 3 * 4, days: 3 });
    // The 28th, never counted by this rollup, keeps its mark for the nightly one.
    expect((await dirtyDays(store)).map((d) => d.day)).toEqual(['2026-11-26', '2026-11-27', '2026-11-28']);
  });
});

describe('nightshift rollup of an older day, with day granularities only', () => {
  const dayOnly = validateConfig(
    { ...config, kpis: config.kpis.map((k) => ({ ...k, granularities: ['day'] })) },
    'day-only config',
  );

  /**
   * Mon 23 .. Sat 28 Nov as they happen: each day's events arrive that day (the day before's sign-up returns) and
   * the nightly rollup counts the day after midnight, up to the night of the 28th.
   */
  async function nightlyThrough28th(label: string): Promise<StateStore> {
    const { store } = await freshStore(label);
    for (const day of dateRange('2026-11-23', '2026-11-28')) {
      const returning = { event: 'Page Viewed', userId: `new-${addDays(day, -1)}`, timestamp: `${day}T12:00:00+08:00` };
      await ingest(store, [...orders(day, 4), returning], at(day, '18:00'), dayOnly);
      await nightlyRollup({ store, config: dayOnly, now: () => at(addDays(day, 1), '00:30') });
    }
    return store;
  }

  it("keeps a day's next-day retention known once its return day was counted", async () => {
    const store = await nightlyThrough28th('day-only-older');
    expect(await value(store, 'retention', 'day', '2026-11-25')).toMatchObject({ value: 1, complete: true });

    const summary = await rollupRange(
      { from: '2026-11-25', to: '2026-11-25' },
      { store, config: dayOnly, now: () => at('2026-11-29', '10:00') },
    );

    expect(await value(store, 'retention', 'day', '2026-11-25')).toMatchObject({
      value: 1,
      complete: true,
      pending: false,
    });
    expect(summary.asOf).toBe('2026-11-28');
    expect(summary.daysRead).toBe(1);
  });

  it('counts a day marked for late events as of the latest day counted, its retention still known', async () => {
    const store = await nightlyThrough28th('day-only-late');
    await ingest(store, LATE_26, at('2026-11-29', '09:00'), dayOnly);

    const summary = await rollupRange(
      { from: '2026-11-25', to: '2026-11-25' },
      { store, config: dayOnly, now: () => at('2026-11-29', '10:00') },
    );

    expect(summary.lateDays).toEqual(['2026-11-26']);
    expect((await value(store, 'orders', 'day', '2026-11-26'))?.value).toBe(4 + 1);
    expect(await value(store, 'retention', 'day', '2026-11-26')).toMatchObject({ value: 1, complete: true });
  });
});

describe('a rollup cut short', () => {
  it('anywhere from reading the marked day to clearing its mark, run again, leaves what a clean run leaves', {
    timeout: 300_000,
  }, async () => {
    const now = () => at('2026-11-29', '00:30');
    const clean = await lateArrivals('cut-clean');
    const counting = failingAfter(clean, Number.POSITIVE_INFINITY);
    await rollupRange({ from: '2026-11-28', to: '2026-11-28' }, { store: counting.store, config, now });
    const writes = counting.writes();
    const want = await stored(clean);
    expect(await dirtyDays(clean)).toEqual([]);
    // Two days' summaries (chunks, head), the names seen, the values, the day figures, the mark.
    expect(writes).toBe(8);

    for (let n = 0; n < writes; n++) {
      for (const how of ['killed after the write landed', 'the write threw'] as const) {
        const crashed = await lateArrivals('cut-crash');
        if (how === 'the write threw') {
          await expect(
            rollupRange(
              { from: '2026-11-28', to: '2026-11-28' },
              { store: failingAfter(crashed, n).store, config, now },
            ),
          ).rejects.toThrow('write refused');
        } else {
          const k = killedAfter(crashed, n, true);
          const run = rollupRange({ from: '2026-11-28', to: '2026-11-28' }, { store: k.store, config, now });
          await Promise.race([run, k.killed]);
        }
        await rollupRange(
          { from: '2026-11-28', to: '2026-11-28' },
          { store: crashed, config, now: () => now() + 600_000 },
        );

        expect({ n, how, values: await stored(crashed) }).toEqual({ n, how, values: want });
        expect(await dirtyDays(crashed)).toEqual([]);
      }
    }
  });
});

/** A store whose writes after the first `writes` throw (a Lambda that errors and is retried), and its write count. */
function failingAfter(store: StateStore, writes: number): { store: StateStore; writes: () => number } {
  let n = 0;
  const write = <T>(run: () => Promise<T>): Promise<T> =>
    n++ < writes ? run() : Promise.reject(new Error('write refused'));
  return {
    store: {
      ...store,
      put: (...a) => write(() => store.put(...a)),
      putMany: (...a) => write(() => store.putMany(...a)),
      delete: (...a) => write(() => store.delete(...a)),
      increment: (...a) => write(() => store.increment(...a)),
    },
    writes: () => n,
  };
}

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { ObjectArchive } from '#shared/archive/archive.ts';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { forEachArchivedEvent } from '#shared/events/day-archive.ts';
import { dirtyDays } from '#shared/events/events-store.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { eventPartition } from '#shared/events/keys.ts';
import { readKpiValues, type StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { backfill, nightlyRollup, periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import { collect, type StateStore } from '#shared/store/store.ts';
import { addDays, dateRange, type Granularity, periodOf } from '#shared/time/calendar.ts';
import { freshArchive } from '../support/archive.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

type Ev = { event: string; userId?: string; timestamp: string; properties?: Record<string, unknown> };
let seq = 0;

async function ingest(store: StateStore, config: NightshiftConfig, events: Ev[], now: number): Promise<string[]> {
  const messages = events.map((e) => ({
    id: `m${++seq}`,
    body: JSON.stringify({ messageId: `e${seq}`, properties: {}, ...e }),
  }));
  const r = await ingestMessages(messages, { store, config, now: () => now });
  expect(r.failed).toEqual([]);
  return r.lateDays;
}

/** A small shop's days: sign-ups, visits, orders in two departments, spend and survey answers. */
function shopDay(day: string, n: number): Ev[] {
  const at = (h: number) => `${day}T${String(h).padStart(2, '0')}:00:00+08:00`;
  const out: Ev[] = [];
  for (let i = 0; i < n; i++) {
    const user = `u${(i * 7 + day.charCodeAt(9)) % 11}`;
    out.push({ event: 'Page Viewed', userId: user, timestamp: at(8 + (i % 12)), properties: { section: 'shop' } });
    if (i % 3 === 0) out.push({ event: 'Signed Up', userId: `new-${day}-${i}`, timestamp: at(9) });
    if (i % 4 === 1) {
      out.push({
        event: 'Order Completed',
        userId: user,
        timestamp: at(10 + (i % 5)),
        properties: { profit: 0.1 * (i + 1), revenue: 3.3 * i, department: i % 2 ? 'market' : 'content' },
      });
    }
    if (i % 5 === 2)
      out.push({ event: 'Survey Answered', userId: user, timestamp: at(20), properties: { score: i % 11 } });
  }
  out.push({ event: 'Marketing Spend', timestamp: at(23), properties: { amount: 0.7, department: 'market' } });
  return out;
}

const GRANULARITIES: Granularity[] = ['day', 'week', 'month'];

/** Every stored KPI value touching the days, without when it was computed. */
async function storedValues(store: StateStore, config: NightshiftConfig, days: string[]): Promise<StoredKpiValue[]> {
  const out: StoredKpiValue[] = [];
  for (const kpi of config.kpis) {
    for (const g of GRANULARITIES) {
      const from = periodOf(days[0]!, g);
      const to = periodOf(days.at(-1)!, g);
      for (const v of await readKpiValues(store, kpi.id, g, from, to)) {
        // When it was computed, and the last day it had then: a later rollup of a finished period changes neither.
        const { computedAt: _c, asOf: _a, ...rest } = v;
        out.push(rest as StoredKpiValue);
      }
    }
  }
  return out;
}

async function summaryHeads(store: StateStore, days: string[]): Promise<Map<string, unknown>> {
  return new Map(
    await Promise.all(days.map(async (d) => [d, (await store.get('state', `DAYSUM#${d}`, 'head'))?.hash] as const)),
  );
}

async function archivedIds(archive: ObjectArchive, day: string): Promise<string[]> {
  const ids: string[] = [];
  await forEachArchivedEvent(archive, day, (e) => ids.push(e.messageId));
  return ids.sort();
}

/** What TTL does to a day's events in DynamoDB once they are past the hot window. */
async function expireEvents(store: StateStore, config: NightshiftConfig, days: string[]): Promise<void> {
  for (const day of days) {
    for (let shard = 0; shard < config.ingest.shardsPerDay; shard++) {
      for (const item of await collect(store.query('events', eventPartition(day, shard)))) {
        await store.delete('events', item.pk, item.sk);
      }
    }
  }
}

describe('day summaries, late events and the archive', () => {
  it('a late event recomputes only its own day: one summary rewritten, its week and month merged again', async () => {
    const { store } = await freshStore('late');
    const archive = await freshArchive('late');
    const config = exampleConfig();
    const days = dateRange('2026-11-02', '2026-11-22');
    const night1 = Date.parse('2026-11-23T00:30:00+08:00');
    // Three weeks loaded at once: each earlier day is marked, and the first night reads them all.
    await ingest(
      store,
      config,
      days.flatMap((d) => shopDay(d, 6)),
      night1 - 3_600_000,
    );
    expect((await nightlyRollup({ store, config, now: () => night1, archive })).daysRead).toBeGreaterThan(days.length);
    const before = await summaryHeads(store, days);
    const month = (await readKpiValues(store, 'new_users', 'month', '2026-11', '2026-11'))[0]!;

    // An app that was offline sends a sign-up of the 10th on the 23rd.
    const late = await ingest(
      store,
      config,
      [{ event: 'Signed Up', userId: 'late-user', timestamp: '2026-11-10T20:00:00+08:00' }],
      Date.parse('2026-11-23T15:00:00+08:00'),
    );
    expect(late).toEqual(['2026-11-10']);
    const night2 = Date.parse('2026-11-24T00:30:00+08:00');
    const summary = await nightlyRollup({ store, config, now: () => night2, archive });

    // Read: the 10th and yesterday (the 23rd), nothing else; merged: every day of the periods around them.
    expect(summary.daysRead).toBe(2);
    expect(summary.eventsRead).toBe(shopDay('2026-11-10', 6).length + 1);
    const after = await summaryHeads(store, days);
    for (const day of days) {
      if (day === '2026-11-10') expect(after.get(day)).not.toEqual(before.get(day));
      else expect(after.get(day)).toEqual(before.get(day));
    }
    expect((await readKpiValues(store, 'new_users', 'month', '2026-11', '2026-11'))[0]?.value).toBe(month.value! + 1);
    expect((await readKpiValues(store, 'new_users', 'week', '2026-W46', '2026-W46'))[0]?.inputs).toMatchObject({
      'distinct(userId of "Signed Up")': expect.any(Number),
    });
    expect(await archivedIds(archive, '2026-11-10')).toHaveLength(shopDay('2026-11-10', 6).length + 1);
    expect(await dirtyDays(store)).toEqual([]);
  });

  it('a late event for a day whose events left DynamoDB is counted with the archived rest of its day, once', async () => {
    const { store } = await freshStore('cold');
    const archive = await freshArchive('cold');
    const config = exampleConfig();
    const day = '2026-10-05';
    const night1 = Date.parse('2026-10-06T00:30:00+08:00');
    const again = { messageId: 'e-again', event: 'Page Viewed', userId: 'u1', timestamp: `${day}T08:00:00+08:00` };
    await ingestMessages([{ id: 'a', body: JSON.stringify(again) }], { store, config, now: () => night1 - 1 });
    await ingest(store, config, shopDay(day, 8), night1 - 3_600_000);
    await nightlyRollup({ store, config, now: () => night1, archive });
    const dau = (await readKpiValues(store, 'dau', 'day', day, day))[0]!.value!;
    const archived = await archivedIds(archive, day);
    await expireEvents(store, config, [day]);

    // Weeks later, when TTL has taken the day from DynamoDB: a new visitor's event, and a redelivery of one archived.
    const arrival = Date.parse('2026-11-20T12:00:00+08:00');
    await ingest(
      store,
      config,
      [{ event: 'Page Viewed', userId: 'visitor', timestamp: `${day}T09:00:00+08:00` }],
      arrival,
    );
    await ingestMessages([{ id: 'b', body: JSON.stringify(again) }], { store, config, now: () => arrival });
    const summary = await nightlyRollup({ store, config, now: () => Date.parse('2026-11-21T00:30:00+08:00'), archive });

    expect(summary.lateDays).toEqual([day]);
    expect((await readKpiValues(store, 'dau', 'day', day, day))[0]?.value).toBe(dau + 1);
    expect(await archivedIds(archive, day)).toHaveLength(archived.length + 1);
  });

  it('backfill from the archive, after the events left DynamoDB, stores what the nightly rollups stored', async () => {
    const { store } = await freshStore('backfill');
    const archive = await freshArchive('backfill');
    const config = exampleConfig();
    const days = dateRange('2026-10-26', '2026-11-04');
    let now = 0;
    for (const day of days) {
      now = Date.parse(`${addDays(day, 1)}T00:30:00+08:00`);
      await ingest(store, config, shopDay(day, 5 + (day.charCodeAt(9) % 4)), now - 7_200_000);
      await nightlyRollup({ store, config, now: () => now, archive });
    }
    const original = await storedValues(store, config, days);
    expect(original.length).toBeGreaterThan(50);

    await expireEvents(store, config, days);
    for (const day of days) await store.delete('state', `DAYSUM#${day}`, 'head');
    const result = await backfill({ store, config, now: () => now, archive }, { from: days[0]!, kpis: ['roi'] });

    expect(result).toMatchObject({ from: days[0], to: days.at(-1), kpis: ['roi'] });
    expect(result.daysRead).toBeGreaterThanOrEqual(days.length);
    expect(await storedValues(store, config, days)).toEqual(original);
  });

  it('a KPI added later is backfilled from the archive to the values a rollup of the raw events gives', async () => {
    const { store } = await freshStore('new-kpi');
    const archive = await freshArchive('new-kpi');
    const base = exampleConfig();
    const days = dateRange('2026-11-16', '2026-11-22');
    const events = days.flatMap((d) => shopDay(d, 7));
    const now = Date.parse('2026-11-23T00:30:00+08:00');
    await ingest(store, base, events, now - 3_600_000);
    await rollupPeriods(periodsForDays(days, base), '2026-11-22', { store, config: base, now: () => now, archive });
    await expireEvents(store, base, days);

    const added = {
      id: 'content_orders',
      name: 'Content orders',
      formula: 'count("Order Completed" where department == "content") / sum("Order Completed".profit)',
    };
    const config = validateConfig(
      { ...(base as unknown as Record<string, unknown>), kpis: [...base.kpis, added] },
      'test',
    );
    await backfill({ store, config, now: () => now, archive }, { from: days[0]!, kpis: ['content_orders'] });

    // The same events rolled up from DynamoDB with the KPI there from the start.
    const reference = (await freshStore('new-kpi-ref')).store;
    await ingest(reference, config, events, now - 3_600_000);
    await rollupPeriods(periodsForDays(days, config), '2026-11-22', { store: reference, config, now: () => now });
    for (const g of GRANULARITIES) {
      const period = periodOf(days[0]!, g);
      const [got] = await readKpiValues(store, 'content_orders', g, period, period);
      const [want] = await readKpiValues(reference, 'content_orders', g, period, period);
      expect(got?.value).not.toBeNull();
      expect({ ...got, computedAt: '' }).toEqual({ ...want, computedAt: '' });
    }
  });

  it('backfill names an unknown KPI and a start after the last ended day', async () => {
    const { store } = await freshStore('backfill-errors');
    const archive = await freshArchive('backfill-errors');
    const config = exampleConfig();
    const now = () => Date.parse('2026-11-23T00:30:00+08:00');
    await expect(backfill({ store, config, now, archive }, { from: '2026-11-01', kpis: ['nope'] })).rejects.toThrow(
      /unknown KPI nope \(known: new_users/,
    );
    await expect(backfill({ store, config, now, archive }, { from: '2026-11-23' })).rejects.toThrow(
      /--from 2026-11-23 is after 2026-11-22/,
    );
  });
});

/** A store and an archive as one process sees them until `kill -9`: writes to either count toward the same death. */
function killedTogether(store: StateStore, archive: ObjectArchive, writes: number, applyLast: boolean) {
  let budget = writes;
  let dead = false;
  let onKill!: () => void;
  const killed = new Promise<'killed'>((resolve) => {
    onKill = () => resolve('killed');
  });
  const never = new Promise<never>(() => {});
  const write = async <T>(run: () => Promise<T>): Promise<T> => {
    if (dead) return never;
    if (budget-- > 0) return run();
    dead = true;
    if (applyLast) await run();
    onKill();
    return never;
  };
  return {
    store: {
      ...store,
      put: (t, item, c) => write(() => store.put(t, item, c)),
      putMany: (t, items) => write(() => store.putMany(t, items)),
      delete: (t, pk, sk, c) => write(() => store.delete(t, pk, sk, c)),
      increment: (t, pk, sk, counts) => write(() => store.increment(t, pk, sk, counts)),
    } satisfies StateStore,
    archive: { ...archive, put: (key, body) => write(() => archive.put(key, body)) } satisfies ObjectArchive,
    killed,
  };
}

describe('the nightly archive and rollup killed partway', () => {
  const config = exampleConfig();
  const days = dateRange('2026-11-02', '2026-11-04');
  const night = Date.parse('2026-11-05T00:30:00+08:00');

  async function prepared(label: string) {
    seq = 0; // the same messageIds in both runs
    const { store } = await freshStore(label);
    const archive = await freshArchive(label);
    await ingest(
      store,
      config,
      days.flatMap((d) => shopDay(d, 5)),
      night - 86_400_000,
    );
    await nightlyRollup({ store, config, now: () => night - 86_400_000 + 1, archive });
    // Late events for two days, and yesterday's events: tonight reads three days.
    await ingest(
      store,
      config,
      [...shopDay('2026-11-02', 2), ...shopDay('2026-11-03', 3), ...shopDay('2026-11-04', 9)],
      night - 60_000,
    );
    return { store, archive };
  }

  async function outcome(store: StateStore, archive: ObjectArchive) {
    return {
      values: await storedValues(store, config, days),
      dirty: await dirtyDays(store),
      archived: await Promise.all(days.map((d) => archivedIds(archive, d))),
      figures: await collect(store.query('state', 'FIGURES#day')),
    };
  }

  test.prop([fc.nat(60), fc.boolean()], { numRuns: 10 })(
    'run again, it leaves the values, archive, figures and marks of a clean run',
    async (writes, applyLast) => {
      const clean = await prepared('nightly-clean');
      await nightlyRollup({ ...clean, config, now: () => night });

      const crashed = await prepared('nightly-crash');
      const k = killedTogether(crashed.store, crashed.archive, writes, applyLast);
      await Promise.race([nightlyRollup({ store: k.store, archive: k.archive, config, now: () => night }), k.killed]);
      await nightlyRollup({ ...crashed, config, now: () => night + 600_000 });

      const [want, got] = [await outcome(clean.store, clean.archive), await outcome(crashed.store, crashed.archive)];
      expect(got.values).toEqual(want.values);
      expect(got.dirty).toEqual(want.dirty);
      expect(got.archived).toEqual(want.archived);
      expect(got.figures.map(({ countedAt: _c, ...f }) => f)).toEqual(want.figures.map(({ countedAt: _c, ...f }) => f));
    },
    180_000,
  );
});

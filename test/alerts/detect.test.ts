import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  DetectError,
  detectAnomalies,
  detectAnomaliesBetween,
  detectEventSilence,
  eventSubject,
  ruleSubject,
} from '#shared/detection/detect.ts';
import { evaluateRule } from '#shared/detection/rules.ts';
import { saveDayFigures } from '#shared/events/day-figures.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { incidentId, readIncident } from '#shared/incidents/incidents.ts';
import { addDays, localDate } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, days, memoryQueue, realisticSeries, seedDaily } from './support.ts';

const LAST = '2026-11-22';
const now = () => Date.parse('2026-11-23T01:00:00+08:00');
const recipients = (q: ReturnType<typeof memoryQueue>) => q.messages.map((m) => m.recipientId);

async function setup(rules: unknown[], expectedEvents: unknown[] = [], fields: Record<string, unknown> = {}) {
  const config = configWith(rules, expectedEvents, fields);
  const { store } = await freshStore('detect');
  const queue = memoryQueue();
  return { config, store, queue, deps: { store, config, now, queue } };
}

describe('missing data', () => {
  it('a KPI without a value is its own missing-data incident, routed to the outage plan, and resolves when data returns', async () => {
    const { config, store, queue, deps } = await setup([
      { id: 'conv', kpi: 'conversion_rate', all: [{ breach: 'alarm' }], plan: 'satisfaction' },
    ]);
    await seedDaily(store, config, 'conversion_rate', days(LAST, [0.035, null, 0.034]));

    const run = await detectAnomaliesBetween('2026-11-21', LAST, deps);

    const id = 'kpi:conversion_rate:*:missing_data';
    expect(run.opened).toEqual([{ incident: id, period: '2026-11-21' }]);
    expect(run.resolved).toEqual([{ incident: id, period: LAST }]);
    expect(run.days[0]!.results.find((r) => r.incident === 'rule:conv:*:target_breach')?.outcome).toBe('no_value');
    expect(recipients(queue)).toEqual(['tech_ops_manager', 'it_ops', 'tech_ops_manager', 'it_ops']);
  });

  it('a rate with no value on a day without any event (closed) or on a holiday is not missing data', async () => {
    const rules = [{ id: 'conv', kpi: 'conversion_rate', all: [{ breach: 'alarm' }], plan: 'satisfaction' }];
    const closedDay = await setup(rules);
    const holiday = await setup(rules, [], { holidays: ['2026-11-21'] });
    const openDay = await setup(rules);
    const figures = (day: string, events: number) => ({
      day,
      events,
      quarantined: {},
      countedAt: '2026-11-23T00:00:00Z',
    });
    for (const [t, events] of [
      [closedDay, 0],
      [holiday, 1],
      [openDay, 900],
    ] as const) {
      await seedDaily(t.store, t.config, 'conversion_rate', days(LAST, [0.035, null, 0.034]));
      await saveDayFigures(t.store, [figures('2026-11-21', events)]);
    }

    const closed = await detectAnomaliesBetween('2026-11-21', LAST, closedDay.deps);
    const onHoliday = await detectAnomaliesBetween('2026-11-21', LAST, holiday.deps);
    const open = await detectAnomaliesBetween('2026-11-21', LAST, openDay.deps);

    const id = 'kpi:conversion_rate:*:missing_data';
    expect(closed.opened).toEqual([]);
    expect(closed.days[0]!.results.find((r) => r.incident === id)?.summary).toBe(
      'Conversion rate has no value for 21 Nov (no events at all that day): nothing to compute, not missing data',
    );
    expect(onHoliday.opened).toEqual([]);
    expect(open.opened).toEqual([{ incident: id, period: '2026-11-21' }]);
    expect(open.days[0]!.results.find((r) => r.incident === id)?.summary).toBe(
      'Conversion rate has no value for 21 Nov',
    );
  });

  it('an expected event with no events on the day is a critical incident; a steady stream is not', async () => {
    const { config, store, queue, deps } = await setup(
      [],
      [
        { event: 'Page Viewed', maxSilenceHours: 3 },
        { event: 'Order Completed', maxSilenceHours: 6, plan: 'outage' },
      ],
    );
    const views = Array.from({ length: 12 }, (_, h) => ({
      id: `v${h}`,
      body: JSON.stringify({
        messageId: `v${h}`,
        event: 'Page Viewed',
        userId: `u${h}`,
        timestamp: `${LAST}T${String(2 * h + 1).padStart(2, '0')}:00:00+08:00`,
      }),
    }));
    // Orders arrived the day before, then stopped.
    const order = {
      id: 'o1',
      body: JSON.stringify({
        messageId: 'o1',
        event: 'Order Completed',
        userId: 'u1',
        timestamp: `${addDays(LAST, -1)}T20:00:00+08:00`,
      }),
    };
    await ingestMessages([...views, order], { store, config, now });
    await detectAnomalies(addDays(LAST, -1), deps);

    const summary = await detectAnomalies(LAST, deps);

    const orders = incidentId(eventSubject({ event: 'Order Completed', maxSilenceHours: 6 }, 'day'));
    const pages = incidentId(eventSubject({ event: 'Page Viewed', maxSilenceHours: 3 }, 'day'));
    expect(summary.opened).toEqual([orders]);
    expect(await readIncident(store, orders)).toMatchObject({
      status: 'open',
      severity: 'critical',
      kind: 'missing_data',
    });
    expect((await readIncident(store, orders))?.last.summary).toBe('No "Order Completed" events on 22 Nov');
    expect(await readIncident(store, pages)).toMatchObject({ status: 'normal' });
    expect(recipients(queue)).toEqual(['tech_ops_manager', 'it_ops']);

    // The hourly live check: 2.5 h after the last page view is fine; no order for over a day is not.
    const live = await detectEventSilence({ ...deps, now: () => Date.parse('2026-11-23T01:30:00+08:00') });
    const liveOrders = incidentId(eventSubject({ event: 'Order Completed', maxSilenceHours: 6 }, 'hour'));
    expect(live.results.find((r) => r.incident === liveOrders)).toMatchObject({ outcome: 'silent', status: 'open' });
    expect(live.results.find((r) => r.incident === pages)).toMatchObject({ outcome: 'arriving' });
    expect(live.opened).toEqual([]); // the same incident, still open: no second "opened"
  });
});

describe('rules', () => {
  it('a pending value is not judged: retention is judged the day after, once it is known', async () => {
    const rule = { id: 'retention', kpi: 'next_day_retention', all: [{ breach: 'alarm' }] };
    const { config, store, deps } = await setup([rule]);
    await seedDaily(store, config, 'next_day_retention', [
      { period: '2026-11-21', value: 0.12 },
      { period: LAST, value: null, pending: true },
    ]);

    const pending = await evaluateRule(config.alerts.rules[0]!, LAST, { store, config });
    const summary = await detectAnomalies(LAST, deps);

    expect(pending.outcome).toBe('pending');
    expect(summary.opened).toEqual(['rule:retention:*:target_breach']);
    expect(summary.results.find((r) => r.incident === 'rule:retention:*:target_breach')?.period).toBe('2026-11-21');
  });

  it('says "not enough history yet" for a deviation before the engine is ready: not judged, opens nothing', async () => {
    const { config, store, deps } = await setup([
      { id: 'dau_drop', kpi: 'dau', all: [{ deviation: { direction: 'down' } }] },
    ]);
    await seedDaily(store, config, 'dau', days(LAST, [1200, 1250, 1190, 1230, 1210, 1260, 300]));

    const summary = await detectAnomalies(LAST, deps);

    const result = summary.results.find((r) => r.incident === 'rule:dau_drop:*:deviation');
    expect(result).toMatchObject({ outcome: 'not_judged' });
    expect(result?.status).toBeUndefined(); // no incident record: nothing was judged
    expect(result?.notes?.[0]).toMatch(/^deviation: not enough history yet/);
    expect(summary.opened).toEqual([]);
  });

  it('combined: below target AND an unusual drop; a usual weekend below target is not an incident', async () => {
    const rule = {
      id: 'signups_drop',
      kpi: 'new_users',
      all: [{ breach: 'target' }, { deviation: { direction: 'down' } }],
    };
    const { config, store, deps } = await setup([{ ...rule, plan: 'outage', severity: 'critical' }]);
    // Eight weeks of sign-ups: weekdays ~560, weekends ~470 (under the 500 target); an outage five days ago.
    const series = realisticSeries(LAST, 63, { weekday: 560, weekend: 470, growth: 0.001 });
    const outage = addDays(LAST, -5);
    await seedDaily(
      store,
      config,
      'new_users',
      series.map((p) => ({ period: p.period, value: p.period === outage ? Math.round(p.value * 0.18) : p.value })),
    );

    const run = await detectAnomaliesBetween(addDays(LAST, -20), LAST, deps);

    const weekendsBelowTarget = series.filter((p) => p.period >= addDays(LAST, -20) && p.value < 500).length;
    expect(weekendsBelowTarget).toBeGreaterThan(0);
    expect(run.opened).toEqual([{ incident: 'rule:signups_drop:*:target_breach', period: outage }]);
    expect(run.resolved).toEqual([{ incident: 'rule:signups_drop:*:target_breach', period: addDays(outage, 2) }]);
  });

  it('combined: a change of more than 20% only counts with enough volume', async () => {
    const rule = {
      id: 'signup_change',
      kpi: 'new_users',
      all: [{ change: { pct: 20, direction: 'down' } }, { volume: { kpi: 'dau', min: 1000 } }],
    };
    const { config, store } = await setup([rule]);
    await seedDaily(store, config, 'new_users', days(LAST, [600, 420]));
    await seedDaily(store, config, 'dau', days(LAST, [1300, 1200]));
    const judged = await evaluateRule(config.alerts.rules[0]!, LAST, { store, config });
    await seedDaily(store, config, 'dau', days(LAST, [600, 500]));
    const quiet = await evaluateRule(config.alerts.rules[0]!, LAST, { store, config });

    expect(judged.outcome).toBe('anomalous');
    expect(judged.summary).toBe('Daily new users 420 down 30% on the previous day');
    expect(ruleSubject(config.alerts.rules[0]!, config).title).toBe('Daily new users: drop of 20% or more');
    // Under the volume, the rule does not apply: not judged (an open incident neither resolves nor escalates).
    expect(quiet.outcome).toBe('not_judged');
    expect(quiet.conditions.map((c) => c.holds)).toEqual([true, false]);
    expect(quiet.summary).toBe('Daily new users 420 not judged: Daily active users 500 under 1,000');
  });
});

describe('the demo-shaped case', () => {
  const dauRule = {
    id: 'dau_drop',
    kpi: 'dau',
    all: [{ deviation: { direction: 'down', sensitivity: 0.5 } }],
    plan: 'outage',
  };

  it('a planted level drop in realistic daily active users opens one incident, which resolves after recovery', async () => {
    const { config, store, queue, deps } = await setup([dauRule]);
    const drop = [addDays(LAST, -9), addDays(LAST, -8), addDays(LAST, -7)];
    const series = realisticSeries(LAST, 63, { weekday: 1300, weekend: 1050, seed: 11 });
    await seedDaily(
      store,
      config,
      'dau',
      series.map((p) => ({ period: p.period, value: drop.includes(p.period) ? Math.round(p.value * 0.6) : p.value })),
    );

    const run = await detectAnomaliesBetween(addDays(LAST, -20), LAST, deps);

    const id = 'rule:dau_drop:*:deviation';
    expect(run.opened).toEqual([{ incident: id, period: drop[0] }]);
    expect(run.resolved).toEqual([{ incident: id, period: addDays(drop[2]!, 2) }]);
    expect((await readIncident(store, id))?.periods).toBe(3);
    expect(new Set(recipients(queue))).toEqual(new Set(['tech_ops_manager', 'it_ops']));
  });

  it('normal days of the same series open no incident', async () => {
    const { config, store, queue, deps } = await setup([dauRule]);
    await seedDaily(store, config, 'dau', realisticSeries(LAST, 63, { weekday: 1300, weekend: 1050, seed: 11 }));

    const run = await detectAnomaliesBetween(addDays(LAST, -20), LAST, deps);

    expect(run.opened).toEqual([]);
    expect(queue.messages).toEqual([]);
  });

  it("a day listed in the config's holidays opens no deviation incident, though its drop would on a usual day", async () => {
    // Daily active users at about 45% on a public holiday three days ago, and usual days around it.
    const holiday = addDays(LAST, -3);
    const series = realisticSeries(LAST, 63, { weekday: 1300, weekend: 1050, seed: 11 });
    const values = series.map((p) => ({
      period: p.period,
      value: p.period === holiday ? Math.round(p.value * 0.45) : p.value,
    }));
    const told = await setup([dauRule], [], { holidays: [holiday] });
    const untold = await setup([dauRule]);
    await seedDaily(told.store, told.config, 'dau', values);
    await seedDaily(untold.store, untold.config, 'dau', values);

    const withHolidays = await detectAnomaliesBetween(addDays(LAST, -20), LAST, told.deps);
    const without = await detectAnomaliesBetween(addDays(LAST, -20), LAST, untold.deps);

    expect(without.opened).toEqual([{ incident: 'rule:dau_drop:*:deviation', period: holiday }]);
    expect(withHolidays.opened).toEqual([]);
    expect(told.queue.messages).toEqual([]);
    const onHoliday = withHolidays.days.find((d) => d.date === holiday)?.results[0];
    expect(onHoliday?.summary).toMatch(/below expected .*, a holiday$/);
  });

  it('an expected stream is judged only from its first event on: never arrived, or began mid-day, raises nothing', async () => {
    const { store, config, queue, deps } = await setup(
      [],
      [
        { event: 'Page Viewed', maxSilenceHours: 3 },
        { event: 'Order Completed', maxSilenceHours: 6, plan: 'outage' },
      ],
    );
    // Deployed mid-afternoon: page views from 15:00 on, every 30 minutes; no order yet.
    const views = Array.from({ length: 18 }, (_, i) => ({
      id: `v${i}`,
      body: JSON.stringify({
        messageId: `v${i}`,
        event: 'Page Viewed',
        userId: `u${i}`,
        timestamp: `${LAST}T${String(15 + Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}:00+08:00`,
      }),
    }));
    await ingestMessages(views, { store, config, now });

    const day = await detectAnomalies(LAST, deps);
    const live = await detectEventSilence({ ...deps, now: () => Date.parse(`${addDays(LAST, 1)}T00:45:00+08:00`) });

    expect(day.opened).toEqual([]);
    expect(live.opened).toEqual([]);
    expect(queue.messages).toEqual([]);
    const orders = live.results.find((r) => r.incident.startsWith('event:Order_Completed'));
    expect(orders).toMatchObject({ outcome: 'arriving' });
  });
});

describe('days that have not ended', () => {
  const rule = { id: 'conv', kpi: 'conversion_rate', all: [{ breach: 'alarm' }] };
  let empty: Awaited<ReturnType<typeof setup>> | undefined;

  it('refuses today and later days, judging nothing of a range that reaches one, so they can be judged once ended', async () => {
    const { config, store, deps } = await setup([rule], [{ event: 'Page Viewed', maxSilenceHours: 3 }]);
    await seedDaily(store, config, 'conversion_rate', days('2026-11-23', [0.035, null, null]));

    await expect(detectAnomalies('2026-11-23', deps)).rejects.toThrow(
      /^2026-11-23 has not ended yet in Asia\/Shanghai \(it is 2026-11-23 01:00 there\): detection judges whole days, the latest being 2026-11-22/,
    );
    await expect(detectAnomalies('2026-12-03', deps)).rejects.toThrow(DetectError);
    await expect(detectAnomaliesBetween('2026-11-21', '2026-11-23', deps)).rejects.toThrow(DetectError);
    expect(await readIncident(store, incidentId(ruleSubject(config.alerts.rules[0]!, config)))).toBeUndefined();
    expect(
      await readIncident(store, incidentId(eventSubject(config.alerts.expectedEvents[0]!, 'day'))),
    ).toBeUndefined();

    // The next night, the day is judged for real.
    const nextNight = { ...deps, now: () => Date.parse('2026-11-24T01:00:00+08:00') };
    const summary = await detectAnomalies('2026-11-23', nextNight);
    expect(summary.results.map((r) => r.outcome)).not.toContain('already_judged');
    expect(summary.judged).toBeGreaterThan(0);
  });

  test.prop([fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }), fc.integer({ min: -5, max: 40 })], {
    numRuns: 40,
  })('a day is judged exactly when it has ended at "now" in the team\'s zone', async (instant, offset) => {
    empty ??= await setup([]);
    const { config, deps } = empty;
    const day = addDays(localDate(instant, config.timeZone), offset);
    const run = detectAnomalies(day, { ...deps, now: () => instant });
    if (offset < 0) await expect(run).resolves.toMatchObject({ date: day });
    else await expect(run).rejects.toThrow(DetectError);
  });
});

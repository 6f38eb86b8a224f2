// The change rule: a daily KPI with a weekly rhythm is compared like with like (the same weekday a week before), one
// without keeps its plain day-over-day change; a change rule's incidents are named for it ('rule:X:*:change'), and
// one opened under the old name (':deviation') still resolves under it. Found by new-user trials: a B2B KPI whose
// weekends run at a tenth of its weekdays opened, resolved and escalated a change incident every weekend.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#cli/demo/generate.ts';
import { detectAnomalies, detectAnomaliesBetween, ruleSubject } from '#shared/detection/detect.ts';
import { evaluateRule } from '#shared/detection/rules.ts';
import { incidentId, markDelivered, readIncident, recordObservation } from '#shared/incidents/incidents.ts';
import { addDays, dateRange, isoWeekday } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, days, memoryQueue, type SeedValue, seedDaily } from './support.ts';

const LAST = '2026-11-22'; // a Sunday
const now = () => Date.parse('2026-11-23T01:00:00+08:00');
const RULE = { id: 'signups_swing', kpi: 'new_users', all: [{ change: { pct: 50, direction: 'both' } }] };

/** A B2B-shaped daily KPI: about 1,000 on weekdays (10% noise), about 100 at weekends (20%), seeded. */
function b2b(last: string, count: number, seed = 3): SeedValue[] {
  const rand = mulberry32(seed);
  return dateRange(addDays(last, 1 - count), last).map((period) => {
    const weekend = isoWeekday(period) >= 6;
    const noise = (weekend ? 0.2 : 0.1) * (rand() * 2 - 1);
    return { period, value: Math.round((weekend ? 100 : 1000) * (1 + noise)) };
  });
}

/** About 1,000 every day with 10% noise: no weekly rhythm. */
function flat(last: string, count: number, seed = 4): SeedValue[] {
  const rand = mulberry32(seed);
  return dateRange(addDays(last, 1 - count), last).map((period) => ({
    period,
    value: Math.round(1000 * (1 + 0.1 * (rand() * 2 - 1))),
  }));
}

async function setup(rules: unknown[] = [RULE], fields: Record<string, unknown> = {}) {
  const config = configWith(rules, [], fields);
  const { store } = await freshStore('change');
  const queue = memoryQueue();
  return { config, store, queue, deps: { store, config, now, queue } };
}

describe('a daily change rule on a KPI with a weekly rhythm', () => {
  it('compares each day with the same weekday a week before: four ordinary B2B weeks open nothing', async () => {
    const { config, store, deps } = await setup();
    await seedDaily(store, config, 'new_users', b2b(LAST, 56));

    const run = await detectAnomaliesBetween(addDays(LAST, -27), LAST, deps);
    const saturday = await evaluateRule(config.alerts.rules[0]!, addDays(LAST, -1), { store, config });

    // Day over day, every Saturday read about -90% and every Monday about +900%.
    expect(run.opened).toEqual([]);
    expect(saturday.outcome).toBe('normal');
    expect(saturday.conditions[0]?.detail).toMatch(
      /^(up|down) \d+% on the same day last week \(14 Nov\), weekly rhythm$/,
    );
  });

  it('still catches a weekday that drops against its own weekday, and says what it compared with', async () => {
    const { config, store, deps } = await setup();
    const values = b2b(LAST, 56).map((v) => (v.period === '2026-11-18' ? { ...v, value: 380 } : v));
    await seedDaily(store, config, 'new_users', values);
    const before = values.find((v) => v.period === '2026-11-11')!.value!;

    const run = await detectAnomaliesBetween(addDays(LAST, -13), LAST, deps);
    const wednesday = await evaluateRule(config.alerts.rules[0]!, '2026-11-18', { store, config });

    const id = 'rule:signups_swing:*:change';
    expect(run.opened).toEqual([{ incident: id, period: '2026-11-18' }]);
    expect(run.escalated).toEqual([]);
    expect(wednesday.previous).toBe(before);
    const pct = Math.round(((before - 380) / before) * 100);
    expect(wednesday.summary).toBe(
      `Daily new users 380 down ${pct}% on the same day last week (11 Nov), weekly rhythm`,
    );
  });

  it('skips a holiday a week before: the same weekday two weeks before', async () => {
    const { config, store } = await setup([RULE], { holidays: ['2026-11-11'] });
    const values = b2b(LAST, 56).map((v) => (v.period === '2026-11-11' ? { ...v, value: 90 } : v));
    await seedDaily(store, config, 'new_users', values);

    const wednesday = await evaluateRule(config.alerts.rules[0]!, '2026-11-18', { store, config });

    expect(wednesday.outcome).toBe('normal');
    expect(wednesday.previous).toBe(values.find((v) => v.period === '2026-11-04')!.value);
    expect(wednesday.conditions[0]?.detail).toMatch(/on the same day two weeks before \(4 Nov\), weekly rhythm$/);
  });
});

describe('a daily change rule on a KPI without a weekly rhythm', () => {
  it('keeps comparing with the day before', async () => {
    const { config, store } = await setup();
    const values = flat(LAST, 56).map((v) => (v.period === LAST ? { ...v, value: 400 } : v));
    await seedDaily(store, config, 'new_users', values);
    const saturday = values.at(-2)!.value!;

    const judged = await evaluateRule(config.alerts.rules[0]!, LAST, { store, config });

    const pct = Math.round(((saturday - 400) / saturday) * 100);
    expect(judged.outcome).toBe('anomalous');
    expect(judged.summary).toBe(`Daily new users 400 down ${pct}% on the previous day`);
  });

  it('with under three weeks of values a weekly rhythm cannot be told yet: day over day', async () => {
    const { config, store } = await setup();
    await seedDaily(store, config, 'new_users', b2b(LAST, 20));

    const saturday = await evaluateRule(config.alerts.rules[0]!, addDays(LAST, -1), { store, config });

    expect(saturday.outcome).toBe('anomalous');
    expect(saturday.conditions[0]?.detail).toMatch(/^down \d+% on the previous day$/);
  });
});

describe('a daily change rule around closed days', () => {
  it('a holiday is not compared with an ordinary day: its drop to 0 opens nothing', async () => {
    const { config, store, deps } = await setup([RULE], { holidays: ['2026-11-18'] });
    const values = b2b(LAST, 56).map((v) => (v.period === '2026-11-18' ? { ...v, value: 0 } : v));
    await seedDaily(store, config, 'new_users', values);

    const run = await detectAnomaliesBetween(addDays(LAST, -6), LAST, deps);
    const holiday = await evaluateRule(config.alerts.rules[0]!, '2026-11-18', { store, config });

    expect(run.opened).toEqual([]);
    expect(holiday.conditions[0]).toMatchObject({
      holds: false,
      notReady: true,
      detail: 'a holiday: not compared with an ordinary day',
    });
  });

  it('a KPI with no value on Sundays (a rate on a closed day) compares Monday with the last day that has one', async () => {
    const { config, store } = await setup();
    const monday = addDays(LAST, 1);
    const values = flat(monday, 56).map((v) =>
      isoWeekday(v.period) === 7 ? { ...v, value: null } : v.period === monday ? { ...v, value: 400 } : v,
    );
    await seedDaily(store, config, 'new_users', values);
    const saturday = values.find((v) => v.period === addDays(LAST, -1))!.value!;

    const judged = await evaluateRule(config.alerts.rules[0]!, monday, { store, config });

    const pct = Math.round(((saturday - 400) / saturday) * 100);
    expect(judged.outcome).toBe('anomalous');
    expect(judged.summary).toBe(`Daily new users 400 down ${pct}% on the last day with a value (21 Nov)`);
  });
});

describe("a change rule's incident id", () => {
  it('names the rule kind, as breach and deviation rules name theirs', async () => {
    const { config, store, deps } = await setup();
    await seedDaily(store, config, 'new_users', days(LAST, [600, 250]));

    const run = await detectAnomalies(LAST, deps);

    expect(run.opened).toEqual(['rule:signups_swing:*:change']);
    expect(incidentId(ruleSubject(config.alerts.rules[0]!, config))).toBe('rule:signups_swing:*:change');
    expect((await readIncident(store, 'rule:signups_swing:*:change'))?.kind).toBe('deviation'); // routed as before
  });

  it('an incident opened under the old id (:deviation) still resolves under it; the next one opens under the new', async () => {
    const { config, store, queue, deps } = await setup();
    const legacy = 'rule:signups_swing:*:deviation';
    // Before change rules had their own name, detection stored this subject's incidents under ':deviation'.
    const { idKind: _idKind, formerIds: _formerIds, ...before } = ruleSubject(config.alerts.rules[0]!, config);
    const drop = {
      period: '2026-11-16',
      anomalous: true,
      persists: true,
      severity: 'warning' as const,
      magnitude: 0.6,
      summary: 'Daily new users 400 down 60% on the previous day',
      value: 400,
    };
    const opened = await recordObservation(store, before, drop, '2026-11-17T01:00:00.000Z');
    await markDelivered(store, legacy, [opened.transition!.seq]); // its mails went out then
    // Ordinary days, then a new drop once the old incident's cooldown (1 day) is over.
    await seedDaily(store, config, 'new_users', days(LAST, [400, 400, 410, 420, 415, 405, 150]));

    const run = await detectAnomaliesBetween('2026-11-17', LAST, deps);

    expect(run.resolved).toEqual([{ incident: legacy, period: '2026-11-18' }]);
    expect(run.opened).toEqual([{ incident: 'rule:signups_swing:*:change', period: LAST }]);
    expect(await readIncident(store, legacy)).toMatchObject({ status: 'resolved', lastPeriod: '2026-11-19' });
    const mails = queue.messages.map((m) => (m.kind === 'alert' ? `${m.incidentId} ${m.transition}` : 'report'));
    expect(new Set(mails)).toEqual(new Set([`${legacy} resolved`, 'rule:signups_swing:*:change opened']));
  });
});

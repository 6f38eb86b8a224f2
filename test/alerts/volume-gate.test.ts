// A rule's `volume` condition says on which days the rule applies: a day under it is not judged (it neither opens,
// resolves nor escalates an incident), and a daily change rule looks for a weekly rhythm on the days it applies to.
// Found by a new user's trial (a clinic-booking SaaS): a cancellation rate gated on 200 bookings a day resolved its
// open incident every weekend ("back to 28.7%", far worse than the 8% it opened at), and opened one every Tuesday
// (Mondays run low, cancellations lag bookings) because its wild weekend values hid the weekly rhythm.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#cli/demo/generate.ts';
import { detectAnomalies, detectAnomaliesBetween } from '#shared/detection/detect.ts';
import { evaluateRule } from '#shared/detection/rules.ts';
import { alertHeadline } from '#shared/email/alert-mail.ts';
import { readIncident, readIncidentHistory } from '#shared/incidents/incidents.ts';
import { addDays, dateRange, isoWeekday } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, memoryQueue, type SeedValue, seedDaily } from './support.ts';

const LAST = '2026-11-22'; // a Sunday
const now = () => Date.parse('2026-11-23T01:00:00+08:00');
// conversion_rate stands in for the cancellation rate, dau for the bookings it is a share of.
const RULE = {
  id: 'cancellations_up',
  kpi: 'conversion_rate',
  all: [{ change: { pct: 50, direction: 'up' } }, { volume: { kpi: 'dau', min: 200 } }],
};
const ID = 'rule:cancellations_up:*:change';

/**
 * Clinic-shaped days: about 550 bookings on weekdays, 40–120 at weekends; a cancellation rate of about 2.5% on
 * Mondays and 7–9% on other weekdays (10% noise), and anywhere from 2% to 80% at weekends (few bookings; as in the
 * trial: 3.8% one Sunday, 73% one Saturday).
 */
function clinic(last: string, count: number, { mondays = 0.025, seed = 5 } = {}) {
  const rand = mulberry32(seed);
  const rate: SeedValue[] = [];
  const volume: SeedValue[] = [];
  for (const period of dateRange(addDays(last, 1 - count), last)) {
    const wd = isoWeekday(period);
    const weekend = wd >= 6;
    volume.push({ period, value: Math.round(weekend ? 40 + 80 * rand() : 550 * (0.95 + 0.1 * rand())) });
    const base = weekend ? 0.02 * 40 ** rand() : wd === 1 ? mondays : 0.07 + 0.02 * rand();
    rate.push({ period, value: weekend ? base : base * (0.9 + 0.2 * rand()) });
  }
  return { rate, volume };
}

async function setup(rules: unknown[] = [RULE]) {
  const config = configWith(rules);
  const { store } = await freshStore('volume');
  const queue = memoryQueue();
  return { config, store, queue, deps: { store, config, now, queue } };
}

const at = (values: SeedValue[], period: string, value: number) =>
  values.map((v) => (v.period === period ? { ...v, value } : v));

describe('a day under the volume condition is not judged', () => {
  it('neither opens an incident nor says normal, and says why', async () => {
    const { config, store, deps } = await setup();
    const { rate, volume } = clinic(LAST, 14);
    await seedDaily(store, config, 'conversion_rate', at(rate, LAST, 0.9)); // Sunday: up on Saturday, 41 bookings
    await seedDaily(store, config, 'dau', at(volume, LAST, 41));

    const judged = await evaluateRule(config.alerts.rules[0]!, LAST, { store, config });
    const run = await detectAnomalies(LAST, deps);

    expect(judged.outcome).toBe('not_judged');
    expect(run.opened).toEqual([]);
    expect(run.results.find((r) => r.incident === ID)).toMatchObject({
      outcome: 'not_judged',
      summary: 'Conversion rate 90.00% not judged: Daily active users 41 under 200',
    });
    expect(await readIncident(store, ID)).toBeUndefined();
  });

  it('holds an open incident: no weekend resolves or escalates it, the next judged day does', async () => {
    const { config, store, queue, deps } = await setup();
    // Thursday 19 Nov: the rate jumps from about 8% to 20%, Friday is back to 8%; the weekend is wild (75% on
    // Saturday, far above the 20% the incident opened at); Monday an ordinary Monday, Tuesday about 8%.
    const { rate, volume } = clinic(LAST, 63);
    let values = at(rate, '2026-11-19', 0.2);
    values = at(values, '2026-11-20', 0.08);
    values = at(values, '2026-11-21', 0.75);
    values = at(values, '2026-11-22', 0.3);
    values = [...values, { period: '2026-11-23', value: 0.026 }, { period: '2026-11-24', value: 0.082 }];
    await seedDaily(store, config, 'conversion_rate', values);
    await seedDaily(store, config, 'dau', [
      ...volume,
      { period: '2026-11-23', value: 560 },
      { period: '2026-11-24', value: 540 },
    ]);
    const later = () => Date.parse('2026-11-25T01:00:00+08:00');

    const run = await detectAnomaliesBetween('2026-11-19', '2026-11-24', { ...deps, now: later });

    expect(run.opened).toEqual([{ incident: ID, period: '2026-11-19' }]);
    expect(run.escalated).toEqual([]);
    // Friday is one normal day (resolveAfter 2); the weekend keeps the count; Monday is the second.
    expect(run.resolved).toEqual([{ incident: ID, period: '2026-11-23' }]);
    const weekend = run.days.filter((d) => d.date === '2026-11-21' || d.date === '2026-11-22');
    expect(weekend.map((d) => d.results.find((r) => r.incident === ID)?.outcome)).toEqual(['not_judged', 'not_judged']);
    const [, resolved] = await readIncidentHistory(store, ID);
    const incident = (await readIncident(store, ID))!;
    // The value it is "back to" is one the rule judged: Monday's, not Saturday's 75%.
    expect(alertHeadline(incident, resolved!, config)).toBe(
      `Conversion rate back to ${(values.find((v) => v.period === '2026-11-23')!.value! * 100).toFixed(2)}% after 1 day`,
    );
    expect(queue.messages.length).toBeGreaterThan(0);
  });

  it('keeps a streak towards openAfter: a weekend between two anomalous days does not break it', async () => {
    const { config, store, deps } = await setup([{ ...RULE, openAfter: 2 }]);
    const { rate, volume } = clinic(LAST, 14);
    // Friday 20 Nov up on Thursday, Monday 23 Nov up on Sunday; the weekend between has 41 and 60 bookings.
    let values = at(rate, '2026-11-20', 0.2);
    values = at(values, '2026-11-21', 0.3);
    values = at(values, '2026-11-22', 0.1);
    values = [...values, { period: '2026-11-23', value: 0.4 }];
    await seedDaily(store, config, 'conversion_rate', values);
    await seedDaily(store, config, 'dau', [...volume, { period: '2026-11-23', value: 560 }]);
    const later = () => Date.parse('2026-11-24T01:00:00+08:00');

    const run = await detectAnomaliesBetween('2026-11-20', '2026-11-23', { ...deps, now: later });

    expect(run.opened).toEqual([{ incident: ID, period: '2026-11-23' }]);
  });
});

describe("a change rule's weekly rhythm, on the days its volume condition lets it judge", () => {
  it('a rate low on Mondays and wild at weekends compares Tuesdays with Tuesdays: four weeks open nothing', async () => {
    const { config, store, deps } = await setup();
    const { rate, volume } = clinic(LAST, 63);
    await seedDaily(store, config, 'conversion_rate', rate);
    await seedDaily(store, config, 'dau', volume);

    // Five weeks of data before the first day judged: 14 weekdays whose day before and week before it judges too.
    const run = await detectAnomaliesBetween(addDays(LAST, -27), LAST, deps);
    const tuesday = await evaluateRule(config.alerts.rules[0]!, '2026-11-17', { store, config });

    // Day over day, every Tuesday read up 200% or more on its Monday.
    expect(run.opened).toEqual([]);
    expect(tuesday.outcome).toBe('normal');
    expect(tuesday.conditions[0]?.detail).toMatch(
      /^(up|down) \d+% on the same day last week \(10 Nov\), weekly rhythm$/,
    );
  });

  it('still opens on a Tuesday that is far above its own last Tuesday', async () => {
    const { config, store, deps } = await setup();
    const { rate, volume } = clinic(LAST, 63);
    await seedDaily(store, config, 'conversion_rate', at(rate, '2026-11-17', 0.2));
    await seedDaily(store, config, 'dau', volume);

    const run = await detectAnomalies('2026-11-17', deps);

    expect(run.opened).toEqual([ID]);
    expect(run.results.find((r) => r.incident === ID)?.summary).toMatch(
      /^Conversion rate 20\.00% up \d+% on the same day last week \(10 Nov\), weekly rhythm$/,
    );
  });

  it('a rate without a weekday rhythm, however wild its weekends, keeps comparing with the day before', async () => {
    const { config, store } = await setup();
    const { rate, volume } = clinic(LAST, 63, { mondays: 0.08 });
    await seedDaily(store, config, 'conversion_rate', at(rate, '2026-11-19', 0.2));
    await seedDaily(store, config, 'dau', volume);

    const thursday = await evaluateRule(config.alerts.rules[0]!, '2026-11-19', { store, config });

    expect(thursday.outcome).toBe('anomalous');
    expect(thursday.conditions[0]?.detail).toMatch(/^up \d+% on the previous day$/);
  });
});

// The first day of data is rarely whole: Nightshift is deployed, or the first events arrive, mid-morning. Rules that
// compare with earlier periods must not take that day (or the empty days the rollup stored before it) for a usual one:
// a change rule does not judge against it, and a deviation leaves it out of its baseline. Real ingest, rollup and
// detection on the test run's DynamoDB, night by night.
import { describe, expect, it } from 'vitest';
import { detectAnomalies } from '#shared/detection/detect.ts';
import { evaluateRule } from '#shared/detection/rules.ts';
import { saveDayFigures } from '#shared/events/day-figures.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { nightlyRollup } from '#shared/kpi/rollup.ts';
import { addDays, dateRange, zonedInstant } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, days, memoryQueue, realisticSeries, seedDaily } from './support.ts';

const TZ = 'Asia/Shanghai'; // the example config's zone
const FIRST = '2026-11-03';
const MIN = 60_000;

/** `n` sign-ups on `day` spread evenly from `from` (HH:MM, local) to midnight, each by a new user. */
function signUps(day: string, n: number, from = '00:00') {
  const start = zonedInstant(day, from, TZ);
  const step = (zonedInstant(addDays(day, 1), '00:00', TZ) - start) / n;
  return Array.from({ length: n }, (_, i) => {
    const id = `${day}-${i}`;
    const timestamp = new Date(start + Math.floor(i * step)).toISOString();
    return { id, body: JSON.stringify({ messageId: id, event: 'Signed Up', userId: `u-${id}`, timestamp }) };
  });
}

/** Each day's events arrive by its end; at 01:00 the next night the rollup runs, then detection judges the day. */
async function nightByNight(
  arrivals: ReadonlyArray<[string, ReturnType<typeof signUps>]>,
  deps: Omit<Parameters<typeof detectAnomalies>[1], 'now'>,
) {
  const nights = [];
  for (const [day, messages] of arrivals) {
    const endOfDay = () => zonedInstant(addDays(day, 1), '00:00', TZ) - MIN;
    await ingestMessages(messages, { store: deps.store, config: deps.config, now: endOfDay });
    const night = () => zonedInstant(addDays(day, 1), '01:00', TZ);
    await nightlyRollup({ store: deps.store, config: deps.config, now: night });
    nights.push(await detectAnomalies(day, { ...deps, now: night }));
  }
  return nights;
}

describe('a change rule after a partial first day', () => {
  const rule = { id: 'signups_change', kpi: 'new_users', all: [{ change: { pct: 20, direction: 'both' } }] };

  it('does not judge the second day against the partial first one, then judges whole days as before', async () => {
    const config = configWith([rule]);
    const { store } = await freshStore('first-day');
    const queue = memoryQueue();
    // Deployed on 3 Nov: sign-ups from 10:42 on (60), then whole days of 150 and of 100 (a real drop of 33%).
    const arrivals: Array<[string, ReturnType<typeof signUps>]> = [
      [FIRST, signUps(FIRST, 60, '10:42')],
      [addDays(FIRST, 1), signUps(addDays(FIRST, 1), 150)],
      [addDays(FIRST, 2), signUps(addDays(FIRST, 2), 100)],
    ];
    const nights = await nightByNight(arrivals, { store, config, queue });

    const [first, second, third] = nights.map((n) => n.results[0]!);
    const note = 'change: no complete previous day to compare with (data starts 10:42 on 3 Nov)';
    // Against the 60 of 3 Nov, 4 Nov read as 'up 150% on the previous day'.
    expect(nights[1]!.opened).toEqual([]);
    // Not judged, not "normal": an incident's state holds on such a day.
    expect(second).toMatchObject({ outcome: 'not_judged', notes: [note] });
    expect(first).toMatchObject({ outcome: 'not_judged', notes: [note] });
    expect(third).toMatchObject({ outcome: 'anomalous', summary: 'Daily new users 100 down 33% on the previous day' });
    expect(nights[2]!.opened).toEqual(['rule:signups_change:*:change']);
  });
});

describe('a target rule on a partial first day', () => {
  const rule = { id: 'signups_floor', kpi: 'new_users', all: [{ breach: 'target' }] };

  it('a partial day below its floor is not judged, says why, and a whole day below it alerts', async () => {
    const config = configWith([rule]); // new_users: target { min: 500, per: day }
    const { store } = await freshStore('first-day-breach');
    const queue = memoryQueue();
    // Deployed on 3 Nov at 10:42: 300 sign-ups by midnight (a usual day has 600), then a whole day of 420.
    const arrivals: Array<[string, ReturnType<typeof signUps>]> = [
      [FIRST, signUps(FIRST, 300, '10:42')],
      [addDays(FIRST, 1), signUps(addDays(FIRST, 1), 420)],
    ];
    const nights = await nightByNight(arrivals, { store, config, queue });

    const [first, second] = nights.map((n) => n.results[0]!);
    expect(nights[0]!.opened).toEqual([]);
    expect(first).toMatchObject({
      outcome: 'not_judged',
      notes: ['breach: below target 500, but the data covers this period only from 10:42 on 3 Nov: not judged'],
    });
    expect(second).toMatchObject({ outcome: 'anomalous', summary: 'Daily new users 420 below target 500' });
    expect(nights[1]!.opened).toEqual(['rule:signups_floor:*:target_breach']);
  });
});

describe('a first day that is whole', () => {
  it('data that begins minutes after midnight (an export of whole days) covers its day: the change is judged', async () => {
    const rule = { id: 'signups_change', kpi: 'new_users', all: [{ change: { pct: 20, direction: 'both' } }] };
    const config = configWith([rule]);
    const { store } = await freshStore('first-day');
    await seedDaily(store, config, 'new_users', days(addDays(FIRST, 1), [150, 100]));
    const figure = (day: string, firstEventAt: number) => ({
      day,
      events: 300,
      quarantined: {},
      countedAt: '',
      firstEventAt,
    });
    await saveDayFigures(store, [
      figure(FIRST, zonedInstant(FIRST, '00:07', TZ)),
      figure(addDays(FIRST, 1), zonedInstant(addDays(FIRST, 1), '00:02', TZ)),
    ]);

    const judged = await evaluateRule(config.alerts.rules[0]!, addDays(FIRST, 1), { store, config });

    expect(judged).toMatchObject({ outcome: 'anomalous', summary: 'Daily new users 100 down 33% on the previous day' });
  });
});

describe('a deviation baseline after a partial first day', () => {
  const rule = { id: 'dau_drop', kpi: 'dau', all: [{ deviation: { direction: 'down', sensitivity: 0.5 } }] };

  it('leaves out the partial first day and the empty days before it, so it waits for 14 whole days', async () => {
    const config = configWith([rule]);
    const { store } = await freshStore('first-day');
    // The rollup stored two empty days before the data began at 10:42 on 3 Nov, then 3 Nov's part of a day.
    const whole = realisticSeries(addDays(FIRST, 15), 15, { weekday: 1300, weekend: 1050, seed: 5 });
    await seedDaily(store, config, 'dau', [...days(FIRST, [0, 0, 420]), ...whole]);
    await saveDayFigures(store, [
      ...dateRange(addDays(FIRST, -2), addDays(FIRST, -1)).map((day) => ({
        day,
        events: 0,
        quarantined: {},
        countedAt: '',
      })),
      { day: FIRST, events: 900, quarantined: {}, countedAt: '', firstEventAt: zonedInstant(FIRST, '10:42', TZ) },
      ...whole.map((d) => ({
        day: d.period,
        events: d.value * 3,
        quarantined: {},
        countedAt: '',
        firstEventAt: zonedInstant(d.period, '00:01', TZ),
      })),
    ]);

    // The 14th whole day has 13 whole days before it (16 periods with a value); the 15th has the 14 it needs.
    const early = await evaluateRule(config.alerts.rules[0]!, whole.at(-2)!.period, { store, config });
    const ready = await evaluateRule(config.alerts.rules[0]!, whole.at(-1)!.period, { store, config });

    expect(early.conditions[0]).toMatchObject({
      holds: false,
      notReady: true,
      detail:
        'not enough history yet (13 usable of 16 earlier periods with a value: the partial first day and 2 days ' +
        'before the data began left out; 14 needed)',
    });
    expect(ready.conditions[0]?.notReady).toBeUndefined();
    expect(ready.outcome).toBe('normal');
  });

  it('says what it left out: 14 earlier days with a value but a holiday among them is not yet enough', async () => {
    // As in a new user's trial: "14 earlier periods with a value, 14 needed" read as a contradiction.
    const config = configWith([rule], [], { holidays: [addDays(FIRST, 5)] });
    const { store } = await freshStore('first-day');
    const whole = realisticSeries(addDays(FIRST, 15), 15, { weekday: 1300, weekend: 1050, seed: 5 });
    await seedDaily(store, config, 'dau', [...days(FIRST, [420]), ...whole]);
    await saveDayFigures(store, [
      { day: FIRST, events: 900, quarantined: {}, countedAt: '', firstEventAt: zonedInstant(FIRST, '10:42', TZ) },
    ]);

    const judged = await evaluateRule(config.alerts.rules[0]!, whole.at(-1)!.period, { store, config });

    expect(judged.outcome).toBe('not_judged');
    expect(judged.conditions[0]?.detail).toBe(
      'not enough history yet (13 usable of 15 earlier periods with a value: the partial first day and 1 holiday ' +
        'left out; 14 needed)',
    );
  });
});

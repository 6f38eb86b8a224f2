import { describe, expect, it } from 'vitest';
import { detectAnomalies, detectAnomaliesBetween } from '#shared/detection/detect.ts';
import { readIncident, readIncidentHistory } from '#shared/incidents/incidents.ts';
import { deliveryKey } from '#shared/queue/messages.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, days, memoryQueue, seedDaily } from './support.ts';

const now = () => Date.parse('2026-11-23T01:00:00+08:00');
const CONV = 'rule:conv:*:target_breach';
const SATISFACTION = ['user_ops_lead', 'product', 'customer_service'];

/** conversion_rate against its 2% alarm floor, critical unless told otherwise. */
function convRule(extra: Record<string, unknown> = {}) {
  return {
    id: 'conv',
    kpi: 'conversion_rate',
    all: [{ breach: 'alarm' }],
    severity: 'critical',
    plan: 'satisfaction',
    ...extra,
  };
}

async function setup(rule: Record<string, unknown>, values: Array<number | null>, last = '2026-11-22') {
  const config = configWith([rule]);
  const { store } = await freshStore('alerts');
  await seedDaily(store, config, 'conversion_rate', days(last, values));
  const queue = memoryQueue();
  return { config, store, queue, deps: { store, config, now, queue } };
}

const transitions = (messages: ReturnType<typeof memoryQueue>['messages']) =>
  messages.map((m) => (m.kind === 'alert' ? `${m.seq}:${m.transition}:${m.recipientId}` : 'report'));

describe('incidents', () => {
  it('two anomalous days in a row make one incident, updated by the second day', async () => {
    const { store, queue, deps } = await setup(convRule(), [0.035, 0.034, 0.012, 0.011]);

    const first = await detectAnomalies('2026-11-21', deps);
    const second = await detectAnomalies('2026-11-22', deps);

    expect(first.opened).toEqual([CONV]);
    expect(second.opened).toEqual([]);
    expect(second.escalated).toEqual([]);
    expect(second.open).toContain(CONV);
    const incident = await readIncident(store, CONV);
    expect(incident).toMatchObject({
      status: 'open',
      seq: 1,
      periods: 2,
      openedPeriod: '2026-11-21',
      lastPeriod: '2026-11-22',
    });
    expect(incident?.last.summary).toBe('Conversion rate 1.10% below alarm floor 2.00%');
    expect(await readIncidentHistory(store, CONV)).toHaveLength(1);
    expect(transitions(queue.messages)).toEqual(SATISFACTION.map((p) => `1:opened:${p}`));
  });

  it('with openAfter 2 a single bad day opens nothing; two in a row do', async () => {
    const { store, queue, deps } = await setup(convRule({ openAfter: 2 }), [0.035, 0.012, 0.035, 0.012, 0.011]);

    const run = await detectAnomaliesBetween('2026-11-18', '2026-11-22', deps);

    const lonely = run.days[1]!.results.find((r) => r.incident === CONV);
    expect(lonely).toMatchObject({ outcome: 'anomalous', status: 'pending', held: 'open_after' });
    expect(run.days[2]!.results.find((r) => r.incident === CONV)?.status).toBe('normal');
    expect(run.opened).toEqual([{ incident: CONV, period: '2026-11-22' }]);
    // Opened on the second bad day, but the problem began on the first: that is what "since" tells people.
    expect(await readIncident(store, CONV)).toMatchObject({
      status: 'open',
      periods: 2,
      firstPeriod: '2026-11-21',
      openedPeriod: '2026-11-22',
    });
    expect(transitions(queue.messages)).toEqual(SATISFACTION.map((p) => `1:opened:${p}`));
  });

  it('escalates once when the value moves clearly further from the floor, and becomes critical', async () => {
    // 10% under the floor, then 15% (not a clear step), then 60%.
    const { store, queue, deps } = await setup(convRule({ severity: 'warning' }), [0.018, 0.017, 0.008]);

    const run = await detectAnomaliesBetween('2026-11-20', '2026-11-22', deps);

    expect(run.opened.map((o) => o.period)).toEqual(['2026-11-20']);
    expect(run.escalated).toEqual([{ incident: CONV, period: '2026-11-22' }]);
    const history = await readIncidentHistory(store, CONV);
    expect(history.map((t) => [t.transition, t.severity])).toEqual([
      ['opened', 'warning'],
      ['escalated', 'critical'],
    ]);
    expect(await readIncident(store, CONV)).toMatchObject({ status: 'open', severity: 'critical', escalated: true });
    expect(transitions(queue.messages)).toEqual([
      ...SATISFACTION.map((p) => `1:opened:${p}`),
      ...SATISFACTION.map((p) => `2:escalated:${p}`),
    ]);
  });

  it('stays critical after escalating, while later days are only as bad as when it opened', async () => {
    const { store, deps } = await setup(convRule({ severity: 'warning' }), [0.018, 0.008, 0.018]);

    await detectAnomaliesBetween('2026-11-20', '2026-11-22', deps);

    expect(await readIncident(store, CONV)).toMatchObject({ status: 'open', severity: 'critical', periods: 3 });
  });

  it('resolves after resolveAfter normal periods in a row, with a "resolved" transition', async () => {
    // A normal day between bad ones keeps it open; two normal days resolve it.
    const { store, queue, deps } = await setup(convRule(), [0.012, 0.035, 0.013, 0.034, 0.036]);

    const run = await detectAnomaliesBetween('2026-11-18', '2026-11-22', deps);

    expect(run.opened).toEqual([{ incident: CONV, period: '2026-11-18' }]);
    expect(run.resolved).toEqual([{ incident: CONV, period: '2026-11-22' }]);
    expect(await readIncident(store, CONV)).toMatchObject({
      status: 'resolved',
      resolvedPeriod: '2026-11-22',
      periods: 2,
    });
    expect((await readIncidentHistory(store, CONV)).map((t) => t.transition)).toEqual(['opened', 'resolved']);
    expect(transitions(queue.messages).slice(-3)).toEqual(SATISFACTION.map((p) => `2:resolved:${p}`));
  });

  it('does not reopen within the cooldown, then reopens as a new transition', async () => {
    const { store, queue, deps } = await setup(
      convRule({ resolveAfter: 1, cooldownDays: 2 }),
      [0.012, 0.035, 0.012, 0.012, 0.012],
    );

    const run = await detectAnomaliesBetween('2026-11-18', '2026-11-22', deps);

    const held = run.days.slice(2, 4).map((d) => d.results.find((r) => r.incident === CONV)?.held);
    expect(held).toEqual(['cooldown', 'cooldown']);
    expect(run.opened.map((o) => o.period)).toEqual(['2026-11-18', '2026-11-22']);
    expect((await readIncidentHistory(store, CONV)).map((t) => `${t.seq}:${t.transition}`)).toEqual([
      '1:opened',
      '2:resolved',
      '3:opened',
    ]);
    expect(new Set(queue.messages.map((m) => (m.kind === 'alert' ? m.seq : -1)))).toEqual(new Set([1, 2, 3]));
  });

  it('re-running detection for the same day makes no second transition and enqueues nothing new', async () => {
    const { store, queue, deps } = await setup(convRule(), [0.035, 0.012]);
    await detectAnomalies('2026-11-22', deps);
    const before = queue.messages.length;

    const again = await detectAnomalies('2026-11-22', deps);

    expect(again.opened).toEqual([]);
    expect(again.judged).toBe(0);
    expect(again.results.every((r) => r.outcome === 'already_judged')).toBe(true);
    expect(queue.messages.length).toBe(before);
    expect((await readIncident(store, CONV))?.seq).toBe(1);
  });

  it('of two concurrent runs for the same day only one opens the incident', async () => {
    const { store, queue, deps } = await setup(convRule(), [0.035, 0.012]);

    const [a, b] = await Promise.all([detectAnomalies('2026-11-22', deps), detectAnomalies('2026-11-22', deps)]);

    expect([...a.opened, ...b.opened]).toEqual([CONV]);
    expect(await readIncidentHistory(store, CONV)).toHaveLength(1);
    // The loser may re-queue the winner's outbox; the sender's ledger sends each delivery key once.
    expect(new Set(queue.messages.map(deliveryKey)).size).toBe(3);
  });

  it('a transition whose messages were not queued (a failed run) is queued by the next run', async () => {
    const { store, queue, deps } = await setup(convRule(), [0.035, 0.012, 0.011]);
    const broken = { enqueue: async () => Promise.reject(new Error('SQS unavailable')) };
    await expect(detectAnomalies('2026-11-21', { ...deps, queue: broken })).rejects.toThrow('SQS unavailable');
    expect((await readIncident(store, CONV))?.outbox).toHaveLength(1);

    await detectAnomalies('2026-11-22', deps);

    expect(transitions(queue.messages)).toEqual(SATISFACTION.map((p) => `1:opened:${p}`));
    expect((await readIncident(store, CONV))?.outbox).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { missingKpiSubject, ruleSubject } from '#shared/detection/detect.ts';
import { alertMessages, routeIncident } from '#shared/incidents/routing.ts';
import { configWith } from './support.ts';

const config = configWith([
  { id: 'dau_drop', kpi: 'dau', all: [{ deviation: { direction: 'down' } }], plan: 'outage' },
  { id: 'nps_floor', kpi: 'nps', all: [{ breach: 'target' }] },
  { id: 'reads_floor', kpi: 'content_reads', all: [{ breach: 'target' }] },
  { id: 'conv_named', kpi: 'conversion_rate', all: [{ breach: 'alarm' }], plan: 'outage' },
]);
const rule = (id: string) => ruleSubject(config.alerts.rules.find((r) => r.id === id)!, config);
const ids = (r: ReturnType<typeof routeIncident>) => r.recipients.map((p) => p.id);

describe('routing', () => {
  it("uses the rule's own plan first, even over a plan listing the KPI", () => {
    const route = routeIncident(rule('conv_named'), config);
    expect(route).toMatchObject({ via: 'named', plan: { id: 'outage' } });
    expect(ids(route)).toEqual(['tech_ops_manager', 'it_ops']);
  });

  it('else the plan that lists the KPI: first responder, then whoever else to tell', () => {
    const route = routeIncident(rule('nps_floor'), config);
    expect(route).toMatchObject({ via: 'kpi', plan: { id: 'satisfaction' } });
    expect(ids(route)).toEqual(['user_ops_lead', 'product', 'customer_service']);
  });

  it('missing data goes to the plan for that kind of problem before the KPI owner', () => {
    const route = routeIncident(missingKpiSubject(config, 'conversion_rate', undefined, 'day'), config);
    expect(route).toMatchObject({ via: 'kind', plan: { id: 'outage' } });
  });

  it('with no plan for the KPI or the kind, the administrators are told', () => {
    const route = routeIncident(rule('reads_floor'), config);
    expect(route.via).toBe('fallback');
    expect(route.plan).toBeUndefined();
    expect(ids(route)).toEqual(['tech_ops_manager', 'ops_director']);
  });

  it('one message per recipient and transition, each person once', () => {
    const plan = { ...config.responsePlans[0]!, alsoTell: ['it_ops', 'tech_ops_manager'] };
    const route = routeIncident(rule('dau_drop'), { ...config, responsePlans: [plan] });
    const messages = alertMessages({ id: 'rule:dau_drop:*:deviation' }, { seq: 3, transition: 'escalated' }, route);
    expect(messages).toEqual([
      {
        kind: 'alert',
        incidentId: 'rule:dau_drop:*:deviation',
        transition: 'escalated',
        seq: 3,
        recipientId: 'tech_ops_manager',
      },
      {
        kind: 'alert',
        incidentId: 'rule:dau_drop:*:deviation',
        transition: 'escalated',
        seq: 3,
        recipientId: 'it_ops',
      },
    ]);
  });
});

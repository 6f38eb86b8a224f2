// Who acts on an incident: the response plan named by its rule (or expected event), else the plan that lists its
// KPI, else the plan that lists its kind of problem. Missing data asks the kind first: a KPI with no data is an
// outage for whoever runs the pipeline, not for the KPI's business owner.
import type { NightshiftConfig, Person, ResponsePlan } from '#shared/config/schema.ts';
import type { AlertDelivery, DeliveryMessage, DeliveryQueue } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import { type Incident, type IncidentSubject, markDelivered, type Recorded, type Transition } from './incidents.ts';

export interface Route {
  plan?: ResponsePlan;
  /** How the plan was found; 'fallback': no plan fits, so the administrators are told. */
  via: 'named' | 'kpi' | 'kind' | 'fallback';
  /** First responder first, then the plan's alsoTell; each person once. */
  recipients: Person[];
}

export function planFor(
  subject: Pick<IncidentSubject, 'plan' | 'kpi' | 'kind'>,
  config: NightshiftConfig,
): Pick<Route, 'plan' | 'via'> {
  const plans = config.responsePlans;
  if (subject.plan) {
    const named = plans.find((p) => p.id === subject.plan);
    if (named) return { plan: named, via: 'named' };
  }
  const byKpi = subject.kpi ? plans.find((p) => p.kpis.includes(subject.kpi!)) : undefined;
  const byKind = plans.find((p) => p.problems.includes(subject.kind));
  const order: Array<[ResponsePlan | undefined, Route['via']]> =
    subject.kind === 'missing_data'
      ? [
          [byKind, 'kind'],
          [byKpi, 'kpi'],
        ]
      : [
          [byKpi, 'kpi'],
          [byKind, 'kind'],
        ];
  for (const [plan, via] of order) if (plan) return { plan, via };
  return { via: 'fallback' };
}

export function routeIncident(
  subject: Pick<IncidentSubject, 'plan' | 'kpi' | 'kind'>,
  config: NightshiftConfig,
): Route {
  const found = planFor(subject, config);
  const people = new Map(config.people.map((p) => [p.id, p]));
  const ids = found.plan
    ? [found.plan.firstResponder, ...found.plan.alsoTell]
    : config.people.filter((p) => p.role === 'administrator').map((p) => p.id);
  const recipients = [...new Set(ids)].map((id) => people.get(id)).filter((p): p is Person => p !== undefined);
  return { ...found, recipients };
}

/** One delivery message per recipient of a transition: the sender's ledger makes each one a single mail. */
export function alertMessages(
  incident: Pick<Incident, 'id'>,
  transition: Pick<Transition, 'seq' | 'transition'>,
  route: Pick<Route, 'recipients'>,
): AlertDelivery[] {
  return route.recipients.map((p) => ({
    kind: 'alert',
    incidentId: incident.id,
    transition: transition.transition,
    seq: transition.seq,
    recipientId: p.id,
  }));
}

/**
 * Routes and enqueues every transition waiting in an incident's outbox, then clears those outboxes (once per
 * incident, however often it was recorded). Used by detection and by the watchdog.
 */
export async function deliverTransitions(
  recorded: Iterable<Recorded>,
  deps: { config: NightshiftConfig; store: StateStore; queue: DeliveryQueue },
): Promise<number> {
  const messages: DeliveryMessage[] = [];
  const done: Array<{ id: string; seqs: number[] }> = [];
  const seen = new Set<string>();
  for (const rec of recorded) {
    if (rec.deliver.length === 0 || seen.has(rec.incident.id)) continue;
    seen.add(rec.incident.id);
    const route = routeIncident(rec.incident, deps.config);
    for (const t of rec.deliver) messages.push(...alertMessages(rec.incident, t, route));
    done.push({ id: rec.incident.id, seqs: rec.deliver.map((t) => t.seq) });
  }
  if (messages.length > 0) await deps.queue.enqueue(messages);
  for (const d of done) await markDelivered(deps.store, d.id, d.seqs);
  return messages.length;
}

// Incidents as reports show them: those open during a report's period, or opened or resolved in it, as they stood when
// the report was made (from each incident's history of transitions), not as they stand now.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import {
  periodEndDate as endDate,
  type Incident,
  type Observation,
  readIncidentHistory,
  readIncidents,
  type Transition,
} from '#shared/incidents/incidents.ts';
import { routeIncident } from '#shared/incidents/routing.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, type PeriodId, periodBounds, shiftPeriod } from '#shared/time/calendar.ts';
import type { ReportIncident } from './model.ts';
import { type Audience, incidentAudience } from './scope.ts';

/** An incident as the report's source gives it: with whom it concerns, which the loader scopes by and then drops. */
export interface SourcedIncident extends ReportIncident {
  audience: Audience;
}

export function toReportIncident(incident: Incident, config: NightshiftConfig): SourcedIncident {
  const { recipients, plan } = routeIncident(incident, config);
  const responder = plan
    ? (config.people.find((p) => p.id === plan.firstResponder)?.name ?? plan.firstResponder)
    : (recipients[0]?.name ?? 'administrators');
  const kpi = incident.kpi ? config.kpis.find((k) => k.id === incident.kpi) : undefined;
  const out: SourcedIncident = {
    title: incident.title,
    state: incident.status !== 'open' ? 'resolved' : incident.escalated ? 'escalated' : 'open',
    severity: incident.severity,
    openedAt: incident.openedAt ?? incident.updatedAt,
    firstResponder: responder,
    // What it is about: an open one's latest judgement; a resolved one's worst (its last one is the normal period
    // that resolved it, told apart in `resolution`).
    summary: (incident.status === 'open' ? incident.last : (incident.worst ?? incident.trigger ?? incident.last))
      .summary,
    audience: incidentAudience(incident, config),
  };
  const first = incident.firstPeriod ?? incident.openedPeriod;
  if (first) out.firstPeriod = first;
  if (incident.openedPeriod) out.openedPeriod = incident.openedPeriod;
  if (out.state === 'resolved') {
    if (incident.resolvedPeriod) out.resolvedPeriod = incident.resolvedPeriod;
    // The transition that resolved it keeps the judgement that did; later normal periods do not replace it.
    const resolved = incident.lastTransition?.transition === 'resolved' ? incident.lastTransition : undefined;
    const at = resolved?.at ?? incident.resolvedAt;
    if (at) out.resolution = { at, ...(resolved ? { summary: resolved.observation.summary } : {}) };
  }
  if (kpi) out.kpi = kpi.name;
  return out;
}

/** Whether an incident's period is an hour of live checks ('2026-11-23T01') or a check run ('2026-11-23T02:00'). */
const isInstant = (period: string) => period.includes('T');

/**
 * Whether a report of the period ending on `last`, made at `asOf`, knew of a judgement: one of a day, week or month
 * when that period had ended by `last` (detection judges it in the night after, before the report); one of an hour
 * or a check run in the period, or in the night after it by `asOf` (the watchdog and the checks run in that night).
 * Judgements of a later period are never known, however much later the report is made.
 */
function knownTo(last: string, asOf: number) {
  return (period: string, at?: string): boolean => {
    const date = endDate(period);
    if (date <= last) return true;
    return isInstant(period) && date === addDays(last, 1) && at !== undefined && Date.parse(at) <= asOf;
  };
}

/** The first unusual period of an episode opened by `opened`: the run of values before it, or its streak. */
function firstPeriodOf(opened: Transition, openAfter: number): string {
  const before = (opened.observation.runPeriods ?? []).filter((p) => p < opened.period).sort();
  if (before[0]) return before[0];
  return openAfter > 1 && !isInstant(opened.period) ? shiftPeriod(opened.period, -(openAfter - 1)) : opened.period;
}

/**
 * An incident as it stood for a report (`known`, see knownTo), or undefined if it had not opened by then. The record
 * is the incident now; when a transition has happened since, its state then is rebuilt from the transitions known:
 * an incident resolved since is open, one escalated since is not escalated, one reopened since is its earlier episode.
 */
async function incidentThen(
  store: StateStore,
  incident: Incident,
  known: (period: string, at?: string) => boolean,
): Promise<Incident | undefined> {
  if (incident.openedPeriod === undefined) return undefined;
  const latest = incident.lastTransition;
  // A resolved incident's record takes the next observation's severity (ready to reopen): its severity then is in its
  // history.
  const since =
    incident.status === 'resolved' && incident.last.period > (incident.resolvedPeriod ?? incident.last.period);
  if (latest === undefined || (known(latest.period, latest.at) && !since)) {
    // What it stood at then: its latest judgement, unless that is of a later period than the report's.
    return known(incident.last.period) || !latest ? incident : { ...incident, last: latest.observation };
  }
  const history = (await readIncidentHistory(store, incident.id)).filter((t) => known(t.period, t.at));
  const start = history.findLastIndex((t) => t.transition === 'opened');
  if (start < 0) return undefined;
  const episode = history.slice(start);
  const opened = episode[0]!;
  const now = episode.at(-1)!;
  const resolved = now.transition === 'resolved' ? now : undefined;
  const escalation = episode.findLast((t) => t.transition === 'escalated');
  const worst = episode
    .filter((t) => t.transition !== 'resolved')
    .map((t) => t.observation)
    .reduce<Observation>((w, o) => (o.magnitude > w.magnitude ? o : w), opened.observation);
  const then: Incident = {
    ...incident,
    status: resolved ? 'resolved' : 'open',
    // A resolution keeps the severity people were told (its own judgement is of a normal period).
    severity: episode.findLast((t) => t.transition !== 'resolved')!.severity,
    escalated: escalation !== undefined,
    openedPeriod: opened.period,
    openedAt: opened.at,
    firstPeriod:
      incident.openedPeriod === opened.period ? incident.firstPeriod : firstPeriodOf(opened, incident.openAfter),
    trigger: opened.observation,
    worst,
    last: now.observation,
    lastTransition: now,
  };
  for (const key of ['escalatedAt', 'resolvedPeriod', 'resolvedAt'] as const) delete then[key];
  if (escalation) then.escalatedAt = escalation.at;
  if (resolved) {
    then.resolvedPeriod = resolved.period;
    then.resolvedAt = resolved.at;
  }
  return then;
}

/**
 * The report loader's `incidents` source (see shared/reporting/load.ts): most severe and newest first, as they stood
 * when the report was made (`asOf`; default: now). Besides those open during the period or resolved in it, incidents
 * opened in the night after it and still open then: the morning report tells of a job the watchdog caught missing or
 * a check that failed while the night processed the period.
 */
export function reportIncidents(
  store: StateStore,
  config: NightshiftConfig,
): (period: PeriodId, asOf?: number) => Promise<SourcedIncident[]> {
  return async (period, asOf = Number.POSITIVE_INFINITY) => {
    const { first, last } = periodBounds(period);
    const known = knownTo(last, asOf);
    const all = await Promise.all((await readIncidents(store)).map((i) => incidentThen(store, i, known)));
    const overlapping = all.filter(
      (i): i is Incident =>
        i?.openedPeriod !== undefined &&
        (i.status === 'open'
          ? endDate(i.openedPeriod) <= addDays(last, 1)
          : endDate(i.openedPeriod) <= last && i.resolvedPeriod !== undefined && endDate(i.resolvedPeriod) >= first),
    );
    overlapping.sort(
      (a, b) =>
        Number(b.severity === 'critical') - Number(a.severity === 'critical') ||
        (b.openedAt ?? '').localeCompare(a.openedAt ?? ''),
    );
    return overlapping.map((i) => toReportIncident(i, config));
  };
}

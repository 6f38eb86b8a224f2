// Incidents as reports show them: those open during a report's period, or opened or resolved in it.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { periodEndDate as endDate, type Incident, readIncidents } from '#shared/incidents/incidents.ts';
import { routeIncident } from '#shared/incidents/routing.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, type PeriodId, periodBounds } from '#shared/time/calendar.ts';
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

/**
 * The report loader's `incidents` source (see shared/reporting/load.ts): most severe and newest first. Besides those open
 * during the period or resolved in it, incidents opened in the night after it and still open: the morning report
 * tells of a job the watchdog caught missing or a check that failed while the night processed the period.
 */
export function reportIncidents(
  store: StateStore,
  config: NightshiftConfig,
): (period: PeriodId) => Promise<SourcedIncident[]> {
  return async (period) => {
    const { first, last } = periodBounds(period);
    const all = await readIncidents(store);
    const overlapping = all.filter(
      (i) =>
        i.openedPeriod !== undefined &&
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

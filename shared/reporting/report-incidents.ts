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
    summary: (incident.status === 'open' ? incident.last : (incident.worst ?? incident.last)).summary,
    audience: incidentAudience(incident, config),
  };
  const first = incident.firstPeriod ?? incident.openedPeriod;
  if (first) out.firstPeriod = first;
  if (incident.openedPeriod) out.openedPeriod = incident.openedPeriod;
  if (out.state === 'resolved' && incident.resolvedPeriod) out.resolvedPeriod = incident.resolvedPeriod;
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

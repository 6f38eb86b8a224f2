// Who may see what in a report (DESIGN.md, "Who may see what"). Administrators and analysts see every KPI at its
// company-wide value, every incident, check and the pipeline (personal data is masked for every role before it
// reaches a report). An operations specialist sees their own department's KPIs, a KPI split by department only as
// their department's slice (never the company-wide value), and only the incidents, checks and pipeline details that
// concern their department or are routed to them (their response plans make them a first responder or tell them).
import { type CheckKind, problemKindOf } from '#shared/checks/result.ts';
import type { Kpi, NightshiftConfig, Person } from '#shared/config/schema.ts';
import type { Incident } from '#shared/incidents/incidents.ts';
import { routeIncident } from '#shared/incidents/routing.ts';

/** The event property (DESIGN.md's envelope, `properties.department`) a KPI is split by department on. */
export const DEPARTMENT_PROPERTY = 'department';

/** Whom an item of a report concerns: departments it is about, and people it is routed to (by person id). */
export interface Audience {
  departments: string[];
  people: string[];
}

export const isSpecialist = (person: Pick<Person, 'role'>): boolean => person.role === 'specialist';

/** A KPI with a value per department: a specialist may see only their own department's slice of it. */
export function splitByDepartment(kpi: Pick<Kpi, 'scopeBy'>): boolean {
  return kpi.scopeBy === DEPARTMENT_PROPERTY;
}

/**
 * KPIs of a list that a person may see: specialists their own department's (none without a department),
 * analysts and administrators all.
 */
export function kpisFor<K extends Pick<Kpi, 'department'>>(kpis: readonly K[], person: Person): K[] {
  if (!isSpecialist(person)) return [...kpis];
  return kpis.filter((k) => k.department !== undefined && k.department === person.department);
}

/** Whether a person may see an item with this audience; a specialist never sees one whose audience is unknown. */
export function maySee(person: Person, audience: Audience | undefined): boolean {
  if (!isSpecialist(person)) return true;
  if (!audience) return false;
  if (audience.people.includes(person.id)) return true;
  return person.department !== undefined && audience.departments.includes(person.department);
}

/**
 * Whom an incident concerns: the department of its KPI (for a KPI split by department, only the department it is
 * scoped to: an incident about the company-wide value belongs to no department), and the people it is routed to.
 */
export function incidentAudience(
  incident: Pick<Incident, 'kpi' | 'scope' | 'plan' | 'kind'>,
  config: NightshiftConfig,
): Audience {
  const kpi = incident.kpi === undefined ? undefined : config.kpis.find((k) => k.id === incident.kpi);
  const departments =
    kpi === undefined
      ? []
      : splitByDepartment(kpi)
        ? incident.scope === undefined
          ? []
          : [incident.scope]
        : kpi.department === undefined
          ? []
          : [kpi.department];
  return { departments, people: routeIncident(incident, config).recipients.map((p) => p.id) };
}

/** Whom a check result concerns: the people its incident would be routed to (checks belong to no department). */
export function checkAudience(check: { id: string; kind: string }, config: NightshiftConfig): Audience {
  const configured = [...config.checks.backups, ...config.checks.reconciliations].find(
    (c) => c.id === check.id || `${c.id}_restore` === check.id,
  );
  const kind = problemKindOf(check.kind as CheckKind);
  const route = routeIncident({ kind, ...(configured?.plan ? { plan: configured.plan } : {}) }, config);
  return { departments: [], people: route.recipients.map((p) => p.id) };
}

/**
 * Whom the pipeline's health concerns: the people the watchdog's incidents go to (a job that failed or did not
 * run, events that stopped arriving). Its figures are the whole company's traffic, so no department's.
 */
export function pipelineAudience(config: NightshiftConfig): Audience {
  const people = new Set<string>();
  for (const kind of ['job_failed', 'missing_data'] as const) {
    for (const p of routeIncident({ kind }, config).recipients) people.add(p.id);
  }
  return { departments: [], people: [...people] };
}

/** Whether a config's checks have any whose incidents reach this person (else a report leaves the section out). */
export function hasChecksFor(person: Person, config: NightshiftConfig): boolean {
  const checks = [
    ...config.checks.backups.map((c) => ({ id: c.id, kind: c.kind })),
    ...config.checks.reconciliations.map((c) => ({ id: c.id, kind: 'reconciliation' })),
  ];
  return checks.some((c) => maySee(person, checkAudience(c, config)));
}

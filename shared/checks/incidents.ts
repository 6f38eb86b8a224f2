// Failed checks become incidents: one per check, opened by a run that fails it and resolved by the next run that
// does not. They follow the same machinery as KPI incidents (shared/alerts): versioned, deduplicated, routed by the
// response plans (the check's own plan, else the plan that handles backup_failed or data_mismatch) and mailed once
// per transition through the delivery queue.

import type { NightshiftConfig } from '#shared/config/schema.ts';
import type { IncidentSubject, Observation, Recorded, Severity } from '#shared/incidents/incidents.ts';
import { recordObservation } from '#shared/incidents/incidents.ts';
import { deliverTransitions } from '#shared/incidents/routing.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import { clockTime, localParts } from '#shared/time/calendar.ts';
import { type StoredCheckResult, saveCheckResults } from './history.ts';
import { type RestoreJobDeps, validateRestoreJob } from './restore.ts';
import { guarded, type MismatchExample } from './result.ts';
import { type CheckDeps, type CheckRun, type RunChecksOptions, runChecks } from './run.ts';

export interface CheckIncidentDeps {
  config: NightshiftConfig;
  store: StateStore;
  queue: DeliveryQueue;
}

export interface CheckIncidentSummary {
  opened: string[];
  escalated: string[];
  resolved: string[];
  /** Check incidents open after the run. */
  open: string[];
  /** Alert messages put on the delivery queue. */
  enqueued: number;
}

/** Problems and examples an alert lists; the rest are in the stored result and the report. */
const MAX_DETAILS = 6;

const KIND_LABEL: Record<StoredCheckResult['kind'], string> = {
  dynamodb_pitr: 'point-in-time recovery',
  dynamodb_backup: 'on-demand backups',
  aws_backup: 'AWS Backup',
  restore_validation: 'restore test',
  reconciliation: 'reconciliation',
};

/** What a check is about, in words: 'orders (AWS Backup)', 'orders ↔ payments (reconciliation)'. */
export function checkLabel(result: Pick<StoredCheckResult, 'checkId' | 'kind'>, config: NightshiftConfig): string {
  const rec = config.checks.reconciliations.find((r) => r.id === result.checkId);
  if (rec) return `${rec.left.table} ↔ ${rec.right.table} (${KIND_LABEL.reconciliation})`;
  const baseId = result.kind === 'restore_validation' ? result.checkId.replace(/_restore$/, '') : result.checkId;
  const backup = config.checks.backups.find((b) => b.id === baseId);
  return backup ? `${backup.table} (${KIND_LABEL[result.kind]})` : `${result.checkId} (${KIND_LABEL[result.kind]})`;
}

/**
 * The incident subject of a check. A broken backup is critical from the start: the next failure may need it. A
 * reconciliation opens as a warning and escalates when the share of disagreeing items grows clearly.
 */
export function checkSubject(result: StoredCheckResult, config: NightshiftConfig): IncidentSubject {
  const label = checkLabel(result, config);
  return {
    type: 'check',
    key: result.checkId,
    kind: result.problem,
    granularity: 'run',
    title: `${label}: check failed`,
    label,
    severity: severityOf(result),
    ...(result.plan ? { plan: result.plan } : {}),
    openAfter: 1,
    resolveAfter: 1,
    cooldownDays: 0,
  };
}

const severityOf = (result: StoredCheckResult): Severity =>
  result.problem === 'backup_failed' ? 'critical' : 'warning';

/** The period a check run is judged as: its local minute ('2026-11-22T02:00'), so a re-run after a fix counts. */
export function checkPeriod(at: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.date}T${clockTime(p)}`;
}

/** How bad: for a reconciliation the share of keys that disagree, for a backup check 1. */
function magnitudeOf(result: StoredCheckResult): number {
  if (result.kind !== 'reconciliation') return 1;
  const n = (name: string) => (typeof result.figures[name] === 'number' ? (result.figures[name] as number) : 0);
  const wrong = n('mismatched') + n('missingLeft') + n('missingRight');
  const judged = wrong + n('matched');
  return judged > 0 ? wrong / judged : 1;
}

function exampleText(e: MismatchExample): string {
  const what = {
    mismatched: 'amounts differ',
    missing_left: 'missing on the left',
    missing_right: 'missing on the right',
  };
  const amounts = e.left !== undefined || e.right !== undefined ? `: ${e.left ?? '–'} vs ${e.right ?? '–'}` : '';
  return `${e.id} ${what[e.problem]}${amounts}`;
}

export function checkObservation(result: StoredCheckResult, period: string): Observation {
  const failed = result.status === 'fail';
  const details = [
    ...result.problems.slice(0, MAX_DETAILS).map((p, i) => ({ label: i === 0 ? 'Found' : '', value: p })),
    ...(result.examples ?? [])
      .slice(0, MAX_DETAILS)
      .map((e, i) => ({ label: i === 0 ? 'Examples (masked ids)' : '', value: exampleText(e) })),
  ];
  return {
    period,
    anomalous: failed,
    persists: failed,
    severity: severityOf(result),
    magnitude: magnitudeOf(result),
    summary: `${result.checkId}: ${result.summary}`,
    ...(details.length > 0 ? { details } : {}),
  };
}

/**
 * Records one run's results as check observations (a `fail` opens or keeps the check's incident, anything else
 * resolves it) and puts the transitions' alert mails on the delivery queue. Checks not in this run are left as they
 * are: `--only` runs and restore tests judge only their own checks.
 */
export async function raiseCheckIncidents(
  results: readonly StoredCheckResult[],
  at: number,
  deps: CheckIncidentDeps,
): Promise<CheckIncidentSummary> {
  const period = checkPeriod(at, deps.config.timeZone);
  const iso = new Date(at).toISOString();
  const recorded: Recorded[] = [];
  for (const result of results) {
    const subject = checkSubject(result, deps.config);
    recorded.push(await recordObservation(deps.store, subject, checkObservation(result, period), iso));
  }
  const enqueued = await deliverTransitions(recorded, deps);
  const fresh = recorded.filter((r) => !r.repeated);
  const ids = (t: string) => fresh.filter((r) => r.transition?.transition === t).map((r) => r.incident.id);
  return {
    opened: ids('opened'),
    escalated: ids('escalated'),
    resolved: ids('resolved'),
    open: recorded.filter((r) => r.incident.status === 'open').map((r) => r.incident.id),
    enqueued,
  };
}

export interface NightlyCheckRun extends CheckRun {
  incidents: CheckIncidentSummary;
}

/** The nightly job: every configured check (or `only` these), results stored, incidents opened and resolved. */
export async function runNightlyChecks(
  config: NightshiftConfig,
  deps: CheckDeps & { queue: DeliveryQueue },
  options: RunChecksOptions = {},
): Promise<NightlyCheckRun> {
  const run = await runChecks(config, deps, options);
  const incidents = await raiseCheckIncidents(run.results, Date.parse(run.at), { ...deps, config });
  return { ...run, incidents };
}

/**
 * A completed (or failed) AWS Backup restore test: validates the restored table, reports the verdict to AWS Backup,
 * stores the result as check `<check id>_restore` and opens or resolves its incident.
 */
export async function runRestoreValidation(
  restoreJobId: string,
  config: NightshiftConfig,
  deps: RestoreJobDeps & { store: StateStore; queue: DeliveryQueue; clock?: () => number },
): Promise<{ result: StoredCheckResult; incidents: CheckIncidentSummary }> {
  const at = (deps.clock ?? Date.now)();
  const result = await guarded('restore_validation', 'restore_validation', () =>
    validateRestoreJob(restoreJobId, config, deps),
  );
  const plan = config.checks.backups.find((b) => `${b.id}_restore` === result.checkId)?.plan;
  const [stored] = await saveCheckResults(deps.store, [result], {
    at,
    timeZone: config.timeZone,
    plans: { [result.checkId]: plan },
  });
  const incidents = await raiseCheckIncidents([stored!], at, { ...deps, config });
  return { result: stored!, incidents };
}

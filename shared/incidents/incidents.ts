// Incidents: one per (rule, KPI or event stream; scope; kind of problem), kept in the state table. Each judged period
// moves it along pending -> open -> escalated -> resolved, with "N in a row" against flapping, a cooldown, and one
// history item per transition. Versioned writes let only one of two concurrent runs make a transition, and a period
// judged twice changes nothing. Transitions wait in an outbox until their messages are on the delivery queue.
import { createHash } from 'node:crypto';
import type { NightshiftConfig, PROBLEM_KINDS } from '#shared/config/schema.ts';
import type { AlertDelivery } from '#shared/queue/messages.ts';
import type { Item, StateStore } from '#shared/store/store.ts';
import { daysBetween, type Granularity, granularityOf, periodBounds } from '#shared/time/calendar.ts';

/** What kind of problem an incident is about. */
export type ProblemKind = (typeof PROBLEM_KINDS)[number];
export type Severity = NightshiftConfig['alerts']['rules'][number]['severity'];

export type IncidentStatus =
  /** Nothing wrong (or never was). */
  | 'normal'
  /** Anomalous, but not yet `openAfter` periods in a row, or still in the cooldown of the last incident. */
  | 'pending'
  | 'open'
  /** The last incident resolved; normal since. */
  | 'resolved';
export type TransitionName = AlertDelivery['transition'];
export type IncidentGranularity = Granularity | 'hour' | 'run';
type Range = { min?: number; max?: number };

/** What an incident is about and the policy it follows (from the rule or expected event; refreshed every run). */
export interface IncidentSubject {
  /** A KPI alert rule, a KPI's missing data, an expected event stream, a scheduled job (the watchdog), a check. */
  type: 'rule' | 'kpi' | 'event' | 'job' | 'check';
  /** Rule id, KPI id, event name, 'rollup.schedule' (job and watchdog check) or check id. */
  key: string;
  /** The kind of problem, for routing. */
  kind: ProblemKind;
  /**
   * What the id names when it is not `kind`: a change rule is routed as a deviation problem, but its incident is
   * 'rule:orders_drop:*:change'.
   */
  idKind?: string;
  /**
   * Ids the subject's incident was kept under before (a change rule's ended in ':deviation'). An incident still
   * running under one goes on under it until it is over, so it resolves, and is mailed, under the id it opened with.
   */
  formerIds?: string[];
  scope?: string;
  kpi?: string;
  rule?: string;
  event?: string;
  /** Of the judged periods; 'hour' for live checks of event streams and the watchdog; 'run' for check runs. */
  granularity: IncidentGranularity;
  /** 'Conversion rate: alarm bounds', 'No "Page Viewed" events': how reports and mails name it. */
  title: string;
  /** What is measured: 'Conversion rate (content)', '"Page Viewed" events'. */
  label: string;
  /** Severity it opens with (an observation may ask for more); an incident keeps the severity it escalated to. */
  severity: Severity;
  /** Response plan named by the rule or expected event. */
  plan?: string;
  openAfter: number;
  resolveAfter: number;
  /** 0 = may reopen at once. */
  cooldownDays: number;
}

/** One judged period. */
export interface Observation {
  /** '2026-11-22', '2026-W47', '2026-11'; live '2026-11-22T14'; a check run '2026-11-22T02:00'. */
  period: string;
  /** The problem is there: may start a streak and open an incident. */
  anomalous: boolean;
  /** Looser: keeps a running streak or incident going (e.g. still outside the expected band). */
  persists: boolean;
  severity: Severity;
  /** How bad, relative (0.4 = 40% off); escalation compares it with what people were last told. */
  magnitude: number;
  /** 'Conversion rate 1.18% below alarm floor 2.00%' */
  summary: string;
  value?: number | null;
  expected?: number | null;
  lower?: number | null;
  upper?: number | null;
  score?: number;
  target?: Range;
  alarm?: Range;
  /** Deviation rules: the period is an outlier the engine should leave out of the baseline. */
  outlier?: 'strict' | 'loose';
  /** Earlier periods of the run of values that decided a deviation: an incident it opens is about them too. */
  runPeriods?: string[];
  /**
   * Expected-event days: the day ended in a silence it judged a stop, still running at midnight. The next day answers
   * only for its own hours of that silence: this day reported it.
   */
  silenceRunsOn?: boolean;
  /** Further facts an alert lists (a check's problems and examples); an empty label continues the one above. */
  details?: Array<{ label: string; value: string }>;
}

export interface Transition {
  /** Counts every transition of the incident id, across reopenings: the `seq` of its delivery messages. */
  seq: number;
  transition: TransitionName;
  period: string;
  /** ISO 8601 instant. */
  at: string;
  severity: Severity;
  observation: Observation;
}

export interface Incident extends IncidentSubject {
  /** Stable per subject, printable ASCII: 'rule:conversion_floor:*:target_breach'. */
  id: string;
  status: IncidentStatus;
  /** Transitions so far. */
  seq: number;
  /** Optimistic-concurrency version of the stored item. */
  version: number;
  /** Last judged period: judging it (or an earlier one) again is a no-op. */
  lastPeriod: string;
  /** Anomalous periods in a row, and normal ones in a row. */
  streak: number;
  normalStreak: number;
  /** Anomalous periods of the current (or last) incident. */
  periods: number;
  /** First period of the running streak of anomalous periods. */
  streakFrom?: string;
  /** First anomalous period of the current (or last) incident: with `openAfter` > 1, before the one that opened it. */
  firstPeriod?: string;
  /**
   * Periods before the streak that the run of values which opened the incident spans. They join the outliers when it
   * resolves, so the same run, still within the last 7 or 14 values, does not read as a new shift after a recovery;
   * while it is open they stay in the baseline, where the runs that keep it open need them.
   */
  runPeriods?: string[];
  openedPeriod?: string;
  openedAt?: string;
  escalated: boolean;
  escalatedAt?: string;
  resolvedPeriod?: string;
  resolvedAt?: string;
  /** Magnitude when people were last told (opened or escalated). */
  notifiedMagnitude: number;
  /** The observation that opened the current incident, the worst one, and the latest one. */
  trigger?: Observation;
  worst?: Observation;
  last: Observation;
  /** Recent periods a deviation rule judged unusual; left out of the engine's baseline (newest last). */
  outliers: string[];
  lastTransition?: Transition;
  /** Transitions whose messages are not on the delivery queue yet. */
  outbox: Transition[];
  updatedAt: string;
}

export class IncidentError extends Error {
  override name = 'IncidentError';
}

/** Escalate when the magnitude is this many times what people were last told ... */
export const ESCALATE_RATIO = 1.5;
/** ... and at least this much more (0.1 = ten points of relative distance). */
export const ESCALATE_MIN_STEP = 0.1;
/** Missing data for this many periods in a row is critical. */
export const MISSING_CRITICAL_AFTER = 3;
/** Outlier periods remembered: a shifted level that has lasted longer than this becomes the new baseline. */
export const MAX_OUTLIERS = 28;
const MAX_OUTBOX = 20;
const MAX_ATTEMPTS = 5;

const TRACKER_PK = 'INCIDENT';
const historyPk = (id: string) => `INCIDENT#${id}`;
const historySk = (seq: number) => `T#${String(seq).padStart(6, '0')}`;

/** An id part as printable ASCII; other text is slugged and made unique with a hash. */
function idPart(text: string): string {
  if (/^[A-Za-z0-9_.-]{1,80}$/.test(text)) return text;
  const slug = text.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60);
  return `${slug}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

export function incidentId(subject: Pick<IncidentSubject, 'type' | 'key' | 'scope' | 'kind' | 'idKind'>): string {
  const scope = subject.scope === undefined ? '*' : idPart(subject.scope);
  return `${subject.type}:${idPart(subject.key)}:${scope}:${subject.idKind ?? subject.kind}`;
}

const RANK: Record<Severity, number> = { warning: 0, critical: 1 };
const maxSeverity = (a: Severity, b: Severity): Severity => (RANK[a] >= RANK[b] ? a : b);

/** The local date a period ends on (a live check's hour or a check run's minute: its day). */
export function periodEndDate(period: string): string {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}(:\d{2})?$/.test(period)) return period.slice(0, 10);
  return granularityOf(period) === 'day' ? period : periodBounds(period).last;
}

function inCooldown(inc: Incident, period: string): boolean {
  if (inc.cooldownDays <= 0 || !inc.resolvedPeriod) return false;
  return daysBetween(periodEndDate(inc.resolvedPeriod), periodEndDate(period)) <= inc.cooldownDays;
}

export interface Step {
  incident: Incident;
  transition?: Transition;
  /** Why an anomalous period did not open an incident: not yet `openAfter` in a row, or the cooldown. */
  held?: 'open_after' | 'cooldown';
}

/**
 * The next state of an incident after one judged period (pure). Opening needs `openAfter` anomalous periods in a
 * row; once a streak or incident runs, periods that only `persist` keep it going; `resolveAfter` normal periods in a
 * row resolve it. It escalates (and becomes critical) when the observation asks for a higher severity, or its
 * magnitude is clearly beyond what people were last told.
 */
export function advance(prev: Incident | undefined, subject: IncidentSubject, obs: Observation, at: string): Step {
  const inc = carriedForward(prev, subject, obs, at);
  const active = inc.status === 'open' || inc.streak > 0;
  const bad = obs.anomalous || (active && obs.persists);
  if (obs.outlier === 'strict' || (obs.outlier === 'loose' && active)) {
    inc.outliers = [...inc.outliers.filter((p) => p !== obs.period), obs.period].slice(-MAX_OUTLIERS);
  }
  if (bad) {
    if (inc.streak === 0) inc.streakFrom = obs.period;
    inc.streak++;
    inc.normalStreak = 0;
  } else {
    inc.streak = 0;
    inc.normalStreak++;
  }
  const { transition, held } =
    inc.status === 'open'
      ? { transition: advanceOpen(inc, subject, obs, bad, at), held: undefined }
      : advanceClosed(inc, subject, obs, bad, at);
  if (!transition) return held ? { incident: inc, held } : { incident: inc };
  inc.seq++;
  const t: Transition = { seq: inc.seq, transition, period: obs.period, at, severity: inc.severity, observation: obs };
  inc.lastTransition = t;
  inc.outbox = [...inc.outbox, t].slice(-MAX_OUTBOX);
  return { incident: inc, transition: t };
}

/** The incident before judging `obs`: the stored one with its policy refreshed from config, or a new normal one. */
function carriedForward(prev: Incident | undefined, subject: IncidentSubject, obs: Observation, at: string): Incident {
  // A stored incident keeps its id: one kept under a former id (findIncident) goes on under it.
  const id = prev?.id ?? incidentId(subject);
  const { formerIds: _formerIds, ...policy } = subject;
  const seen = { last: obs, lastPeriod: obs.period, updatedAt: at };
  if (!prev) {
    return {
      ...policy,
      id,
      status: 'normal',
      seq: 0,
      version: 0,
      streak: 0,
      normalStreak: 0,
      periods: 0,
      escalated: false,
      notifiedMagnitude: 0,
      outliers: [],
      outbox: [],
      ...seen,
    };
  }
  // An open incident's severity is what people were told: a subject that opens with 'warning' must not undo an
  // escalation to critical.
  return {
    ...prev,
    ...policy,
    id,
    severity: prev.status === 'open' ? prev.severity : subject.severity,
    outliers: [...prev.outliers],
    outbox: [...prev.outbox],
    ...seen,
  };
}

/** Missing data turns critical after a few periods in a row; otherwise the observation's severity. */
function severityAfter(subject: IncidentSubject, obs: Observation, periods: number): Severity {
  return subject.kind === 'missing_data' && periods >= MISSING_CRITICAL_AFTER ? 'critical' : obs.severity;
}

/** An open incident escalates when it gets clearly worse than people were told, and resolves after normal periods. */
function advanceOpen(
  inc: Incident,
  subject: IncidentSubject,
  obs: Observation,
  bad: boolean,
  at: string,
): TransitionName | undefined {
  if (!bad) {
    if (inc.normalStreak < inc.resolveAfter) return undefined;
    inc.status = 'resolved';
    inc.resolvedPeriod = obs.period;
    if (inc.runPeriods) inc.outliers = [...new Set([...inc.outliers, ...inc.runPeriods])].sort().slice(-MAX_OUTLIERS);
    delete inc.runPeriods;
    inc.resolvedAt = at;
    return 'resolved';
  }
  inc.periods++;
  if (!inc.worst || obs.magnitude > inc.worst.magnitude) inc.worst = obs;
  const worse =
    obs.magnitude >= inc.notifiedMagnitude * ESCALATE_RATIO &&
    obs.magnitude - inc.notifiedMagnitude >= ESCALATE_MIN_STEP;
  if (RANK[severityAfter(subject, obs, inc.periods)] <= RANK[inc.severity] && !worse) return undefined;
  inc.severity = 'critical';
  inc.escalated = true;
  inc.escalatedAt = at;
  inc.notifiedMagnitude = Math.max(inc.notifiedMagnitude, obs.magnitude);
  return 'escalated';
}

/** A normal, pending or resolved incident opens after `openAfter` bad periods in a row, outside its cooldown. */
function advanceClosed(
  inc: Incident,
  subject: IncidentSubject,
  obs: Observation,
  bad: boolean,
  at: string,
): { transition?: TransitionName; held?: Step['held'] } {
  if (!bad) {
    if (inc.status === 'pending') inc.status = inc.resolvedAt ? 'resolved' : 'normal';
    return {};
  }
  if (inc.streak < inc.openAfter || inCooldown(inc, obs.period)) {
    inc.status = 'pending';
    return { held: inc.streak < inc.openAfter ? 'open_after' : 'cooldown' };
  }
  inc.status = 'open';
  // Decided by a run of values that began before the streak: the incident is about the run's periods too.
  const runBefore = (obs.runPeriods ?? []).filter((p) => p < (inc.streakFrom ?? obs.period)).sort();
  inc.periods = inc.streak + runBefore.length;
  inc.firstPeriod = runBefore[0] ?? inc.streakFrom ?? obs.period;
  if (runBefore.length > 0) inc.runPeriods = runBefore;
  else delete inc.runPeriods;
  inc.openedPeriod = obs.period;
  inc.openedAt = at;
  inc.escalated = false;
  delete inc.escalatedAt;
  delete inc.resolvedPeriod;
  delete inc.resolvedAt;
  inc.severity = maxSeverity(subject.severity, severityAfter(subject, obs, inc.periods));
  inc.notifiedMagnitude = obs.magnitude;
  inc.trigger = obs;
  inc.worst = obs;
  return { transition: 'opened' };
}

function toItem(inc: Incident): Item {
  return { pk: TRACKER_PK, sk: inc.id, ...inc };
}

function fromItem(item: Item): Incident {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as unknown as Incident;
}

export async function readIncident(store: StateStore, id: string): Promise<Incident | undefined> {
  const item = await store.get('state', TRACKER_PK, id);
  return item ? fromItem(item) : undefined;
}

/**
 * A subject's stored incident and the id it is kept under when judging `period`: its own id, or a former one
 * (`formerIds`) whose incident is still running (open, pending, or resolved and within its cooldown) while nothing is
 * stored under its own. An incident opened before its subject's id changed so still resolves; once it is over, the
 * subject's own id takes over and the old record stays readable as it was.
 */
export async function findIncident(
  store: StateStore,
  subject: IncidentSubject,
  period: string,
): Promise<{ id: string; incident?: Incident }> {
  const id = incidentId(subject);
  const own = await readIncident(store, id);
  if (own) return { id, incident: own };
  for (const former of subject.formerIds ?? []) {
    const incident = await readIncident(store, former);
    if (!incident) continue;
    const running =
      incident.status === 'open' ||
      incident.status === 'pending' ||
      (incident.status === 'resolved' && inCooldown(incident, period));
    if (running) return { id: former, incident };
  }
  return { id };
}

/** Every incident record (all subjects ever judged), optionally only those in the given states. */
export async function readIncidents(store: StateStore, status?: readonly IncidentStatus[]): Promise<Incident[]> {
  const out: Incident[] = [];
  for await (const item of store.query('state', TRACKER_PK)) {
    const inc = fromItem(item);
    if (!status || status.includes(inc.status)) out.push(inc);
  }
  return out;
}

/** Every transition of an incident id, oldest first. */
export async function readIncidentHistory(store: StateStore, id: string): Promise<Transition[]> {
  const out: Transition[] = [];
  for await (const item of store.query('state', historyPk(id), { prefix: 'T#' })) {
    const { pk: _pk, sk: _sk, id: _id, ...t } = item;
    out.push(t as unknown as Transition);
  }
  return out;
}

export interface Recorded extends Step {
  /** The period had been judged before: nothing changed. */
  repeated: boolean;
  /** Transitions to put on the delivery queue: this one, and any earlier ones a failed run left in the outbox. */
  deliver: Transition[];
}

/**
 * Records one judged period of a subject. Safe to run twice and concurrently: a period at or before the last judged
 * one changes nothing, and of two concurrent writers only one passes the version check (the other re-reads).
 */
export async function recordObservation(
  store: StateStore,
  subject: IncidentSubject,
  obs: Observation,
  at: string,
): Promise<Recorded> {
  const found = await findIncident(store, subject, obs.period);
  const { id } = found;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const prev = attempt === 0 ? found.incident : await readIncident(store, id);
    if (prev && prev.lastPeriod >= obs.period) return { incident: prev, repeated: true, deliver: prev.outbox };
    const step = advance(prev, subject, obs, at);
    step.incident.version = (prev?.version ?? 0) + 1;
    const written = await store.put(
      'state',
      toItem(step.incident),
      prev ? { ifVersion: prev.version } : { ifAbsent: true },
    );
    if (!written) continue;
    if (step.transition) {
      await store.put('state', { pk: historyPk(id), sk: historySk(step.transition.seq), id, ...step.transition });
    }
    return { ...step, repeated: false, deliver: step.incident.outbox };
  }
  throw new IncidentError(`incident ${id}: gave up after ${MAX_ATTEMPTS} concurrent updates`);
}

/** Takes delivered transitions out of an incident's outbox. */
export async function markDelivered(store: StateStore, id: string, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const inc = await readIncident(store, id);
    if (!inc?.outbox.some((t) => seqs.includes(t.seq))) return;
    const next: Incident = {
      ...inc,
      outbox: inc.outbox.filter((t) => !seqs.includes(t.seq)),
      version: inc.version + 1,
    };
    if (await store.put('state', toItem(next), { ifVersion: inc.version })) return;
  }
  throw new IncidentError(`incident ${id}: could not clear its outbox after ${MAX_ATTEMPTS} attempts`);
}

// Detection: judges every alert rule for the period that ends on a local day, the KPIs those rules read (no value is
// missing data), and every expected event stream; records each as an observation of its incident, and puts the
// resulting transitions on the delivery queue, one message per recipient.
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type DataStart, readDataStart, readDayFigures } from '#shared/events/day-figures.ts';
import {
  findIncident,
  type IncidentStatus,
  type IncidentSubject,
  incidentId,
  type Observation,
  type Recorded,
  readIncident,
  recordObservation,
  type TransitionName,
} from '#shared/incidents/incidents.ts';
import { deliverTransitions } from '#shared/incidents/routing.ts';
import type { StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  addDays,
  clockTime,
  dateRange,
  type LocalDate,
  localDate,
  localHour,
  localParts,
  periodLabel,
  yesterday,
} from '#shared/time/calendar.ts';
import {
  type ExpectedEvent,
  judgeDay,
  lastEventsBefore,
  liveSilence,
  readEventTimes,
  type SilenceEvaluation,
} from './event-silence.ts';
import {
  type AlertRule,
  evaluateRule,
  kpiLabel,
  kpiOf,
  type RuleCondition,
  type RuleEvaluation,
  type RuleOutcome,
  ruleIdKind,
  ruleKind,
  rulePeriodFor,
} from './rules.ts';
import { foldDay, readProfile, writeProfile } from './stream-profile.ts';

/** A request detection cannot honour, e.g. judging a day that has not ended. */
export class DetectError extends Error {
  override name = 'DetectError';
}

/**
 * Detection judges whole days: a day that has not ended at `now` in the config's zone (today, or later) would be
 * judged on part of its data and then count as judged, so its real judgement could never happen. Refused.
 */
export function assertEnded(date: LocalDate, deps: Pick<DetectDeps, 'config' | 'now'>): void {
  const { timeZone } = deps.config;
  const now = deps.now();
  if (date < localDate(now, timeZone)) return;
  const p = localParts(now, timeZone);
  throw new DetectError(
    `${date} has not ended yet in ${timeZone} (it is ${p.date} ${clockTime(p)} there): detection judges whole days, the latest ` +
      `being ${yesterday(now, timeZone)}; judge it once it is over (deployed, the hourly detection watches today's ` +
      'event streams as they arrive)',
  );
}

export interface DetectDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
  queue: DeliveryQueue;
}

export interface DetectOptions {
  /**
   * 'day' (default): judge each expected event over the whole day; 'skip': leave event streams to the live check
   * (`detectEventSilence`), as the hourly scheduled run does.
   */
  expectedEvents?: 'day' | 'skip';
}

export interface SubjectResult {
  incident: string;
  title: string;
  period?: string;
  outcome: RuleOutcome | 'silent' | 'arriving' | 'already_judged' | 'not_due';
  status?: IncidentStatus;
  transition?: TransitionName;
  /** Anomalous, but held back: not yet `openAfter` in a row, or in the cooldown. */
  held?: 'open_after' | 'cooldown';
  summary: string;
  /** E.g. "deviation: not enough history yet (...)". */
  notes?: string[];
}

export interface DetectSummary extends Record<string, unknown> {
  date: LocalDate;
  /** Subjects judged (rules, KPIs checked for missing data, event streams); repeats not counted. */
  judged: number;
  opened: string[];
  escalated: string[];
  resolved: string[];
  /** Incidents open after the run, of the subjects it looked at. */
  open: string[];
  /** Messages put on the delivery queue. */
  enqueued: number;
  results: SubjectResult[];
}

const conditionTitle = (c: RuleCondition): string | undefined => {
  if ('breach' in c) return c.breach === 'target' ? 'target' : 'alarm bounds';
  if ('deviation' in c)
    return c.deviation.direction === 'down'
      ? 'unusual drop'
      : c.deviation.direction === 'up'
        ? 'unusual rise'
        : 'unusual value';
  if ('change' in c)
    return `${{ both: 'change', up: 'rise', down: 'drop' }[c.change.direction]} of ${c.change.pct}% or more`;
  if ('missing' in c) return 'no data';
  return undefined;
};

export function ruleSubject(rule: AlertRule, config: NightshiftConfig): IncidentSubject {
  const kpi = kpiOf(config, rule.kpi);
  const parts = rule.all.map(conditionTitle).filter((t): t is string => t !== undefined);
  const scope = rule.scope === undefined ? {} : { scope: rule.scope };
  const kind = ruleKind(rule);
  const idKind = ruleIdKind(rule);
  return {
    type: 'rule',
    key: rule.id,
    rule: rule.id,
    kind,
    // A change rule's incidents were named by its problem kind, ':deviation', before they had their own name.
    ...(idKind ? { idKind, formerIds: [incidentId({ type: 'rule', key: rule.id, ...scope, kind })] } : {}),
    kpi: kpi.id,
    ...scope,
    granularity: rule.granularity,
    title: `${kpiLabel(kpi, rule.scope)}: ${parts.join(' and ')}`,
    label: kpiLabel(kpi, rule.scope),
    severity: rule.severity,
    ...(rule.plan ? { plan: rule.plan } : {}),
    openAfter: rule.openAfter,
    resolveAfter: rule.resolveAfter,
    cooldownDays: rule.cooldownDays,
  };
}

/** A KPI that alert rules read and that has no value: missing data, one incident per KPI and scope. */
export function missingKpiSubject(
  config: NightshiftConfig,
  kpiId: string,
  scope: string | undefined,
  granularity: AlertRule['granularity'],
): IncidentSubject {
  const kpi = kpiOf(config, kpiId);
  return {
    type: 'kpi',
    key: kpi.id,
    kind: 'missing_data',
    kpi: kpi.id,
    ...(scope === undefined ? {} : { scope }),
    granularity,
    title: `${kpiLabel(kpi, scope)}: no data`,
    label: kpiLabel(kpi, scope),
    severity: 'warning',
    openAfter: 1,
    resolveAfter: 1,
    cooldownDays: 0,
  };
}

export function eventSubject(expected: ExpectedEvent, granularity: 'day' | 'hour'): IncidentSubject {
  return {
    type: 'event',
    key: expected.event,
    event: expected.event,
    kind: 'missing_data',
    granularity,
    title: `No "${expected.event}" events`,
    label: `"${expected.event}" events`,
    severity: 'warning',
    ...(expected.plan ? { plan: expected.plan } : {}),
    openAfter: 1,
    // Live checks run hourly: two hours of flow again before "resolved".
    resolveAfter: granularity === 'hour' ? 2 : 1,
    cooldownDays: 0,
  };
}

function ruleObservation(ev: RuleEvaluation, rule: AlertRule): Observation {
  const obs: Observation = {
    period: ev.period,
    anomalous: ev.outcome === 'anomalous',
    persists: ev.persists,
    severity: rule.severity,
    magnitude: ev.magnitude,
    summary: ev.summary,
    value: ev.value,
  };
  if (ev.expected !== undefined) Object.assign(obs, { expected: ev.expected, lower: ev.lower, upper: ev.upper });
  if (ev.score !== undefined) obs.score = ev.score;
  if (ev.target) obs.target = ev.target;
  if (ev.alarm) obs.alarm = ev.alarm;
  if (ev.outlier) obs.outlier = ev.outlier;
  if (ev.runPeriods) obs.runPeriods = ev.runPeriods;
  return obs;
}

function silenceObservation(s: SilenceEvaluation): Observation {
  return {
    period: s.period,
    anomalous: s.anomalous,
    persists: s.anomalous,
    severity: s.severity,
    magnitude: s.magnitude,
    summary: s.summary,
    value: s.count,
    ...(s.runsOn ? { silenceRunsOn: true } : {}),
  };
}

/** Collects results and the transitions to deliver during one run. */
class Run {
  readonly results: SubjectResult[] = [];
  readonly recorded: Recorded[] = [];
  judged = 0;

  add(subject: IncidentSubject, rec: Recorded, outcome: SubjectResult['outcome'], notes: string[] = []): void {
    if (!rec.repeated) this.judged++;
    this.recorded.push(rec);
    const r: SubjectResult = {
      incident: rec.incident.id,
      title: subject.title,
      period: rec.incident.lastPeriod,
      outcome: rec.repeated ? 'already_judged' : outcome,
      status: rec.incident.status,
      summary: rec.incident.last.summary,
    };
    if (rec.transition) r.transition = rec.transition.transition;
    if (rec.held) r.held = rec.held;
    if (notes.length) r.notes = notes;
    this.results.push(r);
  }

  /** Routes and enqueues every transition waiting in an outbox, then clears those outboxes. */
  deliver(deps: DetectDeps): Promise<number> {
    return deliverTransitions(this.recorded, deps);
  }

  summary(date: LocalDate, enqueued: number): DetectSummary {
    const fresh = this.results.filter((r) => r.outcome !== 'already_judged');
    const ids = (t: TransitionName) => fresh.filter((r) => r.transition === t).map((r) => r.incident);
    return {
      date,
      judged: this.judged,
      opened: ids('opened'),
      escalated: ids('escalated'),
      resolved: ids('resolved'),
      open: [...new Set(this.results.filter((r) => r.status === 'open').map((r) => r.incident))],
      enqueued,
      results: this.results,
    };
  }
}

/**
 * Detection for local day `date` (normally yesterday): each rule judges the period that ends on that day, the KPIs
 * the rules read are checked for missing values, and (by default) each expected event stream is judged over the
 * day. Idempotent: running it again for the same day makes no transition and enqueues nothing new (except
 * transitions a failed run left undelivered).
 */
export async function detectAnomalies(
  date: LocalDate,
  deps: DetectDeps,
  options: DetectOptions = {},
): Promise<DetectSummary> {
  assertEnded(date, deps);
  const { store, config } = deps;
  const at = new Date(deps.now()).toISOString();
  const run = new Run();
  const cache = new Map<string, Promise<StoredKpiValue[]>>();
  let start: Promise<DataStart | undefined> | undefined;
  const dataStart = () => (start ??= readDataStart(store));

  // KPI presence per (kpi, scope, granularity, period), from the rules that read it.
  const presence = new Map<
    string,
    { kpi: string; scope?: string; rule: AlertRule; period: string; value: boolean; unread?: string }
  >();

  await Promise.all(
    config.alerts.rules.map(async (rule) => {
      const subject = ruleSubject(rule, config);
      const period = rulePeriodFor(rule, kpiOf(config, rule.kpi), date);
      if (!period) {
        run.results.push({ incident: incidentId(subject), title: subject.title, outcome: 'not_due', summary: '' });
        return;
      }
      const { id, incident: existing } = await findIncident(store, subject, period);
      if (existing && existing.lastPeriod >= period) {
        run.add(subject, { incident: existing, repeated: true, deliver: existing.outbox }, 'already_judged');
        return;
      }
      const ev = await evaluateRule(
        rule,
        period,
        { store, config, cache, dataStart },
        { exclude: new Set(existing?.outliers) },
      );
      const notes = ev.conditions.filter((c) => c.notReady).map((c) => `${c.condition}: ${c.detail}`);
      if (
        ev.outcome === 'anomalous' ||
        ev.outcome === 'normal' ||
        ev.outcome === 'no_value' ||
        ev.outcome === 'not_judged'
      ) {
        const key = `${rule.kpi}|${rule.scope ?? ''}|${rule.granularity}|${period}`;
        const hasValue = ev.outcome !== 'no_value';
        const scope = rule.scope === undefined ? {} : { scope: rule.scope };
        const unread = ev.unread ?? presence.get(key)?.unread;
        presence.set(key, {
          kpi: rule.kpi,
          ...scope,
          rule,
          period,
          value: hasValue || !!presence.get(key)?.value,
          ...(unread ? { unread } : {}),
        });
      }
      if (ev.outcome === 'anomalous' || ev.outcome === 'normal') {
        run.add(subject, await recordObservation(store, subject, ruleObservation(ev, rule), at), ev.outcome, notes);
      } else {
        // Not judged (no rollup yet, a pending value, a day the rule does not apply to): the incident's state holds,
        // as if the period had not happened, and a later period goes on from it.
        run.results.push({
          incident: id,
          title: subject.title,
          period,
          outcome: ev.outcome,
          ...(existing ? { status: existing.status } : {}),
          summary: ev.summary,
          ...(notes.length ? { notes } : {}),
        });
      }
    }),
  );

  // A rule with its own `missing` condition owns that problem for its KPI and scope.
  const ownsMissing = (kpi: string, scope: string | undefined, g: string) =>
    config.alerts.rules.some(
      (r) => r.kpi === kpi && r.scope === scope && r.granularity === g && r.all.some((c) => 'missing' in c),
    );
  // A day in `holidays`, or one on which no event at all arrived (a business closed on Sundays), leaves a rate with
  // no value as a matter of course: not missing data. A stream that stopped is the expected-event checks' to judge.
  const emptyDays = [...presence.values()].filter((p) => !p.value && p.rule.granularity === 'day').map((p) => p.period);
  const closed = new Set<string>(emptyDays.filter((d) => config.holidays.includes(d)));
  if (emptyDays.length > 0) {
    const sorted = emptyDays.toSorted();
    for (const f of await readDayFigures(store, sorted[0] as LocalDate, sorted.at(-1) as LocalDate)) {
      if (f.events === 0) closed.add(f.day);
    }
  }
  await Promise.all(
    [...presence.values()].map(async (p) => {
      if (ownsMissing(p.kpi, p.scope, p.rule.granularity)) return;
      const subject = missingKpiSubject(config, p.kpi, p.scope, p.rule.granularity);
      const label = kpiLabel(kpiOf(config, p.kpi), p.scope);
      const when = periodLabel(p.period);
      const why = config.holidays.includes(p.period) ? 'a holiday' : 'no events at all that day';
      const missing = !p.value && !closed.has(p.period);
      const obs: Observation = {
        period: p.period,
        anomalous: missing,
        persists: missing,
        severity: 'warning',
        magnitude: 0,
        summary: p.value
          ? `${label} has a value for ${when}`
          : missing
            ? `${label} has no value for ${when}${p.unread ? `: ${p.unread}` : ''}`
            : `${label} has no value for ${when} (${why}): nothing to compute, not missing data`,
      };
      run.add(subject, await recordObservation(store, subject, obs, at), p.value ? 'normal' : 'no_value');
    }),
  );

  if ((options.expectedEvents ?? 'day') === 'day') await judgeEventDay(date, deps, run, at);

  const enqueued = await run.deliver(deps);
  return run.summary(date, enqueued);
}

async function judgeEventDay(date: LocalDate, deps: DetectDeps, run: Run, at: string): Promise<void> {
  const { store, config } = deps;
  const due: ExpectedEvent[] = [];
  // Streams whose previous day ended in a silence it reported: this day answers for its own hours of it only.
  const reported = new Set<string>();
  for (const e of config.alerts.expectedEvents) {
    const subject = eventSubject(e, 'day');
    const existing = await readIncident(store, incidentId(subject));
    if (existing && existing.lastPeriod >= date) {
      run.add(subject, { incident: existing, repeated: true, deliver: existing.outbox }, 'already_judged');
      continue;
    }
    due.push(e);
    if (existing?.lastPeriod === addDays(date, -1) && existing.last.silenceRunsOn) reported.add(e.event);
  }
  if (due.length === 0) return;
  const times = await readEventTimes(
    store,
    config,
    date,
    due.map((e) => e.event),
  );
  const profiles = new Map(
    await Promise.all(due.map(async (e) => [e.event, await readProfile(store, e.event)] as const)),
  );
  const firstSeen = new Map(due.map((e) => [e.event, profiles.get(e.event)?.firstSeen] as const));
  // A silence that began on an earlier day is judged whole on the day it ends.
  const lastBefore = await lastEventsBefore(store, config, date, firstSeen);
  for (const e of due) {
    const dayTimes = times.get(e.event) ?? [];
    const profile = profiles.get(e.event)!;
    const before = lastBefore.get(e.event);
    const s = judgeDay(e, date, dayTimes, config.timeZone, profile, config.holidays, before, reported.has(e.event));
    const learned = foldDay(profile, date, dayTimes, config.timeZone, config.holidays);
    if (learned !== profile) await writeProfile(store, learned);
    const subject = eventSubject(e, 'day');
    run.add(
      subject,
      await recordObservation(store, subject, silenceObservation(s), at),
      s.anomalous ? 'silent' : 'arriving',
    );
  }
}

/** The live check of event streams at `now` (the hourly scheduled run): hours since each expected event was seen. */
export async function detectEventSilence(deps: DetectDeps): Promise<DetectSummary> {
  const { store, config } = deps;
  const now = deps.now();
  const at = new Date(now).toISOString();
  const hour = localHour(now, config.timeZone);
  const run = new Run();
  const due: ExpectedEvent[] = [];
  for (const e of config.alerts.expectedEvents) {
    const subject = eventSubject(e, 'hour');
    const existing = await readIncident(store, incidentId(subject));
    if (existing && existing.lastPeriod >= hour) {
      run.add(subject, { incident: existing, repeated: true, deliver: existing.outbox }, 'already_judged');
    } else due.push(e);
  }
  const evaluations = due.length ? await liveSilence(store, config, now, due) : [];
  for (const [i, s] of evaluations.entries()) {
    const subject = eventSubject(due[i]!, 'hour');
    const rec = await recordObservation(store, subject, silenceObservation(s), at);
    run.add(subject, rec, s.anomalous ? 'silent' : 'arriving');
  }
  const enqueued = await run.deliver(deps);
  return run.summary(localDate(now, config.timeZone), enqueued);
}

export interface ScheduledSummary extends Record<string, unknown> {
  kpis: Omit<DetectSummary, 'results'>;
  events: Omit<DetectSummary, 'results'>;
}

/**
 * What the hourly scheduled job runs: the rules for `date` (default yesterday; a no-op once judged, so only the run
 * after the rollup does work), then the live check of event streams.
 */
export async function scheduledDetection(deps: DetectDeps, date?: LocalDate): Promise<ScheduledSummary> {
  const day = date ?? yesterday(deps.now(), deps.config.timeZone);
  const { results: _r, ...kpis } = await detectAnomalies(day, deps, { expectedEvents: 'skip' });
  const { results: _e, ...events } = await detectEventSilence(deps);
  return { kpis, events };
}

export interface RangeSummary extends Record<string, unknown> {
  from: LocalDate;
  to: LocalDate;
  opened: Array<{ incident: string; period: string }>;
  escalated: Array<{ incident: string; period: string }>;
  resolved: Array<{ incident: string; period: string }>;
  open: string[];
  enqueued: number;
  days: DetectSummary[];
}

/** Detection for each day from..to in order (backfills, the demo): the same as one nightly run per day. */
export async function detectAnomaliesBetween(
  from: LocalDate,
  to: LocalDate,
  deps: DetectDeps,
  options: DetectOptions = {},
): Promise<RangeSummary> {
  assertEnded(to, deps); // before any day is judged: a range is refused whole
  const days: DetectSummary[] = [];
  for (const day of dateRange(from, to)) days.push(await detectAnomalies(day, deps, options));
  const pick = (t: TransitionName) =>
    days.flatMap((d) =>
      d.results
        .filter((r) => r.outcome !== 'already_judged' && r.transition === t)
        .map((r) => ({ incident: r.incident, period: r.period ?? d.date })),
    );
  return {
    from,
    to,
    opened: pick('opened'),
    escalated: pick('escalated'),
    resolved: pick('resolved'),
    open: days.at(-1)?.open ?? [],
    enqueued: days.reduce((n, d) => n + d.enqueued, 0),
    days,
  };
}

/** Transitions of each kind, and open incidents, a range's run record lists; `detect` itself prints them all. */
export const RECORDED_TRANSITIONS = 100;

/**
 * What a range's run record keeps (`nightshift runs`): its counts and its transitions, not every day's results. Those
 * took some 2.5 KB a day, so a range of half a year passed DynamoDB's 400 KB item limit and the run, its mails sent,
 * was recorded as failed; the incidents keep what each period found. Past `RECORDED_TRANSITIONS` of a kind, the rest
 * are counted under `more` ({ opened: 12 }: 12 more opened than listed).
 */
export function rangeRunRecord(summary: RangeSummary): Record<string, unknown> {
  const outcomes: Record<string, number> = {};
  for (const day of summary.days) for (const r of day.results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const more: Record<string, number> = {};
  const listed = <T>(name: string, list: readonly T[]): T[] => {
    if (list.length > RECORDED_TRANSITIONS) more[name] = list.length - RECORDED_TRANSITIONS;
    return list.slice(0, RECORDED_TRANSITIONS);
  };
  return {
    from: summary.from,
    to: summary.to,
    days: summary.days.length,
    judged: summary.days.reduce((n, d) => n + d.judged, 0),
    enqueued: summary.enqueued,
    opened: listed('opened', summary.opened),
    escalated: listed('escalated', summary.escalated),
    resolved: listed('resolved', summary.resolved),
    open: listed('open', summary.open),
    results: outcomes,
    ...(Object.keys(more).length > 0 ? { more } : {}),
  };
}

// Fills a report model for one recipient from stored state: KPI values and history, scorecard, pipeline health.
// Role scoping happens here, before rendering (the rules are in ./scope.ts): a specialist's model holds only their
// department's KPIs, a KPI split by department as their department's slice only, and only the incidents, checks and
// pipeline details that concern their department or are routed to them.

import type { Kpi, NightshiftConfig, Person, Report } from '#shared/config/schema.ts';
import { partialPeriod } from '#shared/events/closed-days.ts';
import { periodsWithoutEvents, quarantinedTotal, readDataStart, readDayFigures } from '#shared/events/day-figures.ts';
import { type Incident, readIncidents } from '#shared/incidents/incidents.ts';
import { idleReason, JOBS, type JobRun, recentRuns, scheduleKeyOf } from '#shared/jobs/runs.ts';
import { readKpiValues, readScorecards, type ScopeValue, type StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { scorecard } from '#shared/kpi/scorecard.ts';
import { type UnreadName, unreadReason } from '#shared/kpi/unread-names.ts';
import { feedbackFigures, readFeedback } from '#shared/mailer/feedback.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  dayRange,
  type Granularity,
  type PeriodId,
  periodBounds,
  periodDays,
  periodLabel,
  shiftPeriod,
} from '#shared/time/calendar.ts';
import { DEFAULT_THRESHOLDS, judgeStream } from '#shared/watchdog/judge.ts';
import { asRun, dueTimes, periodMs, type RunStream, reportCadence, runStreams } from '#shared/watchdog/schedule.ts';
import { RUNS_READ } from '#shared/watchdog/watchdog.ts';
import type { ReportCheck, ReportIncident, ReportJob, ReportKpi, ReportModel, ReportSection } from './model.ts';
import {
  type Audience,
  checkAudience,
  hasChecksFor,
  isSpecialist,
  kpisFor,
  maySee,
  pipelineAudience,
  splitByDepartment,
} from './scope.ts';

export interface ReportDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
  /**
   * Incidents of the period (from the alerts module) in report form, each with whom it concerns: a specialist sees
   * only those of their department or routed to them (none whose audience is not given). They are as they stood when
   * the report was made (`asOf`, ReportTimes.made), not as they stand now.
   */
  incidents?: (period: PeriodId, asOf: number) => Promise<Array<ReportIncident & { audience?: Audience }>>;
  /** The night's backup and data checks (from the checks module). */
  checks?: (period: PeriodId) => Promise<ReportCheck[]>;
}

const HISTORY: Record<Granularity, number> = { day: 30, week: 12, month: 12 };
/** Same period a week earlier for days; a year earlier for weeks and months. */
const EARLIER: Record<Granularity, number> = { day: -7, week: -52, month: -12 };

export function reportGranularity(report: Report): Granularity {
  return report.period ?? report.schedule.every;
}

/** KPIs a person may see in a report: specialists their own department's, analysts and administrators all. */
export function visibleKpis(report: Report, person: Person, config: NightshiftConfig): Kpi[] {
  const listed = report.kpis === 'all' ? config.kpis : config.kpis.filter((k) => report.kpis.includes(k.id));
  const g = reportGranularity(report);
  return kpisFor(
    listed.filter((k) => k.granularities.includes(g)),
    person,
  );
}

/** No data for the department: what a specialist's row shows when the KPI has no slice for it. */
function noSlice(v: StoredKpiValue): ScopeValue {
  return { value: null, inputs: {}, status: 'no_value', attainment: null, ...(v.target ? { target: v.target } : {}) };
}

/**
 * The sections a person's report shows: a specialist's leaves out the checks when no check's incidents reach them,
 * and the pipeline when its problems are not routed to them.
 */
function sectionsFor(report: Report, person: Person, config: NightshiftConfig): ReportSection[] {
  if (!isSpecialist(person)) return report.sections;
  return report.sections.filter(
    (s) =>
      (s !== 'checks' || hasChecksFor(person, config)) &&
      (s !== 'pipeline' || maySee(person, pipelineAudience(config))),
  );
}

/** Whether a report is a daily one of a day in the config's holidays: its figures are unusual. */
function isHoliday(period: PeriodId, granularity: Granularity, config: NightshiftConfig): boolean {
  return granularity === 'day' && (config.holidays as readonly string[]).includes(period);
}

/** The pipeline of a report without that section: nothing read, nothing to show. */
const NO_PIPELINE: ReportModel['pipeline'] = { stored: null, rejected: null, rejectReasons: {}, jobs: [] };

export async function loadReportModel(
  report: Report,
  period: PeriodId,
  person: Person,
  deps: ReportDeps,
): Promise<ReportModel> {
  const { store, config } = deps;
  const granularity = reportGranularity(report);
  const kpis = visibleKpis(report, person, config);
  const from = shiftPeriod(period, Math.min(-HISTORY[granularity] + 1, EARLIER[granularity]));
  const stored = await Promise.all(kpis.map((k) => readKpiValues(store, k.id, granularity, from, period)));
  const { last } = periodBounds(period);

  const current = stored.map((values) => values.find((v) => v.period === period));
  const ready = current.length > 0 && current.every((v) => v !== undefined && v.asOf >= last);
  const sections = sectionsFor(report, person, config);
  const holiday = isHoliday(period, granularity, config);
  const times = reportTimes(report, period, config, deps.now());
  const incidents = deps.incidents ? await deps.incidents(period, times.made) : [];
  const checks = deps.checks && sections.includes('checks') ? await deps.checks(period) : [];
  const model: ReportModel = {
    report: {
      id: report.id,
      title: report.title,
      period,
      periodLabel: holiday ? `${periodLabel(period)} (holiday)` : periodLabel(period),
      granularity,
      ...(holiday ? { holiday: true as const } : {}),
    },
    recipient: {
      name: person.name,
      email: person.email,
      role: person.role,
      ...(person.department ? { department: person.department } : {}),
    },
    generatedAt: new Date(deps.now()).toISOString(),
    timeZone: config.timeZone,
    dataReady: ready,
    kpis: [],
    incidents: incidents.filter((i) => maySee(person, i.audience)).map(({ audience: _audience, ...i }) => i),
    checks: checks.filter((c) => maySee(person, checkAudience(c, config))),
    pipeline: sections.includes('pipeline') ? await pipelineHealth(store, config, period, times) : NO_PIPELINE,
    sections,
  };
  if (!ready) {
    const asOf = current.find((v) => v !== undefined)?.asOf;
    model.notReadyReason = asOf
      ? `KPIs for ${periodLabel(period)} were last rolled up with data through ${asOf}; the rollup for the period has not run yet.`
      : `No KPI rollup has run for ${periodLabel(period)} yet.`;
    return model;
  }

  // A specialist sees only their department's slice of a KPI split by department, in every period: a period
  // without one has no data for them, never the company-wide value in its place.
  const slice = (k: Kpi): string | undefined =>
    isSpecialist(person) && splitByDepartment(k) ? (person.department ?? '') : undefined;
  const scope = (k: Kpi, v: StoredKpiValue | undefined): ScopeValue | undefined => {
    const department = slice(k);
    if (v === undefined || department === undefined) return v;
    return Object.hasOwn(v.byScope ?? {}, department) ? v.byScope![department] : noSlice(v);
  };
  // The period the data begins in, after its first hour, counts only a part of it: as on a closed day, its targets
  // are not judged, and no other period is compared with it.
  const start = await readDataStart(store);
  const partial = partialPeriod(start, granularity, config.timeZone);
  const unjudged = partial === period;
  const comparable = (p: PeriodId, values: Map<PeriodId, ScopeValue | undefined>) =>
    p === partial ? null : (values.get(p)?.value ?? null);
  // Not a single event stored for the period: no data, where a sum of nothing read as 'Revenue 0, missed'.
  const noEvents = (await periodsWithoutEvents(store, [period])).has(period);
  const noValueInputs = new Map<ReportKpi, Record<string, number | null>>();
  model.kpis = kpis.map((k, i) => {
    const values = stored[i]!;
    const byPeriod = new Map(values.map((v) => [v.period, scope(k, v)]));
    const v = byPeriod.get(period)!;
    // Not known yet (next-day retention of a day whose next day has not ended): pending, not "no data". On a day the
    // business was closed it is not judged, known or not.
    const pending = current[i]?.pending === true;
    const nothing = noEvents && !pending && v.status !== 'closed';
    const row: ReportKpi = {
      id: k.id,
      name: k.name,
      unit: k.unit,
      value: pending || nothing ? null : v.value,
      attainment: pending || unjudged || nothing ? null : v.attainment,
      status: v.status === 'closed' || unjudged ? 'closed' : pending ? 'pending' : nothing ? 'no_value' : v.status,
      previous: comparable(shiftPeriod(period, -1), byPeriod),
      samePeriodLastWeek: comparable(shiftPeriod(period, EARLIER[granularity]), byPeriod),
      history: historyOf(period, granularity, byPeriod),
    };
    if (k.decimals !== undefined) row.decimals = k.decimals;
    if (v.target) row.target = v.target;
    const openDays = current[i]?.openDays;
    if (openDays !== undefined && k.target?.per === 'day') row.targetDays = { open: openDays, days: current[i]!.days };
    if (k.weight !== undefined) row.weight = k.weight;
    const department = slice(k);
    if (department) row.department = department;
    // A name the data never had (a typo): why, in place of 'count("Refund Isued") was 0'.
    if (row.status === 'no_value' && !nothing && v.unread?.length) row.noValueReason = unreadSentence(v.unread);
    else if (!department && row.status === 'no_value') noValueInputs.set(row, v.inputs);
    return row;
  });
  if (noValueInputs.size > 0) {
    const days = periodDays(period);
    const figures = await readDayFigures(store, days[0]!, days.at(-1)!);
    const events = figures.reduce((sum, f) => sum + f.events, 0);
    for (const [row, inputs] of noValueInputs) row.noValueReason = noValueReason(events, inputs);
  }

  // Closed on every day of the period (each value says so): the report says why instead of scoring it.
  const closed = current.every((v) => v?.closed !== undefined) ? current[0]?.closed : undefined;
  if (closed) model.closed = closed;
  else if (unjudged && start) {
    model.closed = 'partial';
    model.dataFrom = new Date(start.at).toISOString();
  }

  // The stored scorecard is the company's, and judges a partial period and one without events: score the rows the
  // reader sees instead.
  if (isSpecialist(person) || model.closed === 'partial' || noEvents) {
    const pending = model.kpis.filter((k) => k.status === 'pending').length;
    const card = scorecard(
      kpis.map((k, i) => {
        const row = model.kpis[i]!;
        return { kpi: k, assessment: { ...row, status: row.status === 'pending' ? 'no_value' : row.status } };
      }),
    );
    model.scorecard = scorecardSummary(card, pending);
  } else {
    const [card] = await readScorecards(store, granularity, period, period);
    if (card) {
      const pending = card.pending ?? 0;
      model.scorecard = scorecardSummary(card, pending);
    }
  }
  return model;
}

/** 'No "Refund Isued" event on any of the 21 days counted; did you mean "Refund Issued"?' */
function unreadSentence(unread: readonly UnreadName[]): string {
  const reason = unreadReason(unread);
  return `${reason.charAt(0).toUpperCase()}${reason.slice(1)}${reason.endsWith('?') ? '' : '.'}`;
}

/**
 * Why a KPI had no value for a period whose rollup ran: no events at all, or the inputs of its formula that had
 * nothing to compute from (a count of 0 it divides by, an average of no events).
 */
export function noValueReason(events: number, inputs: Readonly<Record<string, number | null>>): string {
  if (events === 0) return 'No events were stored for this period, so there was nothing to compute it from.';
  const empty = Object.entries(inputs)
    .filter(([input, x]) => (x === null || x === 0) && !/^(cohort|returned) of /.test(input))
    .map(([input, x]) => `${input} ${x === null ? 'had no value' : 'was 0'}`);
  const stored = `${events.toLocaleString('en-US')} stored event${events === 1 ? '' : 's'}`;
  if (empty.length === 0) return `Its formula gave no value from the period's ${stored}.`;
  const list = empty.length === 1 ? empty[0]! : `${empty.slice(0, -1).join(', ')} and ${empty.at(-1)}`;
  return `Nothing to compute it from: ${list}; none of the period's ${stored} is one ${empty.length === 1 ? 'it reads' : 'they read'}.`;
}

function historyOf(
  period: PeriodId,
  granularity: Granularity,
  byPeriod: Map<PeriodId, ScopeValue | undefined>,
): ReportKpi['history'] {
  const out: ReportKpi['history'] = [];
  for (let i = HISTORY[granularity] - 1; i >= 0; i--) {
    const p = shiftPeriod(period, -i);
    out.push({ period: p, value: byPeriod.get(p)?.value ?? null });
  }
  return out;
}

/** The instants a report's jobs and incidents are judged at (see reportTimes). */
export interface ReportTimes {
  /**
   * The end of the grace time of the report's schedule's first due time after the period ends (so the night's rollup,
   * detection and checks count, and the report's own planning run), or `now` if earlier: what was due for the report
   * is judged as it stood then.
   */
  due: number;
  /**
   * When the report is made, up to its schedule's next due time (that of the next period's report): a run that started
   * after `due` for the night of this period, late, counts by then, as `runs` and `watchdog` show it; one of a later
   * night never does, however much later the report is re-made.
   */
  made: number;
}

/** When a report of `period` judges the nightly jobs and the incidents, for a report made at `now`. */
export function reportTimes(report: Report, period: PeriodId, config: NightshiftConfig, now: number): ReportTimes {
  const end = dayRange(periodBounds(period).last, config.timeZone).end;
  const cadence = reportCadence(report.schedule);
  const [due, next] = dueTimes(cadence, config.timeZone, end, end + 3 * periodMs(cadence));
  if (due === undefined) return { due: now, made: now };
  return {
    due: Math.min(now, due + config.jobs.graceMinutes * 60_000),
    made: Math.min(now, next ?? Number.POSITIVE_INFINITY),
  };
}

/**
 * Unique events stored for the period's days and distinct lines quarantined on them, as the nightly rollup counted
 * them from the tables (never added up per delivery), how each nightly job stood for the report (jobHealth), and the
 * mail SES reported bounced or marked as spam on those days.
 */
async function pipelineHealth(
  store: StateStore,
  config: NightshiftConfig,
  period: PeriodId,
  times: ReportTimes,
): Promise<ReportModel['pipeline']> {
  const days = periodDays(period);
  const figures = await readDayFigures(store, days[0]!, days.at(-1)!);
  const jobs = await jobHealth(store, config, times);
  const mail = feedbackFigures(await readFeedback(store, days[0]!, days.at(-1)!));
  if (figures.length < days.length) return { stored: null, rejected: null, rejectReasons: {}, jobs, mail };
  const rejectReasons: Record<string, number> = {};
  for (const f of figures) {
    for (const [reason, n] of Object.entries(f.quarantined)) rejectReasons[reason] = (rejectReasons[reason] ?? 0) + n;
  }
  return {
    stored: figures.reduce((s, f) => s + f.events, 0),
    rejected: figures.reduce((s, f) => s + quarantinedTotal(f), 0),
    rejectReasons,
    jobs,
    mail,
  };
}

const WORST_FIRST = ['failed', 'missed', 'late'] as const;

/** Whether an incident was open at `asOf`: opened by then, and still open or resolved since. */
function openAt(incident: Incident, asOf: number): boolean {
  const opened = incident.openedAt === undefined || Date.parse(incident.openedAt) <= asOf;
  const resolvedSince = incident.resolvedAt !== undefined && Date.parse(incident.resolvedAt) > asOf;
  return opened && (incident.status === 'open' || resolvedSince);
}

/** The runs of a job that count for a stream as of `times`: those started by `times.due`, and late ones (see below). */
function countedRuns(stream: RunStream, runs: readonly JobRun[], times: ReportTimes, config: NightshiftConfig) {
  const started = (r: JobRun) => Date.parse(r.startedAt);
  // A run started after the report's due time still counts for the due runs judged then, up to the next due time
  // not yet judgeable then: a late run of that night, not a run of a later one.
  const grace = config.jobs.graceMinutes * 60_000;
  const span = periodMs(stream.cadence);
  const nextDue = dueTimes(stream.cadence, config.timeZone, times.due - grace, times.due + 2 * span).find(
    (d) => d + grace > times.due,
  );
  const until = Math.min(times.made, (nextDue ?? Number.POSITIVE_INFINITY) - DEFAULT_THRESHOLDS.earlyMs);
  return runs.filter((r) => started(r) <= times.due || started(r) < until);
}

/**
 * Each nightly job as the watchdog sees it when the report is made: the latest due run of each of its schedules as of
 * the report's due time, judged as the watchdog judges it (missed, late, failed), from the runs started by then and
 * the late runs of the same due times started since, up to when the report is made (`times`). So a report made after
 * its due time says a rollup run by hand at 15:58 "ran late", not "did not run", and one re-made days later still does
 * not count the runs of the nights after. A job none of whose due runs can be judged (it never ran, or nothing was due
 * since runs were first recorded) is what a watchdog incident open at the due time says (one resolved since, what
 * opened it), or else what its last counted run says. A job with nothing to do under the config (`idleReason`) is
 * 'not_needed', whatever its runs.
 */
async function jobHealth(store: StateStore, config: NightshiftConfig, times: ReportTimes): Promise<ReportJob[]> {
  const { due } = times;
  // The runs by the due time are read on their own: a week of hourly runs since would crowd them out of one read.
  const byDue = await Promise.all(JOBS.map((job) => recentRuns(store, job, RUNS_READ, due)));
  const since = await Promise.all(
    JOBS.map(async (job) =>
      times.made > due
        ? (await recentRuns(store, job, RUNS_READ, times.made)).filter((r) => Date.parse(r.startedAt) > due)
        : [],
    ),
  );
  const incidents = (await readIncidents(store)).filter((i) => i.type === 'job' && openAt(i, due));
  // Due runs are expected from the first run recorded of any job (Nightshift deployed), as far as the runs read reach.
  const starts = [...byDue, ...since].flat().map((r) => Date.parse(r.startedAt));
  const watchingSince = starts.length > 0 ? Math.min(...starts) : due;

  return JOBS.map((job, i): ReportJob => {
    // Nothing to do under the config (no checks, no alert rules): not judged against its schedule at all.
    const idle = idleReason(config, job);
    if (idle) return { job, status: 'not_needed', note: idle };
    const read = [...since[i]!, ...byDue[i]!];
    // As the job is actually run when the report is made: detection started by hand once a night is judged by that
    // nightly run (asRun).
    const streams = read.length === 0 ? [] : runStreams(config, [job]).map((s) => asRun(s, read, times.made, config));
    const ofStreams = streams.map((s) => countedRuns(s, read, times, config));
    const counted = new Set(ofStreams.flat());
    const last = read.find((r) => counted.has(r));
    const base = { job, ...(last ? { at: last.startedAt } : {}) };
    // A job with no run recorded may not be deployed at all: only the watchdog, which knows, says it is missed.
    const judged = streams.flatMap((stream, k) => {
      const ofStream = ofStreams[k]!;
      // A report's planning has one stream per report; its runs name the report.
      const own = stream.key === undefined ? ofStream : ofStream.filter((r) => scheduleKeyOf(r) === stream.key);
      const { verdicts } = judgeStream(
        {
          stream,
          runs: own,
          truncated: byDue[i]!.length >= RUNS_READ,
          now: due,
          timeZone: config.timeZone,
          graceMinutes: config.jobs.graceMinutes,
          watchingSince,
          thresholds: DEFAULT_THRESHOLDS,
        },
        // Reports go to people who need not read a job's error: the run record has it.
        () => 'the error is in its run record',
      );
      return verdicts.map((verdict) => ({ verdict, last: own[0] }));
    });
    if (judged.length > 0) {
      for (const problem of WORST_FIRST) {
        const found = judged.find((x) => x.verdict.problem === problem);
        if (!found) continue;
        // The run shown beside a schedule missed is that schedule's last one (the weekly report's planning, not the
        // daily's that ran since), or none.
        const at = problem === 'missed' ? found.last?.startedAt : last?.startedAt;
        return { job, ...(at ? { at } : {}), status: problem, note: found.verdict.summary };
      }
      return { ...base, status: 'ok' };
    }
    // The watchdog judges schedules 'missed' (critical) or 'late' (warning), outcomes 'failed'.
    const open =
      incidents.find((x) => x.key === `${job}.outcome`) ?? incidents.find((x) => x.key === `${job}.schedule`);
    if (open) {
      const said = open.status === 'open' ? open.last : (open.trigger ?? open.last);
      const status = open.key.endsWith('.outcome') ? 'failed' : said.severity === 'critical' ? 'missed' : 'late';
      return { ...base, status, note: said.summary };
    }
    if (!last) return { job, status: 'missing' };
    return { ...base, status: last.status === 'failed' ? 'failed' : 'ok' };
  });
}

/** The scorecard's counts as a report shows them: values still pending are counted apart from those without data. */
function scorecardSummary(
  card: { score: number | null; met: number; missed: number; outstanding: number; noValue: number; closed?: number },
  pending: number,
) {
  const { score, met, missed, outstanding, noValue } = card;
  // A scorecard stored before closed days were told apart has no count of them.
  return { score, met, missed, outstanding, noValue: noValue - pending, pending, closed: card.closed ?? 0 };
}

// KPI rollups: daily, ISO-week and month values, each held against its target and weighted into a scorecard. A day
// is read once, into an exact summary of every KPI input (summary.ts), archived and stored; a period's values are the
// merge of its days' summaries, so a late event recomputes its own day and a month end merges 30 summaries instead
// of reading 30 days. Each day read records its unique events, quarantined lines and earliest event.
import type { ObjectArchive } from '#shared/archive/archive.ts';
import type { Kpi, NightshiftConfig } from '#shared/config/schema.ts';
import { type ClosedReason, readClosedDays } from '#shared/events/closed-days.ts';
import { DayArchiveWriter, forEachEventOfClosedDay } from '#shared/events/day-archive.ts';
import { type DayFigures, keptEventNames, saveDayFigures } from '#shared/events/day-figures.ts';
import { clearDirtyDay, countQuarantine, dirtyDays } from '#shared/events/events-store.ts';
import {
  type Formula,
  formulaLookaheadDays,
  formulaTerms,
  parseFormula,
  termSelectors,
} from '#shared/formula/formula.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  addDays,
  dateRange,
  type Granularity,
  granularityOf,
  type LocalDate,
  type PeriodId,
  periodDays,
  periodOf,
  yesterday,
} from '#shared/time/calendar.ts';
import type { KpiResult } from './evaluate.ts';
import {
  readKpiValues,
  readScorecards,
  type ScopeValue,
  type StoredKpiValue,
  type StoredScorecard,
  saveKpiValues,
} from './kpi-store.ts';
import { type EventNote, type PropertyNote, type PropertyRead, PropertyReads } from './property-reads.ts';
import { assess, boundsFor, closedAssessment, scorecard } from './scorecard.ts';
import { type DayRole, DaySummarizer, PeriodMerge, type SummaryInput, summaryInputs, UserNumbers } from './summary.ts';
import { loadDaySummary, saveDaySummary, storedSummaryInputs } from './summary-store.ts';
import { loadNameHistory, type NameHistory, propertiesSeen, saveNameHistory, type UnreadName } from './unread-names.ts';

export interface RollupDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
  /**
   * The raw event archive: every day read is written to it, and a day whose events may have left DynamoDB is read
   * from it (with the late events DynamoDB still holds). Without it, days are read from DynamoDB alone.
   */
  archive?: ObjectArchive;
  /** Called after each day is read (for a progress bar). */
  onDayRead?: (day: LocalDate, events: number) => void;
}

export interface RollupOptions {
  /**
   * Days whose events are read again, their summaries recomputed. Default: every day the periods need. A needed day
   * without a summary holding every input is read in any case.
   */
  reread?: Iterable<LocalDate>;
  /** Read the archive for the re-read days even while DynamoDB still holds them (a backfill). */
  fromArchive?: boolean;
  /**
   * Where the property reads of the days read are added (a backfill shares one across its months, so its notes
   * speak for all of them). Default: the rollup's own.
   */
  propertyReads?: PropertyReads;
}

export interface RollupSummary extends Record<string, unknown> {
  asOf: LocalDate;
  periods: PeriodId[];
  values: number;
  /** Days whose raw events were read (and summaries recomputed). */
  daysRead: number;
  eventsRead: number;
  /** Day summaries merged into the periods' values. */
  daysMerged: number;
  /** Days written to the archive. */
  daysArchived: number;
  /** Properties the formulas read that no event of the days read had (most often a misspelt name). */
  propertyNotes: PropertyNote[];
  /**
   * Event names the formulas or `alerts.expectedEvents` name that no event of the days read had while others did,
   * each with the name seen that it most likely meant.
   */
  eventNotes: EventNote[];
  /** KPIs whose values were stored as no data: their formula names an event or property no counted day had. */
  unread: Array<{ kpi: string; names: UnreadName[] }>;
}

interface Job {
  kpi: Kpi;
  formula: Formula;
  period: PeriodId;
  granularity: Granularity;
  /** Cohort/period days counted so far; empty = pending. */
  days: LocalDate[];
  complete: boolean;
  merge?: PeriodMerge;
  result?: KpiResult;
}

/** Parses every KPI formula once; config validation has already reported any error with its position. */
export function compileKpis(config: NightshiftConfig): Map<string, Formula> {
  return new Map(config.kpis.map((k) => [k.id, parseFormula(k.formula)]));
}

/** Every input of the config's KPIs: what each day summary holds. */
export function configInputs(config: NightshiftConfig): SummaryInput[] {
  const formulas = compileKpis(config);
  return summaryInputs(config.kpis.map((k) => ({ formula: formulas.get(k.id)!, scopeBy: k.scopeBy })));
}

/**
 * Computes and stores the given periods with the events up to and including `asOf` (the last local day that has
 * ended). A period still running is stored as "to date"; a value whose days have not ended yet is pending.
 */
export async function rollupPeriods(
  periods: readonly PeriodId[],
  asOf: LocalDate,
  deps: RollupDeps,
  options: RollupOptions = {},
): Promise<RollupSummary> {
  const { store, config } = deps;
  const formulas = compileKpis(config);
  const inputs = configInputs(config);
  const jobs: Job[] = [];
  /** For each needed day, the merges it feeds and its place in each. */
  const feeds = new Map<LocalDate, Array<{ merge: PeriodMerge; role: DayRole }>>();
  /** One merge per (period, counted days, lookahead): KPIs with the same days share it. */
  const merges = new Map<string, PeriodMerge>();

  for (const period of new Set(periods)) {
    const granularity = granularityOf(period);
    const all = periodDays(period);
    for (const kpi of config.kpis) {
      if (!kpi.granularities.includes(granularity)) continue;
      const formula = formulas.get(kpi.id)!;
      const look = formulaLookaheadDays(formula);
      // A day counts once its data is in: for retention, once the return day has ended too.
      const lastCountable = addDays(asOf, -look);
      const days = all.filter((d) => d <= lastCountable);
      const job: Job = { kpi, formula, period, granularity, days, complete: days.length === all.length };
      if (days.length > 0) {
        const key = `${period} ${days.length} ${look}`;
        let merge = merges.get(key);
        if (merge === undefined) {
          merge = new PeriodMerge(inputs, days.length, look);
          merges.set(key, merge);
          const feed = (day: LocalDate, role: DayRole) => {
            const list = feeds.get(day) ?? [];
            list.push({ merge: merge!, role });
            feeds.set(day, list);
          };
          for (const [index, day] of days.entries()) feed(day, { kind: 'period', index });
          for (let k = 0; k < look; k++) feed(addDays(days.at(-1)!, k + 1), { kind: 'lookahead', index: k });
        }
        job.merge = merge;
      }
      jobs.push(job);
    }
  }

  const needed = [...feeds.keys()].sort();
  const reread = new Set(options.reread ?? needed);
  const toRead = needed.filter((d) => reread.has(d));
  for (const day of needed) {
    if (reread.has(day)) continue;
    const held = await storedSummaryInputs(store, day);
    if (held === undefined || inputs.some((i) => !held.has(i.key))) toRead.push(day);
  }
  for (const day of [...reread].sort()) if (day <= asOf && !feeds.has(day)) toRead.push(day);

  let eventsRead = 0;
  let daysArchived = 0;
  const figures: DayFigures[] = [];
  const configNames = configEventNames(formulas.values());
  const propertyReads = options.propertyReads ?? new PropertyReads();
  for (const day of [...new Set(toRead)].sort()) {
    const read = await summarizeDay(day, inputs, deps, options.fromArchive === true);
    eventsRead += read.events;
    propertyReads.add(read.propertyReads);
    propertyReads.addEventNames(read.eventNames);
    if (read.archived) daysArchived++;
    figures.push({
      day,
      events: read.events,
      quarantined: read.quarantined,
      countedAt: new Date(deps.now()).toISOString(),
      ...(read.firstEventAt === undefined ? {} : { firstEventAt: read.firstEventAt }),
      eventNames: keptEventNames(read.eventNames, configNames),
      properties: propertiesSeen(read.propertyReads),
    });
    deps.onDayRead?.(day, read.events);
  }

  // Each needed day's summary is read once and fed to every period that needs it.
  const users = new UserNumbers();
  const counted = new Map(figures.map((f) => [f.day, f.events]));
  for (const day of needed) {
    const summary = await loadDaySummary(store, day);
    if (summary === undefined) throw new Error(`no summary of ${day} after it was read: was it written?`);
    counted.set(day, summary.events);
    const numbers = users.of(summary);
    for (const { merge, role } of feeds.get(day)!) merge.addDay(summary, role, numbers);
  }
  for (const merge of merges.values()) {
    if (merge.missing.size > 0) throw new Error(`day summaries lack inputs: ${[...merge.missing].join('; ')}`);
  }
  for (const job of jobs) job.result = job.merge?.result(job.formula, job.kpi.scopeBy);

  const kpiFormulas = config.kpis.map((k) => ({ id: k.id, formula: formulas.get(k.id)! }));
  const computedAt = new Date(deps.now()).toISOString();
  const ended = [...new Set(jobs.flatMap((job) => periodDays(job.period)))].filter((d) => d <= asOf);
  const closed = await readClosedDays(store, ended, config.holidays, counted);
  // Names no counted day ever had (a typo reads as no events, and 0 refunds 'met' every day): the days just read and
  // every day counted before, kept in one item. It is saved before the values: it only grows, so a run cut short
  // after it leaves names seen (never one flagged that a day had), and a day read again adds nothing twice.
  const history = await loadNameHistory(store);
  for (const f of figures) history.add(f);
  await saveNameHistory(store, history, configNames);
  const unread = new Map(kpiFormulas.map((k) => [k.id, history.unread(k.formula)]));
  const values = jobs.map((job) => toStoredValue(job, asOf, computedAt, closed, unread.get(job.kpi.id) ?? []));
  const cards = scorecards(values, config, asOf, computedAt);
  await saveKpiValues(store, values, cards);
  await saveDayFigures(store, figures);
  return {
    asOf,
    periods: [...new Set(periods)],
    values: values.length,
    daysRead: new Set(toRead).size,
    eventsRead,
    daysMerged: needed.length,
    daysArchived,
    propertyNotes: propertyReads.notes(kpiFormulas),
    // The deployed rollup's config slice has no alerts (least privilege): its expected events are noted locally only.
    eventNotes: propertyReads.eventNotes(
      kpiFormulas,
      'alerts' in config ? config.alerts.expectedEvents.map((e) => e.event) : [],
    ),
    unread: [...unread].filter(([, names]) => names.length > 0).map(([kpi, names]) => ({ kpi, names })),
  };
}

/**
 * Reads one closed day's events once: summarizes every input, archives the day (with an archive), stores the
 * summary. Idempotent: run again, it writes the same summary and archive.
 */
export async function summarizeDay(
  day: LocalDate,
  inputs: readonly SummaryInput[],
  deps: RollupDeps,
  fromArchive = false,
): Promise<{
  events: number;
  /** Epoch ms of the day's earliest event; undefined for a day without events. */
  firstEventAt: number | undefined;
  quarantined: Record<string, number>;
  archived: boolean;
  propertyReads: PropertyRead[];
  /** The day's events by name. */
  eventNames: Map<string, number>;
}> {
  const summarizer = new DaySummarizer(day, inputs);
  const writer = deps.archive ? new DayArchiveWriter(day) : undefined;
  let firstEventAt: number | undefined;
  const eventNames = new Map<string, number>();
  const [source, quarantined] = await Promise.all([
    forEachEventOfClosedDay(
      { store: deps.store, config: deps.config, now: deps.now(), ...(deps.archive ? { archive: deps.archive } : {}) },
      day,
      (event) => {
        summarizer.add(event);
        writer?.add(event);
        eventNames.set(event.event, (eventNames.get(event.event) ?? 0) + 1);
        if (firstEventAt === undefined || event.ts < firstEventAt) firstEventAt = event.ts;
      },
      { fromArchive },
    ),
    countQuarantine(deps.store, day),
  ]);
  // The archive first: a summary is stored only for a day whose events are safe in the archive.
  if (writer && deps.archive) await writer.write(deps.archive);
  await saveDaySummary(deps.store, summarizer.summary());
  return {
    events: source.events,
    firstEventAt,
    quarantined,
    archived: writer !== undefined,
    propertyReads: summarizer.propertyReads(),
    eventNames,
  };
}

/**
 * A job's value as stored, held against its target: on the days the business was open. A period closed on every day
 * it covers is not judged at all; a per-day target of one closed on some counts the open days only.
 */
function toStoredValue(
  job: Job,
  asOf: LocalDate,
  computedAt: string,
  closedDays: ReadonlyMap<LocalDate, ClosedReason>,
  unread: readonly UnreadName[],
): StoredKpiValue {
  const result = job.result;
  // A value still pending (no day counted yet) is held against the whole period.
  const days = job.days.length > 0 ? job.days : periodDays(job.period);
  const open = days.filter((d) => !closedDays.has(d)).length;
  const closed: ClosedReason | undefined =
    open > 0 ? undefined : days.every((d) => closedDays.get(d) === 'holiday') ? 'holiday' : 'weekday';
  const target = boundsFor(job.kpi.target, closed ? days.length : open);
  // A name the data never had: no data, with why, rather than a count of 0 held against the target.
  const unknown = !closed && result !== undefined && unread.length > 0;
  const scoped = (value: number | null, inputs: Record<string, number | null>): ScopeValue => ({
    value: unknown ? null : value,
    inputs,
    ...(closed ? closedAssessment(target) : assess(unknown ? null : value, target)),
    ...(unknown ? { unread: [...unread] } : {}),
  });
  const stored: StoredKpiValue = {
    kpi: job.kpi.id,
    granularity: job.granularity,
    period: job.period,
    ...scoped(result?.value ?? null, result?.inputs ?? {}),
    days: job.days.length,
    ...(job.days.length > 0 && closed === undefined && open < days.length ? { openDays: open } : {}),
    ...(closed ? { closed } : {}),
    complete: job.complete,
    pending: !result,
    asOf,
    computedAt,
  };
  if (result && job.kpi.scopeBy) {
    stored.byScope = Object.fromEntries(
      Object.entries(result.byScope).map(([scope, v]) => [scope, scoped(v.value, v.inputs)]),
    );
  }
  return stored;
}

function scorecards(
  values: readonly StoredKpiValue[],
  config: NightshiftConfig,
  asOf: LocalDate,
  computedAt: string,
): StoredScorecard[] {
  const byPeriod = new Map<PeriodId, StoredKpiValue[]>();
  for (const v of values) byPeriod.set(v.period, [...(byPeriod.get(v.period) ?? []), v]);
  const kpis = new Map(config.kpis.map((k) => [k.id, k]));
  return [...byPeriod].map(([period, vs]) => ({
    granularity: granularityOf(period),
    period,
    ...scorecard(vs.map((v) => ({ kpi: kpis.get(v.kpi)!, assessment: v }))),
    kpis: Object.fromEntries(vs.map((v) => [v.kpi, v.status])),
    pending: vs.filter((v) => v.pending && v.status !== 'closed').length,
    complete: vs.every((v) => v.complete),
    asOf,
    computedAt,
  }));
}

/** The event names the formulas read: a day's figures keep them whatever else the day had. */
function configEventNames(formulas: Iterable<Formula>): Set<string> {
  const names = new Set<string>();
  for (const formula of formulas) {
    for (const term of formulaTerms(formula)) {
      for (const { event } of termSelectors(term)) if (event !== null) names.add(event);
    }
  }
  return names;
}

/** Day, week and month periods touching the given days, for the granularities the config uses. */
export function periodsForDays(days: Iterable<LocalDate>, config: NightshiftConfig): PeriodId[] {
  const used = new Set(config.kpis.flatMap((k) => k.granularities));
  const out = new Set<PeriodId>();
  for (const day of days) for (const g of used) out.add(periodOf(day, g));
  return [...out].sort();
}

/** The days a rollup is asked for (inclusive); days that have not ended are held as pending. */
export interface RollupRange {
  from: LocalDate;
  to: LocalDate;
}

export interface RangeRollupSummary extends RollupSummary {
  /** Days that were marked for late events when the rollup began and were read again (their marks cleared). */
  lateDays: LocalDate[];
}

/**
 * The rollup of a range of days, as the nightly job (`nightlyRollup`) and `nightshift rollup` run it. It reads the
 * range's ended days again, every day marked for late events (up to its as-of day), and, for a range reaching
 * yesterday, the `recomputeDays` before yesterday; it stores those days and the weeks and months they fall in (and
 * those of the retention cohorts they complete), merged from the day summaries, then clears the marks it read.
 *
 * A range reaching yesterday is rolled up as of yesterday. An older range is rolled up as of the latest day already
 * counted (at least its last day), so recomputing an old day never makes a stored value less complete: it takes no
 * days out of a week or month, nor a retention's return day out of a day.
 */
export async function rollupRange(range: RollupRange, deps: RollupDeps): Promise<RangeRollupSummary> {
  const { store, config } = deps;
  const last = yesterday(deps.now(), config.timeZone);
  const requested = dateRange(range.from, range.to);
  const nightly = range.to >= last;
  // A day read also completes the retention of the cohort days before it (next-day retention of a month's last day
  // is known once the 1st has ended): their periods are merged again too.
  const look = Math.max(0, ...[...compileKpis(config).values()].map(formulaLookaheadDays));
  const counted = nightly ? undefined : await countedThrough(store, addDays(range.from, -look), last, config);
  const asOf = nightly ? last : maxDate(range.to, counted ?? range.to);
  const late = (await dirtyDays(store)).filter((d) => d.day <= asOf);
  const days = new Set([...requested.filter((d) => d <= last), ...late.map((d) => d.day)]);
  if (nightly) for (let i = 0; i <= config.jobs.recomputeDays; i++) days.add(addDays(last, -i));
  const touched = new Set([...requested, ...days]);
  for (const day of days) for (let k = 1; k <= look; k++) touched.add(addDays(day, -k));
  const summary = await rollupPeriods(periodsForDays(touched, config), asOf, deps, { reread: days });
  // Only once the values are stored: a run cut short before this leaves the marks, and the next run reads the days
  // again. A day marked again while it was being rolled up keeps its mark: the next run reads it again.
  for (const d of late) await clearDirtyDay(store, d);
  return { ...summary, lateDays: late.map((d) => d.day).sort() };
}

/**
 * The nightly rollup: yesterday (in the config's time zone), the `recomputeDays` before it, every day that received
 * late events since it was last read, and the weeks and months they fall in, merged from the day summaries.
 */
export async function nightlyRollup(deps: RollupDeps): Promise<RangeRollupSummary> {
  const last = yesterday(deps.now(), deps.config.timeZone);
  return rollupRange({ from: last, to: last }, deps);
}

/**
 * The latest day counted (the as-of day) by a stored scorecard of any granularity, days included, of the periods
 * touching `from`..`last`; at most `last`, undefined when none is stored. Days included: with day granularities only,
 * a day's own scorecard is all that records its return day was counted. Up to `last`: a day marked for late events
 * that the rollup reads may have been counted through a later day than the range.
 */
async function countedThrough(
  store: StateStore,
  from: LocalDate,
  last: LocalDate,
  config: NightshiftConfig,
): Promise<LocalDate | undefined> {
  let through: LocalDate | undefined;
  for (const granularity of new Set(config.kpis.flatMap((k) => k.granularities))) {
    const cards = await readScorecards(store, granularity, periodOf(from, granularity), periodOf(last, granularity));
    for (const card of cards) {
      if (card.asOf <= last && (through === undefined || card.asOf > through)) through = card.asOf;
    }
  }
  return through;
}

const maxDate = (a: LocalDate, b: LocalDate) => (a > b ? a : b);

export interface BackfillOptions {
  /** First local day to recompute. */
  from: LocalDate;
  /** Last local day (default and at most: yesterday). */
  to?: LocalDate;
  /** KPIs the caller asked for (validated; every KPI of the periods is stored again, so scorecards stay whole). */
  kpis?: readonly string[];
}

export class BackfillError extends Error {
  override name = 'BackfillError';
}

/**
 * Recomputes the days from..to exactly from the raw events (the archive, and DynamoDB's events of days still hot),
 * a month at a time, and stores every period touching them: what a new or changed KPI needs for its past.
 */
export async function backfill(
  deps: RollupDeps & { archive: ObjectArchive },
  options: BackfillOptions,
): Promise<RollupSummary & { from: LocalDate; to: LocalDate; kpis: string[] }> {
  const { config } = deps;
  const known = new Set(config.kpis.map((k) => k.id));
  const unknown = (options.kpis ?? []).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new BackfillError(`unknown KPI ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
  }
  const asOf = yesterday(deps.now(), config.timeZone);
  const to = options.to === undefined || options.to > asOf ? asOf : options.to;
  if (options.from > to) throw new BackfillError(`--from ${options.from} is after ${to}, the last day that has ended`);
  const total: RollupSummary = {
    asOf,
    periods: [],
    values: 0,
    daysRead: 0,
    eventsRead: 0,
    daysMerged: 0,
    daysArchived: 0,
    propertyNotes: [],
    eventNotes: [],
    unread: [],
  };
  const propertyReads = new PropertyReads();
  // A month at a time keeps the merges (and memory) to one month's periods.
  for (let first = options.from; first <= to; ) {
    const last = [periodDays(periodOf(first, 'month')).at(-1)!, to].sort()[0]!;
    const days = dateRange(first, last);
    const s = await rollupPeriods(periodsForDays(days, config), asOf, deps, {
      reread: days,
      fromArchive: true,
      propertyReads,
    });
    // Each month's notes are of every month so far: the last ones speak for the whole backfill.
    total.propertyNotes = s.propertyNotes;
    total.eventNotes = s.eventNotes;
    total.periods = [...new Set([...total.periods, ...s.periods])].sort();
    total.values += s.values;
    total.daysRead += s.daysRead;
    total.eventsRead += s.eventsRead;
    total.daysMerged += s.daysMerged;
    total.daysArchived += s.daysArchived;
    first = addDays(last, 1);
  }
  // A recompute with hindsight: a month read before the one where a name first occurs stored its values as no data
  // for a name the backfill then saw. Those periods are merged again (from the summaries just written) against every
  // name seen, so a backfill gives what one run over the range gives, and running it again changes nothing.
  const history = await loadNameHistory(deps.store);
  const formulas = compileKpis(config);
  const stale = await unreadPeriodsToJudgeAgain(deps.store, config, formulas, history, options.from, to);
  if (stale.length > 0) {
    const s = await rollupPeriods(stale, asOf, deps, { reread: [], propertyReads });
    total.values += s.values;
    total.daysMerged += s.daysMerged;
  }
  // Every KPI of the periods was stored: those of them no data for a name, as every name seen judges them.
  total.unread = config.kpis
    .map((k) => ({ kpi: k.id, names: history.unread(formulas.get(k.id)!) }))
    .filter((u) => u.names.length > 0);
  return { ...total, from: options.from, to, kpis: [...(options.kpis ?? config.kpis.map((k) => k.id))] };
}

/**
 * The periods touching from..to with a value judged otherwise than `history` now judges its KPI's names: no data for a
 * name seen since, on a later day of the range, or judged while the range's later days make a name never seen a slip
 * (7 days with events reached). Both are rare; the values read are those of the range.
 */
async function unreadPeriodsToJudgeAgain(
  store: StateStore,
  config: NightshiftConfig,
  formulas: ReadonlyMap<string, Formula>,
  history: NameHistory,
  from: LocalDate,
  to: LocalDate,
): Promise<PeriodId[]> {
  const names = (unread: readonly UnreadName[]) =>
    unread
      .map((u) => `${u.kind} ${u.event ?? ''} ${u.property ?? ''}`)
      .sort()
      .join('\n');
  const out = new Set<PeriodId>();
  for (const kpi of config.kpis) {
    const now = names(history.unread(formulas.get(kpi.id)!));
    for (const g of kpi.granularities) {
      for (const v of await readKpiValues(store, kpi.id, g, periodOf(from, g), periodOf(to, g))) {
        if (v.pending || v.closed) continue;
        if (names(v.unread ?? []) !== now) out.add(v.period);
      }
    }
  }
  return [...out].sort();
}

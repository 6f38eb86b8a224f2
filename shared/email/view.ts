// What the HTML and the text part both show, worked out once: formatted figures, changes, ordering and limits.

import type {
  NotJudgedReason,
  ReportCheck,
  ReportIncident,
  ReportJob,
  ReportKpi,
  ReportModel,
  ReportSection,
} from '#shared/reporting/model.ts';
import { clip, oneLine } from './escape.ts';
import {
  type Change,
  change,
  comparisonLabels,
  formatAttainment,
  formatInstant,
  formatKpiValue,
  formatTarget,
  formatWeight,
  goodDirection,
  instantOnDay,
  longPeriod,
  openedLate,
  periodSpan,
  plural,
  shortPeriod,
  weekdayName,
} from './format.ts';
import { BADGE } from './theme.ts';

/** How much detail fits; stricter levels keep the HTML under Gmail's clipping limit for very large reports. */
export interface Limits {
  /** Longest free text (summaries, reasons) in characters. */
  text: number;
  kpis: number;
  /** Charts at most; KPIs that missed or stood out come first. */
  charts: number;
  incidents: number;
  checks: number;
  rejectReasons: number;
}

export const LIMIT_LEVELS: readonly Limits[] = [
  { text: 600, kpis: 200, charts: 40, incidents: 25, checks: 40, rejectReasons: 8 },
  { text: 240, kpis: 80, charts: 8, incidents: 10, checks: 15, rejectReasons: 5 },
  { text: 140, kpis: 40, charts: 0, incidents: 5, checks: 8, rejectReasons: 3 },
];

export interface KpiView {
  kpi: ReportKpi;
  /** With the department when the row is a department's slice: 'Conversion rate (market)'. */
  name: string;
  /** The status badge's words: 'No data for your department' for a slice with no value. */
  statusLabel: string;
  /** Why a row shows no data, where the model knows (one line, clipped). */
  reason?: string;
  value: string;
  target?: string;
  attainment?: string;
  weight?: string;
  vsPrevious?: Change;
  vsEarlier?: Change;
}

/** An incident as the report shows it: dated by the periods it concerns, not by when detection ran. */
export interface IncidentView extends ReportIncident {
  /** 'Since 25 Nov' (open), 'Lasted 22 Nov 14:00 – 16:00' (resolved); 'Opened 29 Nov 09:00' when no period is known. */
  when: string;
  /** 'Detected 29 Nov 09:00', only when it was opened later than the night after its period (a catch-up run). */
  detected?: string;
  /**
   * A resolved one's first line: when and how it resolved, 'Resolved on 24 Nov: Orders 512'. Its `summary` then tells
   * what it was about at its worst: 'At worst: Orders 295, 41% below expected 500'.
   */
  resolved?: string;
}

/** A nightly job as the pipeline section shows it. */
export interface JobView extends ReportJob {
  /**
   * When it last ran: '3 Oct 01:30'; 'last ran 3 Oct 01:30' beside a due run it did not start, so a run that happened
   * never reads as the one that did not.
   */
  when?: string;
}

export interface ReportView {
  model: ReportModel;
  title: string;
  periodLong: string;
  periodShort: string;
  labels: { previous: string; earlier: string };
  show: (section: ReportSection) => boolean;
  /** Sections in the order the model lists them, without ones that show nothing (e.g. KPI figures when not ready). */
  sections: ReportSection[];
  /** One sentence on what matters: which KPIs missed, which stood out; of a closed period, that it was closed. */
  headline: string;
  /**
   * No target of the period is judged (the business was closed on every day of it, or the data begins during it): no
   * score, and the headline says why.
   */
  closed: boolean;
  /** What stands in place of the score then: 'Closed', 'Partial day'. */
  closedLabel: string;
  /**
   * `noValue` leaves out the `pending` KPIs (their value cannot be known yet); `closed` counts the KPIs not judged
   * because the business was closed.
   */
  counts: {
    score: number | null;
    outstanding: number;
    met: number;
    missed: number;
    noValue: number;
    pending: number;
    closed: number;
  };
  kpis: KpiView[];
  hiddenKpis: number;
  /** KPIs that get a trend chart, in order. */
  chartKpis: ReportKpi[];
  incidents: IncidentView[];
  hiddenIncidents: number;
  /** What the incidents section says when it lists none. */
  noIncidents: string;
  checks: ReportCheck[];
  hiddenChecks: number;
  checkCounts: { pass: number; warn: number; fail: number };
  rejectReasons: Array<[string, number]>;
  hiddenRejectReasons: number;
  jobs: JobView[];
  /** 'Mail: 1 bounce, 0 complaints (ops_director)'; undefined when the pipeline was not read. */
  mailFeedback?: string;
  recipientLine: string;
  limits: Limits;
}

const STATE_ORDER = { escalated: 0, open: 1, resolved: 2 } as const;
const SEVERITY_ORDER = { critical: 0, warning: 1 } as const;
const CHECK_ORDER = { fail: 0, warn: 1, pass: 2 } as const;

export function hasTrend(kpi: ReportKpi): boolean {
  let seen = 0;
  for (const h of kpi.history) if (h.value !== null && Number.isFinite(h.value) && ++seen >= 2) return true;
  return false;
}

export function buildView(model: ReportModel, limits: Limits): ReportView {
  const wanted = new Set(model.sections);
  const figures = model.dataReady;
  const sections = model.sections.filter(
    (s, i) => model.sections.indexOf(s) === i && (figures || !(s === 'scorecard' || s === 'kpis' || s === 'trends')),
  );
  const shown = new Set(sections);
  const text = (s: string) => clip(oneLine(s), limits.text);
  const labels = comparisonLabels(model);

  const counts = {
    score: model.scorecard?.score ?? null,
    outstanding: model.scorecard?.outstanding ?? model.kpis.filter((k) => k.status === 'outstanding').length,
    met: model.scorecard?.met ?? model.kpis.filter((k) => k.status === 'met').length,
    missed: model.scorecard?.missed ?? model.kpis.filter((k) => k.status === 'missed').length,
    noValue: model.scorecard?.noValue ?? model.kpis.filter((k) => k.status === 'no_value').length,
    pending: model.scorecard?.pending ?? model.kpis.filter((k) => k.status === 'pending').length,
    closed: model.scorecard?.closed ?? model.kpis.filter((k) => k.status === 'closed').length,
  };

  const closedLabel = model.closed === 'partial' ? `Partial ${model.report.granularity}` : BADGE.closed.label;
  const kpis = model.kpis.slice(0, limits.kpis).map((kpi): KpiView => {
    const direction = goodDirection(kpi);
    const slice = kpi.department ? ` (${clip(oneLine(kpi.department), 40)})` : '';
    return {
      kpi,
      name: `${clip(oneLine(kpi.name), 120)}${slice}`,
      statusLabel:
        kpi.department && kpi.status === 'no_value'
          ? 'No data for your department'
          : kpi.status === 'closed'
            ? closedLabel
            : BADGE[kpi.status].label,
      ...(kpi.noValueReason ? { reason: clip(oneLine(kpi.noValueReason), 300) } : {}),
      value: kpi.status === 'pending' ? 'pending' : formatKpiValue(kpi, kpi.value),
      target: targetText(kpi),
      attainment: formatAttainment(kpi.attainment),
      weight: formatWeight(kpi.weight),
      vsPrevious: change(kpi.value, kpi.previous, direction),
      vsEarlier: change(kpi.value, kpi.samePeriodLastWeek, direction),
    };
  });

  const missedNames = model.kpis.filter((k) => k.status === 'missed').map((k) => oneLine(k.name));
  const outstandingNames = model.kpis.filter((k) => k.status === 'outstanding').map((k) => oneLine(k.name));
  const pendingNames = model.kpis.filter((k) => k.status === 'pending').map((k) => oneLine(k.name));
  const parts: string[] = [];
  if (model.closed) parts.push(closedSentence(model, model.closed));
  if (missedNames.length) parts.push(`Missed target: ${listNames(missedNames)}.`);
  else if (counts.met + counts.outstanding > 0 && counts.noValue === 0) parts.push('Every KPI with a target met it.');
  if (outstandingNames.length) parts.push(`Outstanding (15%+ better than target): ${listNames(outstandingNames)}.`);
  if (counts.noValue > 0) parts.push(`${plural(counts.noValue, 'KPI')} without data.`);
  if (pendingNames.length) parts.push(`Pending until the days they need have ended: ${listNames(pendingNames)}.`);

  // Charts: KPIs that need attention first, then the rest in table order.
  const rank = { missed: 0, outstanding: 1, no_value: 2, pending: 2, met: 3, no_target: 3, closed: 3 } as const;
  const chartKpis = model.kpis
    .slice(0, limits.kpis)
    .filter(hasTrend)
    .map((k, i) => ({ k, i }))
    .sort((a, b) => rank[a.k.status] - rank[b.k.status] || a.i - b.i)
    .slice(0, limits.charts)
    .sort((a, b) => a.i - b.i)
    .map(({ k }) => k);

  const incidents = [...model.incidents]
    .sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        b.openedAt.localeCompare(a.openedAt),
    )
    .map(
      (i): IncidentView => ({
        ...i,
        title: text(i.title),
        summary: text(i.state === 'resolved' ? `At worst: ${i.summary}` : i.summary),
        ...(i.state === 'resolved' ? { resolved: text(resolvedLine(i, model)) } : {}),
        kpi: i.kpi && text(i.kpi),
        firstResponder: text(i.firstResponder),
        ...incidentDates(i, model),
      }),
    );
  const checks = [...model.checks]
    .map((c, i) => ({ c, i }))
    .sort((a, b) => CHECK_ORDER[a.c.status] - CHECK_ORDER[b.c.status] || a.i - b.i)
    .map(({ c }) => ({ ...c, id: text(c.id), kind: text(c.kind), summary: text(c.summary) }));
  const checkCounts = { pass: 0, warn: 0, fail: 0 };
  for (const c of model.checks) checkCounts[c.status]++;
  const reasons = Object.entries(model.pipeline.rejectReasons)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]): [string, number] => [clip(oneLine(r), 80), n]);

  const { recipient } = model;
  const scope = [recipient.role, recipient.department].filter(Boolean).join(', ');

  return {
    model,
    title: clip(oneLine(model.report.title), 120),
    // A holiday says so beside its date in the body too, not only in the subject.
    periodLong: `${longPeriod(model)}${model.report.holiday ? ' (holiday)' : ''}`,
    periodShort: oneLine(model.report.periodLabel) || shortPeriod(model.report.period),
    labels,
    show: (s) => shown.has(s) && wanted.has(s),
    sections,
    headline: parts.join(' '),
    closed: model.closed !== undefined,
    closedLabel,
    counts,
    kpis,
    hiddenKpis: Math.max(0, model.kpis.length - kpis.length),
    chartKpis,
    incidents: incidents.slice(0, limits.incidents),
    hiddenIncidents: Math.max(0, incidents.length - limits.incidents),
    noIncidents:
      recipient.role === 'specialist'
        ? 'No incidents for your department or routed to you this period.'
        : 'No incidents this period.',
    checks: checks.slice(0, limits.checks),
    hiddenChecks: Math.max(0, checks.length - limits.checks),
    checkCounts,
    rejectReasons: reasons.slice(0, limits.rejectReasons),
    hiddenRejectReasons: Math.max(0, reasons.length - limits.rejectReasons),
    jobs: model.pipeline.jobs.map((j) => {
      if (!j.at) return j;
      const at = formatInstant(j.at, model.timeZone);
      return { ...j, when: j.status === 'missed' ? `last ran ${at}` : at };
    }),
    ...(model.pipeline.mail ? { mailFeedback: mailLine(model.pipeline.mail) } : {}),
    recipientLine: `${clip(oneLine(recipient.name), 80)}${scope ? ` (${oneLine(scope)})` : ''}`,
    limits,
  };
}

/**
 * When an incident is about: from its first unusual period ('Since 25 Nov'), so a detection run days later does not
 * date it by the run; the instant it was opened only when that was later than the night after its period.
 */
function incidentDates(i: ReportIncident, model: ReportModel): Pick<IncidentView, 'when' | 'detected'> {
  const opened = formatInstant(i.openedAt, model.timeZone);
  if (!i.firstPeriod) return { when: `Opened ${opened}` };
  const year = model.report.period.slice(0, 4);
  const when =
    i.state === 'resolved'
      ? `Lasted ${periodSpan(i.firstPeriod, i.resolvedPeriod, year)}`
      : `Since ${shortPeriod(i.firstPeriod, year)}`;
  const late = openedLate(i.openedAt, i.openedPeriod ?? i.firstPeriod, model.timeZone);
  return late ? { when, detected: `Detected ${opened}` } : { when };
}

/** 'Resolved on 24 Nov: Orders 512': the period whose judgement resolved it, and that judgement as detection wrote it. */
function resolvedLine(i: ReportIncident, model: ReportModel): string {
  const year = model.report.period.slice(0, 4);
  const when = i.resolvedPeriod
    ? `on ${shortPeriod(i.resolvedPeriod, year)}`
    : i.resolution
      ? formatInstant(i.resolution.at, model.timeZone)
      : '';
  const how = i.resolution?.summary;
  return `Resolved${when ? ` ${when}` : ''}${how ? `: ${how}` : ''}`;
}

/** The target as shown; a per-day one of a week with closed days says what it counts: '≥ 3,000 for 6 open days of 7'. */
function targetText(kpi: ReportKpi): string | undefined {
  const target = formatTarget(kpi);
  if (target === undefined || kpi.targetDays === undefined) return target;
  return `${target} for ${plural(kpi.targetDays.open, 'open day')} of ${kpi.targetDays.days}`;
}

/** What the report of a period the business was closed all of, or the data begins during, says in place of a score. */
function closedSentence(model: ReportModel, reason: NotJudgedReason): string {
  const { period, granularity } = model.report;
  if (reason === 'partial') {
    const from = model.dataFrom ? ` at ${instantOnDay(model.dataFrom, model.timeZone)}` : ' during it';
    return `Partial ${granularity}: the data begins${from}, so its figures count only a part of it; targets are not judged.`;
  }
  if (granularity !== 'day') return `Closed all ${granularity}: targets are not judged.`;
  const day = `${weekdayName(period)} ${shortPeriod(period)}`;
  return reason === 'holiday'
    ? `Closed on ${day}, a holiday: targets are not judged.`
    : `Closed on ${day}: no events, as on most ${weekdayName(period)}s; targets are not judged.`;
}

function mailLine(mail: NonNullable<ReportModel['pipeline']['mail']>): string {
  if (mail.bounces + mail.complaints === 0) return 'Mail: no bounces or complaints';
  const who = listNames(mail.recipients.map((r) => oneLine(r)));
  return `Mail: ${plural(mail.bounces, 'bounce')}, ${plural(mail.complaints, 'complaint')} (${who})`;
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 4).map((n) => clip(n, 60));
  const more = names.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more`;
  return shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}

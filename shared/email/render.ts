// Turns a report model into what an email needs: a subject that says what matters, an HTML part that reads well in
// Gmail, Outlook and on a phone, a plain-text part, and the trend charts as inline PNGs referenced by cid.

import type { ReportKpi, ReportModel } from '#shared/reporting/model.ts';
import { renderTrendChart } from './chart.ts';
import { clip, oneLine } from './escape.ts';
import { formatInstant, formatKpiValue, plural, shortPeriod } from './format.ts';
import { type ChartRef, renderHtml } from './html.ts';
import { renderText } from './text.ts';
import { buildView, LIMIT_LEVELS, type ReportView } from './view.ts';

export interface InlineImage {
  /** Content-ID without angle brackets; the HTML refers to it as `cid:<cid>`. */
  cid: string;
  filename: string;
  png: Buffer;
}

export interface RenderedReport {
  subject: string;
  html: string;
  text: string;
  images: InlineImage[];
}

/** Gmail clips a message whose HTML is over 102 KB; stay clear of it with room for the MIME encoding. */
export const HTML_BUDGET_BYTES = 95 * 1024;

/**
 * 'Daily report 22 Nov: score 87, 1 KPI missed' — the score, then what needs attention (missed KPIs, open
 * incidents, failed checks and jobs), or 'data not ready' when the rollup did not run, or 'closed' for a period the
 * business was closed.
 */
export function reportSubject(model: ReportModel): string {
  const head = `${clip(oneLine(model.report.title), 80)} ${oneLine(model.report.periodLabel) || shortPeriod(model.report.period)}`;
  const issues: string[] = [];
  const openIncidents = model.incidents.filter((i) => i.state !== 'resolved').length;
  const failedChecks = model.checks.filter((c) => c.status === 'fail').length;
  const jobs = (...statuses: string[]) => model.pipeline.jobs.filter((j) => statuses.includes(j.status)).length;
  if (!model.dataReady) {
    issues.push('data not ready');
  } else if (model.closed === 'partial') {
    // The data begins mid-day: its part of a day is not a day of missed targets.
    const day = model.report.granularity === 'day';
    const from = model.dataFrom ? ` (data from ${formatInstant(model.dataFrom, model.timeZone, !day)})` : '';
    issues.push(`partial ${model.report.granularity}${from}`);
  } else if (model.closed) {
    // Nothing judged on a day the business was closed: 'score 0, 2 KPIs missed' would be every Sunday's subject.
    issues.push('closed');
  } else {
    const score = model.scorecard?.score;
    if (score !== undefined && score !== null && Number.isFinite(score)) issues.push(`score ${Math.round(score)}`);
    const missed = model.scorecard?.missed ?? model.kpis.filter((k) => k.status === 'missed').length;
    const noValue = model.scorecard?.noValue ?? model.kpis.filter((k) => k.status === 'no_value').length;
    if (missed > 0) issues.push(`${plural(missed, 'KPI')} missed`);
    else if (noValue > 0) issues.push(`${plural(noValue, 'KPI')} without data`);
    else if (model.kpis.some((k) => k.status === 'met' || k.status === 'outstanding'))
      issues.push('all KPIs on target');
  }
  if (openIncidents > 0) issues.push(`${plural(openIncidents, 'open incident')}`);
  if (failedChecks > 0) issues.push(`${plural(failedChecks, 'check')} failed`);
  if (model.dataReady) {
    // In the badges' words: a job with no run recorded at all (as any job before a report's period) 'never ran'.
    const [notRun, neverRan, failed, late] = [jobs('missed'), jobs('missing'), jobs('failed'), jobs('late')];
    if (notRun > 0) issues.push(`${plural(notRun, 'job')} did not run`);
    if (neverRan > 0) issues.push(`${plural(neverRan, 'job')} never ran`);
    if (failed > 0) issues.push(`${plural(failed, 'job')} failed`);
    if (late > 0) issues.push(`${plural(late, 'job')} ran late`);
  }
  return issues.length ? `${head}: ${issues.join(', ')}` : head;
}

function chartFor(kpi: ReportKpi, index: number, v: ReportView): { ref: ChartRef; image: InlineImage } {
  const values = kpi.history.map((h) => h.value);
  const chart = renderTrendChart({ values, target: kpi.target, status: kpi.status });
  const slug =
    kpi.id
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .slice(0, 40) || 'kpi';
  const cid = `trend-${index + 1}-${slug}@nightshift.report`;
  const seen = values.filter((x): x is number => x !== null && Number.isFinite(x));
  const low = formatKpiValue(kpi, Math.min(...seen));
  const high = formatKpiValue(kpi, Math.max(...seen));
  const first = kpi.history[0]?.period ?? '';
  const last = kpi.history[kpi.history.length - 1]?.period ?? '';
  const year = v.model.report.period.slice(0, 4);
  const name = clip(oneLine(kpi.name), 120);
  return {
    ref: {
      cid,
      width: chart.width,
      height: chart.height,
      alt: `${name}, ${shortPeriod(first, year)} to ${shortPeriod(last, year)}: low ${low}, high ${high}, latest ${formatKpiValue(kpi, kpi.value)}`,
      firstLabel: shortPeriod(first, year),
      lastLabel: shortPeriod(last, year),
      rangeLabel: `low ${low} · high ${high}`,
    },
    image: { cid, filename: `trend-${slug}.png`, png: chart.png },
  };
}

/** Renders one recipient's report. Pure: the same model gives the same output. */
export function renderReport(model: ReportModel): RenderedReport {
  const subject = reportSubject(model);
  const text = renderText(buildView(model, LIMIT_LEVELS[0]!));
  const charts = new Map<string, { ref: ChartRef; image: InlineImage }>();
  let html = '';
  let view: ReportView | undefined;
  // Very large reports drop detail step by step (fewer charts, shorter lists) rather than be clipped by Gmail.
  for (const limits of LIMIT_LEVELS) {
    view = buildView(model, limits);
    if (view.show('trends')) {
      view.chartKpis.forEach((k) => {
        if (!charts.has(k.id)) charts.set(k.id, chartFor(k, charts.size, view!));
      });
    }
    const refs = new Map(view.chartKpis.filter((k) => charts.has(k.id)).map((k) => [k.id, charts.get(k.id)!.ref]));
    html = renderHtml(view, subject, preheader(model, view), refs);
    if (Buffer.byteLength(html) <= HTML_BUDGET_BYTES) break;
  }
  const used = new Set(view?.show('trends') ? view.chartKpis.map((k) => k.id) : []);
  const images = [...charts].filter(([id]) => used.has(id)).map(([, c]) => c.image);
  return { subject, html, text, images };
}

/** The inbox preview line after the subject. */
function preheader(model: ReportModel, v: ReportView): string {
  if (!model.dataReady)
    return `No KPI figures for ${v.periodShort}: ${oneLine(model.notReadyReason ?? 'the nightly rollup has not finished')}.`;
  return clip(v.headline || v.periodLong, 140);
}

/**
 * The HTML with its cid: images inlined as data: URIs, for a preview file (`nightshift report --out FILE.html`)
 * or a browser. Not for sending: mail clients block data: images, so mail keeps the cid: references.
 */
export function previewHtml(rendered: Pick<RenderedReport, 'html' | 'images'>): string {
  let html = rendered.html;
  for (const image of rendered.images) {
    html = html.replaceAll(`"cid:${image.cid}"`, `"data:image/png;base64,${image.png.toString('base64')}"`);
  }
  return html;
}

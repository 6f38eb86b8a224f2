// The HTML part: nested tables and inline CSS, the one layout Gmail, Outlook (Word engine) and phone clients all
// render alike. Every cell can shrink to a 375 px screen without a media query; the one <style> block only tightens
// padding on small screens. No SVG, scripts, flex, grid or external resources; charts are cid: images.
import { clip, escapeHtml as esc, oneLine } from './escape.ts';
import type { Change } from './format.ts';
import { formatInstant, formatKpiValue, NOT_COUNTED, plural, rejectRate } from './format.ts';
import { BADGE, type BadgeKind, COLOUR, FONT, JOB_BADGE } from './theme.ts';
import type { KpiView, ReportView } from './view.ts';

/** One chart as the HTML references it. */
export interface ChartRef {
  cid: string;
  width: number;
  height: number;
  alt: string;
  firstLabel: string;
  lastLabel: string;
  rangeLabel: string;
}

const MAX_WIDTH = 640;
const TABLE = 'role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"';
const F = `font-family:${FONT};`;
const SMALL = `${F}font-size:12px;line-height:18px;color:${COLOUR.muted};`;
const TONE = { good: COLOUR.good, bad: COLOUR.bad, neutral: COLOUR.muted } as const;

function badge(kind: BadgeKind, label?: string): string {
  const b = BADGE[kind];
  return `<span style="display:inline-block;${F}font-size:11px;line-height:16px;font-weight:600;padding:2px 8px;border-radius:10px;background:${b.bg};color:${b.fg};white-space:nowrap">${esc(label ?? b.label)}</span>`;
}

function heading(text: string, aside = ''): string {
  return `<table ${TABLE}><tr><td style="${F}font-size:13px;line-height:20px;font-weight:700;letter-spacing:.06em;text-transform:uppercase;color:${COLOUR.ink};padding-bottom:8px">${esc(text)}</td>${aside ? `<td align="right" style="${SMALL}padding-bottom:8px">${aside}</td>` : ''}</tr></table>`;
}

function card(inner: string): string {
  return `<tr><td style="padding-top:16px"><table ${TABLE} style="background:${COLOUR.card};border:1px solid ${COLOUR.border};border-radius:12px;border-collapse:separate"><tr><td class="ns-pad" style="padding:20px 24px">${inner}</td></tr></table></td></tr>`;
}

/** CSS for a hairline above a table row's cells, except on the first row. */
function rule(first: boolean): string {
  return first ? '' : `border-top:1px solid ${COLOUR.rule};`;
}

function changeLine(c: Change | undefined, label: string): string {
  if (!c) return `<div style="${SMALL}white-space:nowrap;color:${COLOUR.faint}">– ${esc(label)}</div>`;
  return `<div style="${SMALL}white-space:nowrap"><span style="color:${TONE[c.tone]};font-weight:600">${esc(c.text)}</span> ${esc(label)}</div>`;
}

function header(v: ReportView): string {
  return `<tr><td style="padding:4px 4px 0"><table ${TABLE}><tr><td style="${F}font-size:12px;line-height:18px;font-weight:700;letter-spacing:.14em;text-transform:uppercase;color:${COLOUR.brand}">Nightshift</td><td align="right" style="${SMALL}">${esc(v.periodShort)}</td></tr></table></td></tr>`;
}

function hero(v: ReportView): string {
  const m = v.model;
  let body = `<h1 style="margin:0;${F}font-size:24px;line-height:30px;font-weight:700;color:${COLOUR.ink}">${esc(v.title)}</h1><div style="${F}font-size:15px;line-height:22px;color:${COLOUR.body};padding-top:2px">${esc(v.periodLong)}</div><div style="${SMALL}padding-top:2px">For ${esc(v.recipientLine)}</div>`;
  if (!m.dataReady) {
    body += `<table ${TABLE} style="margin-top:16px"><tr><td style="background:#fffbeb;border:1px solid #fcd34d;border-radius:8px;padding:14px 16px;${F}font-size:14px;line-height:21px;color:#78350f"><strong>Data for ${esc(v.periodShort)} is not ready.</strong> ${esc(m.notReadyReason ?? 'The nightly rollup has not finished.')}<br>KPI figures are left out so that no stale numbers pass as this period's.</td></tr></table>`;
  } else if (v.show('scorecard')) {
    body += scorecard(v);
  } else if (v.headline) {
    body += `<div style="${F}font-size:14px;line-height:21px;color:${COLOUR.body};padding-top:12px">${esc(v.headline)}</div>`;
  }
  return card(body);
}

function scorecard(v: ReportView): string {
  // A period the business was closed, or the data begins during: no score to show, and the headline says why.
  if (v.closed) {
    return `<table ${TABLE} style="margin-top:18px;border-top:1px solid ${COLOUR.rule}"><tr><td style="padding-top:16px"><div style="${SMALL}font-weight:600;letter-spacing:.04em;text-transform:uppercase">Weighted score</div><span style="${F}font-size:32px;line-height:44px;font-weight:700;color:${COLOUR.faint}">${esc(v.closedLabel)}</span></td></tr></table><div style="${F}font-size:14px;line-height:21px;color:${COLOUR.body};padding-top:12px">${esc(v.headline)}</div>`;
  }
  const { score, outstanding, met, missed, noValue } = v.counts;
  const pct = score === null ? 0 : Math.max(0, Math.min(100, Math.round(score)));
  const scoreText =
    score === null
      ? `<span style="${F}font-size:40px;line-height:48px;font-weight:700;color:${COLOUR.faint}">—</span>`
      : `<span class="ns-score" style="${F}font-size:44px;line-height:48px;font-weight:700;color:${COLOUR.ink}">${esc(Math.round(score))}</span><span style="${F}font-size:16px;color:${COLOUR.muted}"> / 100</span>`;
  const bar =
    score === null
      ? ''
      : `<table ${TABLE} style="margin-top:10px"><tr>${pct > 0 ? `<td width="${pct}%" style="background:${COLOUR.brand};height:8px;font-size:0;line-height:0;border-radius:4px 0 0 4px">&nbsp;</td>` : ''}${pct < 100 ? `<td style="background:#e5e7eb;height:8px;font-size:0;line-height:0;border-radius:${pct > 0 ? '0 4px 4px 0' : '4px'}">&nbsp;</td>` : ''}</tr></table>`;
  const stat = (n: number, label: string, colour: string) =>
    `<td width="23.5%" align="center" style="padding:10px 2px;background:#f8fafc;border-radius:8px"><div style="${F}font-size:20px;line-height:24px;font-weight:700;color:${n > 0 ? colour : COLOUR.faint}">${n}</div><div style="${F}font-size:11px;line-height:14px;color:${COLOUR.muted}">${label}</div></td>`;
  const gap = '<td width="2%" style="font-size:0;line-height:0">&nbsp;</td>';
  return `<table ${TABLE} style="margin-top:18px;border-top:1px solid ${COLOUR.rule}"><tr><td style="padding-top:16px"><div style="${SMALL}font-weight:600;letter-spacing:.04em;text-transform:uppercase">Weighted score</div>${scoreText}${bar}</td></tr></table>${v.headline ? `<div style="${F}font-size:14px;line-height:21px;color:${COLOUR.body};padding-top:12px">${esc(v.headline)}</div>` : ''}<table ${TABLE} style="margin-top:14px"><tr>${stat(outstanding, 'Outstanding', BADGE.outstanding.fg)}${gap}${stat(met, 'Met', COLOUR.good)}${gap}${stat(missed, 'Missed', COLOUR.bad)}${gap}${stat(noValue, 'No data', COLOUR.warn)}</tr></table>`;
}

function kpiRow(k: KpiView, first: boolean, v: ReportView): string {
  const meta = [
    k.target ? `Target ${k.target}` : 'No target',
    k.attainment && `${k.attainment} of target`,
    k.weight && `weight ${k.weight}`,
  ]
    .filter(Boolean)
    .join(' · ');
  const b = rule(first);
  const left = `<td style="${b}padding:12px 8px 12px 0;vertical-align:top"><div style="${F}font-size:15px;line-height:21px;font-weight:600;color:${COLOUR.ink}">${esc(k.name)}</div><div style="${SMALL}">${esc(meta)}</div><div style="padding-top:6px">${badge(k.kpi.status, k.statusLabel)}</div>${k.reason ? `<div style="${SMALL}padding-top:4px">${esc(k.reason)}</div>` : ''}</td>`;
  const right = `<td align="right" style="${b}padding:12px 0;vertical-align:top;white-space:nowrap"><div style="${F}font-size:20px;line-height:26px;font-weight:700;color:${k.kpi.value === null ? COLOUR.faint : COLOUR.ink}">${esc(k.value)}</div>${changeLine(k.vsPrevious, v.labels.previous)}${changeLine(k.vsEarlier, v.labels.earlier)}</td>`;
  return `<tr>${left}${right}</tr>`;
}

function kpiSection(v: ReportView): string {
  if (v.kpis.length === 0)
    return card(`${heading('Key figures')}<div style="${SMALL}">No KPIs in this report for your role.</div>`);
  const rows = v.kpis.map((k, i) => kpiRow(k, i === 0, v)).join('');
  const more = v.hiddenKpis
    ? `<div style="${SMALL}padding-top:8px">${plural(v.hiddenKpis, 'more KPI')} in the plain-text version of this email.</div>`
    : '';
  return card(
    `${heading('Key figures', esc(`${v.labels.previous} · ${v.labels.earlier}`))}<table ${TABLE}>${rows}</table>${more}`,
  );
}

function trendSection(v: ReportView, charts: Map<string, ChartRef>): string {
  const items = v.chartKpis.filter((k) => charts.has(k.id));
  if (items.length === 0) return '';
  const rows = items
    .map((k, i) => {
      const c = charts.get(k.id)!;
      const target = v.kpis.find((x) => x.kpi === k)?.target;
      const caption = `${esc(formatKpiValue(k, k.value))}${target ? ` <span style="color:${COLOUR.faint}">· target ${esc(target)}</span>` : ''}`;
      return `<tr><td style="${rule(i === 0)}padding:14px 0 10px"><table ${TABLE}><tr><td style="${F}font-size:14px;line-height:20px;font-weight:600;color:${COLOUR.ink}">${esc(k.name)}</td><td align="right" style="${F}font-size:13px;line-height:20px;font-weight:600;color:${COLOUR.body};white-space:nowrap">${caption}</td></tr></table><img src="cid:${esc(c.cid)}" width="${c.width}" height="${c.height}" alt="${esc(c.alt)}" style="display:block;width:100%;max-width:${c.width}px;height:auto;border:0;margin-top:8px;border-radius:6px"><table ${TABLE}><tr><td style="${F}font-size:11px;line-height:16px;color:${COLOUR.faint};padding-top:4px">${esc(c.firstLabel)}</td><td align="center" style="${F}font-size:11px;line-height:16px;color:${COLOUR.faint};padding-top:4px">${esc(c.rangeLabel)}</td><td align="right" style="${F}font-size:11px;line-height:16px;color:${COLOUR.faint};padding-top:4px">${esc(c.lastLabel)}</td></tr></table></td></tr>`;
    })
    .join('');
  const swatch = (colour: string, dashed: boolean) =>
    `<span style="display:inline-block;width:14px;height:0;border-top:${dashed ? '2px dashed' : '3px solid'} ${colour};vertical-align:middle"></span>`;
  const legend = `${swatch(COLOUR.brand, false)} value &nbsp; ${swatch('#9aa3b2', true)} target`;
  return card(`${heading('Trends', legend)}<table ${TABLE}>${rows}</table>`);
}

function incidentSection(v: ReportView): string {
  if (v.incidents.length === 0) {
    return card(
      `${heading('Incidents')}<div style="${F}font-size:14px;line-height:21px;color:${COLOUR.body}">✓ ${esc(v.noIncidents)}</div>`,
    );
  }
  const open = v.model.incidents.filter((i) => i.state !== 'resolved').length;
  const rows = v.incidents
    .map((inc, i) => {
      const meta = [`First responder: ${inc.firstResponder}`, inc.kpi && `KPI: ${inc.kpi}`, inc.detected]
        .filter(Boolean)
        .join(' · ');
      return `<tr><td style="${rule(i === 0)}padding:12px 0"><table ${TABLE}><tr><td>${badge(inc.severity)} ${badge(inc.state)}</td><td align="right" style="${SMALL}white-space:nowrap">${esc(inc.when)}</td></tr></table><div style="${F}font-size:15px;line-height:21px;font-weight:600;color:${COLOUR.ink};padding-top:6px">${esc(inc.title)}</div>${inc.resolved ? `<div style="${F}font-size:14px;line-height:21px;font-weight:600;color:${COLOUR.good};padding-top:2px">${esc(inc.resolved)}</div>` : ''}<div style="${F}font-size:14px;line-height:21px;color:${COLOUR.body};padding-top:2px">${esc(inc.summary)}</div><div style="${SMALL}padding-top:4px"><strong style="color:${COLOUR.body}">${esc(meta)}</strong></div></td></tr>`;
    })
    .join('');
  const more = v.hiddenIncidents
    ? `<div style="${SMALL}padding-top:8px">and ${plural(v.hiddenIncidents, 'more incident')}.</div>`
    : '';
  return card(
    `${heading('Incidents', esc(`${open} open · ${v.model.incidents.length - open} resolved`))}<table ${TABLE}>${rows}</table>${more}`,
  );
}

function checkSection(v: ReportView): string {
  if (v.model.checks.length === 0)
    return card(`${heading('Backup and data checks')}<div style="${SMALL}">No checks ran for this period.</div>`);
  const { pass, warn, fail } = v.checkCounts;
  const summary = [`${pass} passed`, warn && `${warn} warning${warn === 1 ? '' : 's'}`, fail && `${fail} failed`]
    .filter(Boolean)
    .join(' · ');
  const rows = v.checks
    .map(
      (c, i) =>
        `<tr><td width="72" style="${rule(i === 0)}padding:11px 8px 11px 0;vertical-align:top">${badge(c.status)}</td><td style="${rule(i === 0)}padding:10px 0;vertical-align:top"><div style="${F}font-size:14px;line-height:20px;font-weight:600;color:${COLOUR.ink}">${esc(c.id)} <span style="font-weight:400;color:${COLOUR.muted};font-size:12px">${esc(c.kind)}</span></div><div style="${F}font-size:13px;line-height:19px;color:${COLOUR.body}">${esc(c.summary)}</div></td></tr>`,
    )
    .join('');
  const more = v.hiddenChecks
    ? `<div style="${SMALL}padding-top:8px">and ${plural(v.hiddenChecks, 'more check')}.</div>`
    : '';
  return card(
    `${heading('Backup and data checks')}<div style="${SMALL}padding-bottom:4px">${esc(summary)}</div><table ${TABLE}>${rows}</table>${more}`,
  );
}

function pipelineSection(v: ReportView): string {
  const p = v.model.pipeline;
  const stat = (label: string, value: string, colour: string) =>
    `<td width="49%" style="padding:10px 12px;background:#f8fafc;border-radius:8px"><div style="${SMALL}">${label}</div><div style="${F}font-size:20px;line-height:26px;font-weight:700;color:${colour}">${esc(value)}</div></td>`;
  const stats =
    p.stored === null || p.rejected === null
      ? `<div style="${SMALL}">${esc(NOT_COUNTED)}</div>`
      : `<table ${TABLE}><tr>${stat('Events stored', formatKpiValue({ unit: 'count' }, p.stored), COLOUR.ink)}<td width="2%" style="font-size:0;line-height:0">&nbsp;</td>${stat(`Quarantined (${rejectRate(p.stored, p.rejected)})`, formatKpiValue({ unit: 'count' }, p.rejected), p.rejected > 0 ? COLOUR.warn : COLOUR.ink)}</tr></table>`;
  const reasons = v.rejectReasons.length
    ? `<div style="${SMALL}padding-top:10px">Quarantined because: ${v.rejectReasons.map(([r, n]) => `${esc(r)} <strong style="color:${COLOUR.body}">${formatKpiValue({ unit: 'count' }, n)}</strong>`).join(' · ')}${v.hiddenRejectReasons ? ` · ${v.hiddenRejectReasons} more` : ''}</div>`
    : '';
  const jobs = v.jobs
    .map(
      (j, i) =>
        `<tr><td style="${rule(i === 0)}padding:8px 8px 8px 0;${F}font-size:14px;line-height:20px;color:${COLOUR.ink}">${esc(j.job)}${j.note ? `<div style="${SMALL}">${esc(clip(oneLine(j.note), 300))}</div>` : ''}</td><td align="right" style="${rule(i === 0)}padding:8px 0;${SMALL}white-space:nowrap;vertical-align:top">${j.when ? `${esc(j.when)} &nbsp;` : ''}${badge(JOB_BADGE[j.status].kind, JOB_BADGE[j.status].label)}</td></tr>`,
    )
    .join('');
  const jobTable = p.jobs.length
    ? `<div style="${SMALL}font-weight:600;padding-top:14px;text-transform:uppercase;letter-spacing:.04em">Nightly jobs</div><table ${TABLE}>${jobs}</table>`
    : '';
  const mail = v.mailFeedback ? `<div style="${SMALL}padding-top:10px">${esc(v.mailFeedback)}</div>` : '';
  return card(`${heading('Pipeline health')}${stats}${reasons}${mail}${jobTable}`);
}

function footer(v: ReportView): string {
  const m = v.model;
  return `<tr><td align="center" style="padding:20px 16px 8px;${F}font-size:11px;line-height:17px;color:${COLOUR.faint}">Generated ${esc(formatInstant(m.generatedAt, m.timeZone))} (${esc(m.timeZone)}) for ${esc(m.recipient.email)}.<br>Sent by Nightshift · report “${esc(m.report.id)}”, ${esc(m.report.period)}. What you see follows your role (${esc(m.recipient.role)}).</td></tr>`;
}

/** The whole HTML document. `charts` maps KPI ids to their inline images. */
export function renderHtml(v: ReportView, subject: string, preheader: string, charts: Map<string, ChartRef>): string {
  const body: string[] = [header(v), hero(v)];
  for (const s of v.sections) {
    if (!v.show(s)) continue;
    if (s === 'kpis') body.push(kpiSection(v));
    else if (s === 'trends') body.push(trendSection(v, charts));
    else if (s === 'incidents') body.push(incidentSection(v));
    else if (s === 'checks') body.push(checkSection(v));
    else if (s === 'pipeline') body.push(pipelineSection(v));
  }
  body.push(footer(v));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="x-apple-disable-message-reformatting"><meta name="color-scheme" content="light"><meta name="supported-color-schemes" content="light"><title>${esc(subject)}</title><style>@media (max-width:480px){.ns-pad{padding:16px!important}.ns-outer{padding:12px 8px!important}.ns-score{font-size:40px!important}}</style></head>
<body style="margin:0;padding:0;background:${COLOUR.page};-webkit-text-size-adjust:100%;-ms-text-size-adjust:100%">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">${esc(preheader)}</div>
<table ${TABLE} style="background:${COLOUR.page}"><tr><td align="center" class="ns-outer" style="padding:24px 12px">
<!--[if mso]><table role="presentation" width="${MAX_WIDTH}" cellpadding="0" cellspacing="0" border="0"><tr><td><![endif]-->
<table ${TABLE} style="max-width:${MAX_WIDTH}px;width:100%">
${body.join('\n')}
</table>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr></table>
</body></html>
`;
}

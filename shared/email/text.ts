// The plain-text part: the same report for clients (and people) that prefer text, readable without the HTML.
// Short lines, no tables that depend on a monospace font; unicode sparklines stand in for the charts.

import { clip, oneLine } from './escape.ts';
import { formatInstant, formatKpiValue, NOT_COUNTED, plural, rejectRate, shortPeriod, sparkline } from './format.ts';
import { BADGE, JOB_BADGE } from './theme.ts';
import type { ReportView } from './view.ts';

function status(kind: keyof typeof BADGE): string {
  return BADGE[kind].label;
}

export function renderText(v: ReportView): string {
  const m = v.model;
  const out: string[] = [];
  const title = `${v.title.toUpperCase()} · ${v.periodLong}`;
  out.push(title, '='.repeat(Math.min(60, title.length)), `For ${v.recipientLine}`, '');

  if (!m.dataReady) {
    out.push(`DATA FOR ${v.periodShort.toUpperCase()} IS NOT READY.`);
    out.push(oneLine(m.notReadyReason ?? 'The nightly rollup has not finished.'));
    out.push("KPI figures are left out so that no stale numbers pass as this period's.", '');
  } else if (v.show('scorecard') && v.closed) {
    out.push(`Weighted score: — (${v.closedLabel.toLowerCase()})`, v.headline, '');
  } else if (v.show('scorecard')) {
    const { score, outstanding, met, missed, noValue } = v.counts;
    out.push(`Weighted score: ${score === null ? '—' : `${Math.round(score)} / 100`}`);
    const pending = v.counts.pending > 0 ? ` · ${v.counts.pending} pending` : '';
    out.push(`${outstanding} outstanding · ${met} met · ${missed} missed · ${noValue} without data${pending}`);
    if (v.headline) out.push(v.headline);
    out.push('');
  } else if (v.headline) {
    out.push(v.headline, '');
  }

  for (const s of v.sections) {
    if (!v.show(s)) continue;
    if (s === 'kpis') {
      out.push(`KEY FIGURES (change ${v.labels.previous} / ${v.labels.earlier})`);
      if (v.kpis.length === 0) out.push('No KPIs in this report for your role.');
      for (const k of v.kpis) {
        const facts = [
          k.target && `target ${k.target}`,
          k.attainment && `${k.attainment} of target`,
          k.weight && `weight ${k.weight}`,
        ]
          .filter(Boolean)
          .join(', ');
        out.push(`* ${k.name}: ${k.value} — ${k.statusLabel}${facts ? ` (${facts})` : ''}`);
        if (k.reason) out.push(`  ${k.reason}`);
        const changes = [
          k.vsPrevious ? `${k.vsPrevious.text} ${v.labels.previous}` : `– ${v.labels.previous}`,
          k.vsEarlier ? `${k.vsEarlier.text} ${v.labels.earlier}` : `– ${v.labels.earlier}`,
        ];
        out.push(`  ${changes.join(' · ')}`);
      }
      if (v.hiddenKpis) out.push(`  (and ${plural(v.hiddenKpis, 'more KPI')})`);
      out.push('');
    } else if (s === 'trends' && v.chartKpis.length) {
      out.push('TRENDS');
      for (const k of v.chartKpis) {
        const values = k.history.map((h) => h.value);
        const seen = values.filter((x): x is number => x !== null && Number.isFinite(x));
        const first = k.history[0]?.period ?? '';
        const last = k.history[k.history.length - 1]?.period ?? '';
        const year = m.report.period.slice(0, 4);
        out.push(`* ${clip(oneLine(k.name), 120)}, ${shortPeriod(first, year)} to ${shortPeriod(last, year)}:`);
        out.push(
          `  ${sparkline(values)}  low ${formatKpiValue(k, Math.min(...seen))}, high ${formatKpiValue(k, Math.max(...seen))}`,
        );
      }
      out.push('');
    } else if (s === 'incidents') {
      const open = m.incidents.filter((i) => i.state !== 'resolved').length;
      out.push(`INCIDENTS (${open} open, ${m.incidents.length - open} resolved)`);
      if (v.incidents.length === 0) out.push(v.noIncidents);
      for (const i of v.incidents) {
        out.push(`* [${BADGE[i.severity].label} · ${BADGE[i.state].label}] ${i.title}`);
        if (i.resolved) out.push(`  ${i.resolved}`);
        out.push(`  ${i.summary}`);
        const meta = [`First responder: ${i.firstResponder}`, i.kpi && `KPI: ${i.kpi}`, i.when, i.detected];
        out.push(`  ${meta.filter(Boolean).join(' · ')}`);
      }
      if (v.hiddenIncidents) out.push(`  (and ${plural(v.hiddenIncidents, 'more incident')})`);
      out.push('');
    } else if (s === 'checks') {
      const { pass, warn, fail } = v.checkCounts;
      out.push(`BACKUP AND DATA CHECKS (${pass} passed, ${plural(warn, 'warning')}, ${fail} failed)`);
      if (v.checks.length === 0) out.push('No checks ran for this period.');
      for (const c of v.checks) out.push(`* ${status(c.status)} — ${c.id} (${c.kind}): ${c.summary}`);
      if (v.hiddenChecks) out.push(`  (and ${plural(v.hiddenChecks, 'more check')})`);
      out.push('');
    } else if (s === 'pipeline') {
      const p = m.pipeline;
      out.push('PIPELINE HEALTH');
      if (p.stored === null || p.rejected === null) out.push(NOT_COUNTED);
      else {
        out.push(
          `Events stored: ${formatKpiValue({ unit: 'count' }, p.stored)} · quarantined: ${formatKpiValue({ unit: 'count' }, p.rejected)} (${rejectRate(p.stored, p.rejected)})`,
        );
      }
      if (v.rejectReasons.length) {
        const reasons = v.rejectReasons.map(([r, n]) => `${r} ${formatKpiValue({ unit: 'count' }, n)}`).join(', ');
        out.push(`Quarantined because: ${reasons}${v.hiddenRejectReasons ? `, ${v.hiddenRejectReasons} more` : ''}`);
      }
      if (v.mailFeedback) out.push(v.mailFeedback);
      for (const j of v.jobs) {
        const at = j.when ? ` (${j.when})` : '';
        const note = j.note ? ` — ${clip(oneLine(j.note), 300)}` : '';
        out.push(`* ${clip(oneLine(j.job), 80)}: ${JOB_BADGE[j.status].label}${at}${note}`);
      }
      out.push('');
    }
  }

  out.push('--');
  out.push(
    `Generated ${formatInstant(m.generatedAt, m.timeZone)} (${oneLine(m.timeZone)}) for ${oneLine(m.recipient.email)}.`,
  );
  out.push(`Sent by Nightshift · report "${oneLine(m.report.id)}", ${oneLine(m.report.period)}.`);
  return `${out.join('\n')}\n`;
}

// Report models for the tests: the example daily report, a hostile one, and one far too large for a single email.

import { sampleReportModel } from '#cli/demo/report-sample.ts';
import type { ReportModel } from '#shared/reporting/model.ts';

export const FROM = 'Nightshift <nightshift@example.com>';

export function deliveryKey(model: ReportModel): string {
  return `${model.report.id}/${model.report.period}/${model.recipient.email}`;
}

/** Markup and header tricks in every free-text field a report shows. */
export const HOSTILE = {
  kpiName: '<script>alert("kpi")</script> & "rate"',
  incidentTitle: '<img src=x onerror=alert(1)>',
  summary: '</td></tr></table><a href="https://evil.example/">click</a>',
  checkId: '"><iframe src="https://evil.example/">',
  reason: "<style>body{display:none}</style>'",
  recipient: '<b>Eve</b>',
  title: 'Daily report\r\nBcc: victim@example.com',
};

export function hostileModel(): ReportModel {
  const m = sampleReportModel();
  m.report.title = HOSTILE.title;
  m.recipient.name = HOSTILE.recipient;
  m.kpis[0]!.name = HOSTILE.kpiName;
  m.incidents[0]!.title = HOSTILE.incidentTitle;
  m.incidents[0]!.summary = HOSTILE.summary;
  m.incidents[0]!.firstResponder = HOSTILE.recipient;
  m.checks[0]!.id = HOSTILE.checkId;
  m.checks[0]!.summary = HOSTILE.summary;
  m.pipeline.rejectReasons = { [HOSTILE.reason]: 3 };
  m.pipeline.jobs[0]!.job = HOSTILE.incidentTitle;
  m.pipeline.jobs[1]!.note = HOSTILE.summary;
  return m;
}

/** 150 KPIs with long names, 120 incidents and 300 checks with long summaries: far beyond one readable email. */
export function hugeModel(): ReportModel {
  const m = sampleReportModel();
  const template = m.kpis;
  m.kpis = Array.from({ length: 150 }, (_, i) => ({
    ...template[i % template.length]!,
    id: `kpi_${i}`,
    name: `KPI number ${i} with a rather long descriptive name for the table row ${'x'.repeat(40)}`,
  }));
  m.incidents = Array.from({ length: 120 }, (_, i) => ({
    ...m.incidents[i % 2]!,
    title: `Incident ${i}`,
    summary: 'Long summary. '.repeat(150),
  }));
  m.checks = Array.from({ length: 300 }, (_, i) => ({
    id: `check_${i}`,
    kind: 'aws_backup',
    status: i % 3 === 0 ? 'fail' : 'pass',
    summary: 'A long check summary. '.repeat(40),
  }));
  m.pipeline.rejectReasons = Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [`reason ${i} ${'y'.repeat(200)}`, i + 1]),
  );
  return m;
}

/** Text of an HTML document as a reader sees it (tags dropped, entities decoded). */
export function visibleText(html: string): string {
  return html
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

import { describe, expect, it } from 'vitest';
import { sampleReportModel } from '#cli/demo/report-sample.ts';
import { previewHtml, renderReport, reportSubject } from '#shared/email/render.ts';
import type { ReportModel } from '#shared/reporting/model.ts';
import { HOSTILE, hostileModel, hugeModel, visibleText } from './fixtures.ts';

const GMAIL_CLIP_BYTES = 102 * 1024;

describe('report subject', () => {
  it('gives the score and what needs attention', () => {
    expect(reportSubject(sampleReportModel())).toBe(
      'Daily report 22 Nov: score 87, 1 KPI missed, 1 open incident, 1 check failed',
    );
  });

  it('says all KPIs are on target when none missed and nothing is open', () => {
    const m = sampleReportModel();
    m.scorecard = { score: 100, met: 5, missed: 0, outstanding: 1, noValue: 0 };
    m.incidents = [];
    m.checks = [];
    expect(reportSubject(m)).toBe('Daily report 22 Nov: score 100, all KPIs on target');
  });

  it('says the data is not ready instead of giving a score', () => {
    const m: ReportModel = { ...sampleReportModel(), dataReady: false, incidents: [], checks: [] };
    expect(reportSubject(m)).toBe('Daily report 22 Nov: data not ready');
  });

  it('stays on one line whatever the report title holds', () => {
    expect(reportSubject(hostileModel())).not.toMatch(/[\r\n]/);
  });
});

describe('report HTML', () => {
  const model = sampleReportModel();
  const out = renderReport(model);
  const text = visibleText(out.html);

  it('shows every KPI with its value, target, status and both changes', () => {
    expect(text).toMatch(
      /Daily new users Target ≥ 500 · 106% of target · weight 20% ✓ Met 531 ▲ \+3\.9% vs 21 Nov ▲ \+7\.5% vs 15 Nov/,
    );
    expect(text).toMatch(/Content reads Target ≥ 2,000 · 109% of target ✓ Met 2,181/);
    expect(text).toMatch(
      /Conversion rate Target ≥ 3\.00% · 57% of target · weight 30% ✗ Missed 1\.71% ▼ −42\.0% vs 21 Nov ▼ −40\.4% vs 15 Nov/,
    );
    expect(text).toMatch(/ROI Target ≥ 4\.00 · 121% of target · weight 25% ★ Outstanding 4\.82 ▲ \+7\.3% vs 21 Nov/);
    expect(text).toMatch(/Daily active users No target No target 18,391/);
  });

  it('shows the weighted score and the status counts', () => {
    expect(text).toMatch(/Weighted score 87 \/ 100/);
    expect(text).toMatch(/2 Outstanding 3 Met 1 Missed 0 No data/);
    expect(text).toContain('Missed target: Conversion rate.');
  });

  it('lists incidents with their first responder, open ones first', () => {
    expect(text).toMatch(/Critical Escalated Since 22 Nov Conversion rate below its 2% alarm floor/);
    expect(text).toMatch(/Warning Resolved Lasted 22 Nov 14:00 – 16:00 Page Viewed events stopped arriving/);
    expect(text).toContain('First responder: Li Na');
    expect(text).toContain('First responder: Chen Jie');
    expect(text.indexOf('Escalated')).toBeLessThan(text.indexOf('Resolved'));
  });

  it('shows the checks, failures first, and pipeline health', () => {
    expect(text).toContain('2 passed · 1 warning · 1 failed');
    expect(text.indexOf('orders_payments')).toBeLessThan(text.indexOf('orders_pitr'));
    expect(text).toMatch(/Events stored 48,213 Quarantined \(0\.08%\) 37/);
    expect(text).toMatch(/rollup-kpis 23 Nov 00:31 ✓ Ran/);
  });

  it('attaches one chart per KPI with history and references each by cid', () => {
    expect(out.images).toHaveLength(model.kpis.length);
    const refs = [...out.html.matchAll(/<img src="cid:([^"]+)"/g)].map((m) => m[1]);
    expect(refs.sort()).toEqual(out.images.map((i) => i.cid).sort());
    expect(new Set(refs).size).toBe(refs.length);
    for (const img of out.images) expect(img.png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('uses only email-safe constructs: tables, inline CSS, no SVG, scripts, flex, grid or remote resources', () => {
    expect(out.html).not.toMatch(/<svg|<script|<link|<iframe|<form|@import/i);
    expect(out.html).not.toMatch(/display:\s*(flex|grid|inline-flex)/i);
    expect(out.html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(out.html).not.toMatch(/url\(/i);
    expect([...out.html.matchAll(/<img [^>]*>/g)].every(([tag]) => /^<img src="cid:/.test(tag))).toBe(true);
  });

  it('stays well under 60 KB for the example report', () => {
    expect(Buffer.byteLength(out.html)).toBeLessThan(60 * 1024);
  });

  it('shows sections in the order the model lists them, and only those', () => {
    const m = sampleReportModel({ sections: ['incidents', 'scorecard', 'kpis'] });
    const r = renderReport(m);
    const t = visibleText(r.html);
    expect(t.indexOf('INCIDENTS') === -1 ? t.indexOf('Incidents') : t.indexOf('INCIDENTS')).toBeLessThan(
      t.indexOf('Key figures'),
    );
    expect(t).not.toContain('Trends');
    expect(t).not.toContain('Pipeline health');
    expect(r.images).toHaveLength(0);
  });

  it('inlines the charts as data: URIs for a preview file', () => {
    const preview = previewHtml(out);
    expect(preview).not.toContain('cid:');
    expect(preview.match(/src="data:image\/png;base64,/g)).toHaveLength(out.images.length);
  });

  it('is the same for the same model', () => {
    const again = renderReport(sampleReportModel());
    expect(again.html).toBe(out.html);
    expect(again.images.map((i) => i.png.toString('base64'))).toEqual(out.images.map((i) => i.png.toString('base64')));
  });
});

describe('report text part', () => {
  const out = renderReport(sampleReportModel());

  it('reads on its own: score, every KPI with its figures, incidents, checks and pipeline', () => {
    expect(out.text).toContain('DAILY REPORT · Sunday 22 November 2026');
    expect(out.text).toContain('Weighted score: 87 / 100');
    expect(out.text).toContain(
      '* Conversion rate: 1.71% — ✗ Missed (target ≥ 3.00%, 57% of target, weight 30%)\n  ▼ −42.0% vs 21 Nov · ▼ −40.4% vs 15 Nov',
    );
    expect(out.text).toContain('* Daily active users: 18,391 — No target\n');
    expect(out.text).toContain('First responder: Li Na');
    expect(out.text).toContain('* ✗ Fail — orders_payments (reconciliation)');
    expect(out.text).toContain('Events stored: 48,213 · quarantined: 37 (0.08%)');
    expect(out.text).toMatch(/Conversion rate, 24 Oct to 22 Nov:\n {2}[▁▂▃▄▅▆▇█]{30} {2}low 1\.71%, high 3\.27%/);
    expect(out.text).not.toMatch(/<[a-z]/i);
  });
});

describe('pipeline health: how each nightly job stands', () => {
  const model = sampleReportModel();
  model.pipeline.jobs = [
    { job: 'rollup-kpis', status: 'ok', at: '2026-11-22T16:30:04Z' },
    {
      job: 'detect-anomalies',
      status: 'missed',
      at: '2026-11-22T17:00:02Z',
      note: 'Anomaly detection did not run: due 02:00 on 23 Nov, nothing started within the 60-minute grace time',
    },
    {
      job: 'check-backups',
      status: 'late',
      at: '2026-11-22T19:52:00Z',
      note: 'Backup and data checks ran late: due 02:00 on 23 Nov, started 03:52 on 23 Nov (1.9 h late; grace 60 min)',
    },
    {
      job: 'plan-reports',
      status: 'failed',
      at: '2026-11-22T21:00:01Z',
      note: 'Report planning (daily) failed: the error is in its run record (due 05:00 on 23 Nov)',
    },
    { job: 'restore-test', status: 'missing' },
  ];
  const out = renderReport(model);
  const text = visibleText(out.html);

  it('badges each status in the HTML, with what is wrong under the job', () => {
    expect(text).toMatch(/rollup-kpis 23 Nov 00:30 ✓ Ran/);
    expect(text).toMatch(
      /detect-anomalies Anomaly detection did not run: due 02:00 on 23 Nov, .* last ran 23 Nov 01:00 ✗ Did not run/,
    );
    expect(text).toMatch(
      /check-backups Backup and data checks ran late: .*\(1\.9 h late; grace 60 min\) 23 Nov 03:52 ! Late/,
    );
    expect(text).toMatch(/plan-reports Report planning \(daily\) failed: .* 23 Nov 05:00 ✗ Failed/);
    expect(text).toMatch(/restore-test ! Never ran/);
  });

  it('says the same in the text part', () => {
    expect(out.text).toContain('* rollup-kpis: ✓ Ran (23 Nov 00:30)\n');
    expect(out.text).toContain(
      '* check-backups: ! Late (23 Nov 03:52) — Backup and data checks ran late: due 02:00 on 23 Nov, started 03:52 on 23 Nov (1.9 h late; grace 60 min)\n',
    );
    expect(out.text).toContain(
      '* detect-anomalies: ✗ Did not run (last ran 23 Nov 01:00) — Anomaly detection did not run: due 02:00',
    );
    expect(out.text).toContain('* plan-reports: ✗ Failed (23 Nov 05:00) — Report planning (daily) failed');
    expect(out.text).toContain('* restore-test: ! Never ran\n');
  });

  it('counts jobs that did not run, never ran, failed or ran late in the subject, in the words of their badges', () => {
    expect(out.subject).toBe(
      'Daily report 22 Nov: score 87, 1 KPI missed, 1 open incident, 1 check failed, 1 job did not run, 1 job never ran, 1 job failed, 1 job ran late',
    );
  });
});

describe('a report whose data is not ready', () => {
  // Stale figures passed in by mistake must still not be shown.
  const stale = sampleReportModel();
  const model: ReportModel = {
    ...stale,
    dataReady: false,
    notReadyReason: 'The KPI rollup for 22 Nov did not run.',
    incidents: stale.incidents.map((i) => ({ ...i, summary: 'See the runbook.' })),
  };
  const out = renderReport(model);
  const text = visibleText(out.html);

  it('says so, in the subject, the HTML and the text', () => {
    expect(out.subject).toContain('data not ready');
    expect(text).toContain('Data for 22 Nov is not ready. The KPI rollup for 22 Nov did not run.');
    expect(out.text).toContain('DATA FOR 22 NOV IS NOT READY.');
  });

  it('shows no KPI figures, score or charts', () => {
    for (const figure of ['531', '18,391', '1.71%', '4.82', '31.7%', '2,181', 'Weighted score', '87 / 100']) {
      expect(text).not.toContain(figure);
      expect(out.text).not.toContain(figure);
    }
    expect(out.images).toHaveLength(0);
    expect(out.html).not.toContain('<img');
  });

  it('still shows incidents, checks and which jobs ran', () => {
    expect(text).toContain('Conversion rate below its 2% alarm floor');
    expect(text).toContain('orders_payments');
    expect(text).toContain('rollup-kpis');
  });
});

describe('escaping', () => {
  const out = renderReport(hostileModel());

  it('shows markup from names, summaries and event data as text, never as HTML', () => {
    expect(out.html).not.toMatch(/<(script|iframe|a|b)[\s>]|<style>body|<[^>]*onerror|<[^>]*href=/i);
    const text = visibleText(out.html);
    expect(text).toContain(HOSTILE.kpiName);
    expect(text).toContain(HOSTILE.incidentTitle);
    expect(text).toContain(HOSTILE.summary);
    expect(text).toContain(HOSTILE.checkId);
    expect(text).toContain(HOSTILE.reason);
    expect(text).toContain(HOSTILE.recipient);
  });

  it('keeps the document structure intact: every tag opened by the renderer is its own', () => {
    const tags = new Set([...out.html.matchAll(/<([a-z][a-z0-9]*)/gi)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(
      [
        'body',
        'br',
        'div',
        'h1',
        'head',
        'html',
        'img',
        'meta',
        'span',
        'strong',
        'style',
        'table',
        'td',
        'title',
        'tr',
      ].sort(),
    );
    expect(out.html.match(/<style>/g)).toHaveLength(1);
  });

  it('keeps every id and cid safe to use in an attribute', () => {
    const m = sampleReportModel();
    m.kpis[0]!.id = 'a"b <c>';
    const r = renderReport(m);
    expect(r.images[0]!.cid).toMatch(/^[a-z0-9_.@-]+$/);
  });
});

describe('size limits', () => {
  it('keeps the HTML under Gmail’s clipping limit for a report far too large for one email', () => {
    const m = hugeModel();
    const out = renderReport(m);
    expect(Buffer.byteLength(out.html)).toBeLessThan(GMAIL_CLIP_BYTES);
    expect(visibleText(out.html)).toContain('more KPIs in the plain-text version');
    expect(out.text).toContain('KPI number 149');
    const refs = [...out.html.matchAll(/src="cid:([^"]+)"/g)].map((r) => r[1]);
    expect(out.images.map((i) => i.cid).sort()).toEqual(refs.sort());
  });
});

describe('edge cases', () => {
  it('renders KPIs without values, previous values or history', () => {
    const m = sampleReportModel();
    m.kpis[1] = {
      ...m.kpis[1]!,
      value: null,
      previous: null,
      samePeriodLastWeek: null,
      status: 'no_value',
      history: [],
    };
    m.kpis[2] = {
      ...m.kpis[2]!,
      previous: 0,
      history: m.kpis[2]!.history.map((h, i) => ({ ...h, value: i % 5 ? h.value : null })),
    };
    const out = renderReport(m);
    const text = visibleText(out.html);
    expect(text).toMatch(/Daily active users No target No data — – vs 21 Nov – vs 15 Nov/);
    expect(text).toMatch(/Conversion rate .* new vs 21 Nov/);
    expect(out.images).toHaveLength(m.kpis.length - 1);
  });

  it('renders weekly and monthly periods with the right comparisons', () => {
    const week = sampleReportModel();
    week.report = {
      ...week.report,
      id: 'weekly',
      title: 'Weekly report',
      period: '2026-W47',
      periodLabel: 'week 47',
      granularity: 'week',
    };
    const w = visibleText(renderReport(week).html);
    expect(w).toContain('Week 47 · 16–22 Nov 2026');
    expect(w).toContain('vs W46 · vs W47 2025');
    const month = sampleReportModel();
    month.report = {
      ...month.report,
      id: 'monthly',
      title: 'Monthly report',
      period: '2026-11',
      periodLabel: 'Nov 2026',
      granularity: 'month',
    };
    const mo = visibleText(renderReport(month).html);
    expect(mo).toContain('November 2026');
    expect(mo).toContain('vs Oct · vs Nov 2025');
  });

  it('renders an empty report for a recipient who may see no KPIs', () => {
    const m: ReportModel = { ...sampleReportModel(), kpis: [], incidents: [], checks: [], scorecard: undefined };
    const out = renderReport(m);
    expect(visibleText(out.html)).toContain('No KPIs in this report for your role.');
    expect(visibleText(out.html)).toContain('No incidents this period.');
    expect(out.images).toHaveLength(0);
  });
});

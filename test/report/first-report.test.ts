// A new user's first daily reports (DynamoDB Local): a job the config gives nothing to do is not a job that did not
// run, and an incident is dated by the period it is about, not by the detection run that opened it days later.
import { describe, expect, it } from 'vitest';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { detectAnomaliesBetween } from '#shared/detection/detect.ts';
import { renderReport } from '#shared/email/render.ts';
import { loadReportModel, visibleKpis } from '#shared/reporting/load.ts';
import { reportIncidents } from '#shared/reporting/report-incidents.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { configWith, conversionFloor, days, memoryQueue, seedDaily } from '../alerts/support.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { recordMinuteRun as run } from '../support/runs.ts';
import { visibleText } from './fixtures.ts';

/** Shanghai wall time (UTC+8) as epoch ms. */
const at = (date: string, time: string) => Date.parse(`${date}T${time}+08:00`);
const DAY = '2026-11-22';
const NO_CHECKS = { checks: { backups: [], reconciliations: [] } };

/**
 * The daily report of 22 Nov at 05:30 the next morning, its KPIs rolled up: the rollup and detection ran on time,
 * the checks and the report planning never ran (a trial run by hand: `rollup`, `detect`, `report`).
 */
async function morningReport(config: NightshiftConfig) {
  const { store } = await freshStore('first-report');
  const report = config.reports.find((r) => r.id === 'daily')!;
  const person = config.people.find((p) => p.id === 'ops_director')!;
  for (const k of visibleKpis(report, person, config))
    await seedDaily(store, config, k.id, [{ period: DAY, value: 1 }]);
  await run(store, 'rollup-kpis', at(DAY, '00:30:04'));
  await run(store, 'rollup-kpis', at(addDays(DAY, 1), '00:30:04'));
  for (const hour of ['01', '02', '03', '04', '05'])
    await run(store, 'detect-anomalies', at(addDays(DAY, 1), `${hour}:00:02`));
  const model = await loadReportModel(report, DAY, person, { store, config, now: () => at(addDays(DAY, 1), '05:30') });
  return { model, jobs: Object.fromEntries(model.pipeline.jobs.map((j) => [j.job, j])), out: renderReport(model) };
}

describe('report pipeline: a job with nothing to do under the config', () => {
  it('shows the checks job as not needed when no checks are configured, and does not count it as not run', async () => {
    const { model, jobs, out } = await morningReport(configWith([], [], NO_CHECKS));

    expect(model.dataReady).toBe(true);
    expect(jobs['check-backups']).toEqual({ job: 'check-backups', status: 'not_needed', note: 'No checks configured' });
    // Report planning is configured (the daily report) and never ran: it still counts.
    expect(jobs['plan-reports']).toEqual({ job: 'plan-reports', status: 'missing' });
    expect(out.subject).toMatch(/, 1 job never ran$/);
    expect(visibleText(out.html)).toMatch(/check-backups No checks configured Not needed/);
    expect(out.text).toContain('* check-backups: Not needed — No checks configured\n');
    expect(out.text).toContain('* plan-reports: ! Never ran\n');
  });

  it('shows detection as not needed when there are no alert rules and no expected events', async () => {
    const { jobs } = await morningReport(configWith([], [], NO_CHECKS));
    // It ran on time all the same: with nothing to judge, its runs are not what the report shows.
    expect(jobs['detect-anomalies']).toEqual({
      job: 'detect-anomalies',
      status: 'not_needed',
      note: 'No alert rules or expected events configured',
    });
  });

  it('still counts a configured checks job that never ran, and judges detection when it has rules', async () => {
    const { jobs, out } = await morningReport(exampleConfig());

    expect(jobs['check-backups']).toEqual({ job: 'check-backups', status: 'missing' });
    expect(jobs['detect-anomalies']).toMatchObject({ status: 'ok' });
    expect(out.subject).toMatch(/, 2 jobs never ran$/);
    expect(out.text).toContain('* check-backups: ! Never ran\n');
  });
});

describe('report incidents: dated by the period they are about', () => {
  /** Conversion below its 2% alarm floor 20-22 Nov, back to normal on 23 and 24 Nov (two normal days resolve it). */
  const values = [
    ...Array.from({ length: 12 }, (_, i) => 0.031 + (i % 3) * 0.002),
    ...[0.0121, 0.0118, 0.0115, 0.031, 0.033],
  ];
  const LAST = addDays(DAY, 2);

  async function seeded() {
    const config = configWith([conversionFloor]);
    const { store } = await freshStore('first-report');
    await seedDaily(store, config, 'conversion_rate', days(LAST, values));
    return { store, config };
  }

  async function report(store: StateStore, config: NightshiftConfig, period: string, now: number) {
    const daily = config.reports.find((r) => r.id === 'daily')!;
    const person = config.people.find((p) => p.id === 'ops_director')!;
    const model = await loadReportModel(daily, period, person, {
      store,
      config,
      now: () => now,
      incidents: reportIncidents(store, config),
    });
    const out = renderReport(model);
    return { model, out, html: visibleText(out.html) };
  }

  it('a catch-up detection run days later: "since" the first unusual day, with when it was detected', async () => {
    const { store, config } = await seeded();
    // The first `detect` of a trial, three days after the drop: it judges 18-22 Nov at once.
    const detectedAt = at('2026-11-25', '09:00');
    await detectAnomaliesBetween('2026-11-18', DAY, { store, config, now: () => detectedAt, queue: memoryQueue() });

    const { model, out, html } = await report(store, config, DAY, detectedAt + 60_000);

    expect(model.incidents).toEqual([
      expect.objectContaining({ state: 'open', firstPeriod: '2026-11-20', openedPeriod: '2026-11-20' }),
    ]);
    expect(html).toMatch(/Critical Open Since 20 Nov /);
    expect(html).toContain('KPI: Conversion rate · Detected 25 Nov 09:00');
    expect(html).not.toContain('Opened');
    expect(out.text).toContain('· Since 20 Nov · Detected 25 Nov 09:00\n');
  });

  it('detected the night after each day: "since" the first unusual day, no detection time', async () => {
    const { store, config } = await seeded();
    for (const day of ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', DAY]) {
      const now = at(addDays(day, 1), '01:00');
      await detectAnomaliesBetween(day, day, { store, config, now: () => now, queue: memoryQueue() });
    }

    const { html, out } = await report(store, config, DAY, at(addDays(DAY, 1), '05:00'));

    expect(html).toMatch(/Critical Open Since 20 Nov /);
    expect(html).not.toMatch(/Detected|Opened/);
    expect(out.text).toMatch(/KPI: Conversion rate · Since 20 Nov\n/);
  });

  it('a resolved incident gives the days it lasted', async () => {
    const { store, config } = await seeded();
    const detectedAt = at('2026-11-25', '09:00');
    await detectAnomaliesBetween('2026-11-18', LAST, { store, config, now: () => detectedAt, queue: memoryQueue() });

    const { model, html } = await report(store, config, LAST, detectedAt + 60_000);

    expect(model.incidents).toEqual([
      expect.objectContaining({ state: 'resolved', firstPeriod: '2026-11-20', resolvedPeriod: LAST }),
    ]);
    expect(html).toMatch(/Critical Resolved Lasted 20 Nov – 24 Nov /);
    expect(html).toContain('Detected 25 Nov 09:00');
  });

  it('a resolved incident reads as resolved: when and how it resolved, then what it was about at its worst', async () => {
    const { store, config } = await seeded();
    const detectedAt = at('2026-11-25', '09:00');
    await detectAnomaliesBetween('2026-11-18', LAST, { store, config, now: () => detectedAt, queue: memoryQueue() });

    const { model, out, html } = await report(store, config, LAST, detectedAt + 60_000);

    expect(model.incidents[0]).toMatchObject({
      summary: 'Conversion rate 1.15% below alarm floor 2.00%',
      resolution: { at: new Date(detectedAt).toISOString(), summary: 'Conversion rate 3.30%' },
    });
    expect(out.text).toContain(
      '  Resolved on 24 Nov: Conversion rate 3.30%\n  At worst: Conversion rate 1.15% below alarm floor 2.00%\n',
    );
    expect(html).toContain(
      'Conversion rate: alarm bounds Resolved on 24 Nov: Conversion rate 3.30% At worst: Conversion rate 1.15% below',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { renderReport } from '#shared/email/render.ts';
import { type JobName, recordRun } from '#shared/jobs/runs.ts';
import { loadReportModel } from '#shared/reporting/load.ts';
import { reportIncidents } from '#shared/reporting/report-incidents.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { watchdogCheck } from '#shared/watchdog/watchdog.ts';
import { memoryQueue } from '../alerts/support.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { recordMinuteRun } from '../support/runs.ts';

/** Shanghai wall time (UTC+8) as epoch ms. */
const at = (date: string, time: string) => Date.parse(`${date}T${time}+08:00`);

/** One recorded run of `job` that starts at `start` and lasts a minute, or fails. */
const run = (store: StateStore, job: JobName, start: number, outcome: 'ok' | 'failed' = 'ok', key?: string) =>
  recordMinuteRun(
    store,
    job,
    start,
    async () => {
      if (outcome === 'failed') throw new Error('DynamoDB throttled the write for li.na@example.com');
      return {};
    },
    key,
  );

async function pipelineAt(store: StateStore, now: number, period = '2026-11-22') {
  const config = exampleConfig();
  const report = config.reports.find((r) => r.id === 'daily')!;
  const person = config.people.find((p) => p.id === 'ops_director')!;
  const model = await loadReportModel(report, period, person, { store, config, now: () => now });
  return Object.fromEntries(model.pipeline.jobs.map((j) => [j.job, j]));
}

describe('report pipeline health: each job as the watchdog judges its schedule', () => {
  it('tells a job that ran from one that ran late, did not run or failed', async () => {
    const { store } = await freshStore('pipeline');
    await run(store, 'rollup-kpis', at('2026-11-22', '00:30:04'));
    await run(store, 'rollup-kpis', at('2026-11-23', '00:30:04'));
    await run(store, 'detect-anomalies', at('2026-11-23', '01:00:02'));
    await run(store, 'detect-anomalies', at('2026-11-23', '02:00:02'));
    await run(store, 'check-backups', at('2026-11-22', '02:00:03'));
    await run(store, 'check-backups', at('2026-11-23', '03:52:00'));
    await run(store, 'plan-reports', at('2026-11-22', '05:00:01'), 'failed', 'daily');

    const jobs = await pipelineAt(store, at('2026-11-23', '05:00:30'));

    expect(jobs['rollup-kpis']).toEqual({ job: 'rollup-kpis', status: 'ok', at: '2026-11-22T16:30:04.000Z' });
    expect(jobs['check-backups']).toEqual({
      job: 'check-backups',
      status: 'late',
      at: '2026-11-22T19:52:00.000Z',
      note: 'Backup and data checks ran late: due 02:00 on 23 Nov, started 03:52 on 23 Nov (1.9 h late; grace 60 min)',
    });
    // Hourly: its last run was at 02:00, so the runs due at 03:00 and 04:00 did not happen.
    expect(jobs['detect-anomalies']).toMatchObject({
      status: 'missed',
      at: '2026-11-22T18:00:02.000Z',
      note: expect.stringMatching(/^Anomaly detection did not run: due 04:00 on 23 Nov, .*\(2 due runs in a row\)$/),
    });
    // The error itself stays in the run record: a report does not quote it (it may name a person).
    expect(jobs['plan-reports']).toMatchObject({
      status: 'failed',
      note: 'Report planning (daily) failed: the error is in its run record (due 05:00 on 22 Nov)',
    });
  });

  it('a job days behind its schedule is not "ok" because its last run was', async () => {
    const { store } = await freshStore('pipeline');
    await run(store, 'rollup-kpis', at('2026-11-18', '00:30:04'));
    await run(store, 'rollup-kpis', at('2026-11-19', '00:30:04'));

    const jobs = await pipelineAt(store, at('2026-11-23', '05:00:30'));

    expect(jobs['rollup-kpis']).toMatchObject({
      status: 'missed',
      at: '2026-11-18T16:30:04.000Z',
      note: expect.stringMatching(/^Nightly rollup did not run: due 00:30 on 23 Nov, .*\(4 due runs in a row\)$/),
    });
    expect(jobs['check-backups']).toEqual({ job: 'check-backups', status: 'missing' });
  });

  it("shows the watchdog's open incident for a job whose due runs it expects but the report cannot judge", async () => {
    const { store } = await freshStore('pipeline');
    const config = exampleConfig();
    config.monitoring.queueSilenceMinutes = 100_000;
    // A new deployment: the watchdog watches from noon; the rollup never ran.
    await watchdogCheck(at('2026-11-23', '01:45:00'), {
      store,
      config,
      queue: memoryQueue(),
      jobs: ['rollup-kpis'],
      expectSince: at('2026-11-22', '12:00:00'),
    });

    const jobs = await pipelineAt(store, at('2026-11-23', '05:00:30'));

    expect(jobs['rollup-kpis']).toEqual({
      job: 'rollup-kpis',
      status: 'missed',
      note: 'Nightly rollup did not run: due 00:30 on 23 Nov, nothing started within the 60-minute grace time',
    });
    expect(jobs['detect-anomalies']).toEqual({ job: 'detect-anomalies', status: 'missing' });
  });
});

/** `nightshift detect` run by hand (or a nightly cron) at `start`, a minute long. */
const detectByHand = (store: StateStore, start: number) => {
  const ticks = [start, start + 60_000];
  return recordRun(
    store,
    'detect-anomalies',
    () => ticks.shift() ?? start + 60_000,
    async () => ({}),
    {
      manual: true,
    },
  );
};

/** The README's local routine for the nights before `day`'s report: the rollup at 00:30, then `detect` at 01:30. */
async function nightlyByHand(store: StateStore, nights: string[]) {
  for (const night of nights) {
    await run(store, 'rollup-kpis', at(night, '00:30:04'));
    await detectByHand(store, at(night, '01:30:00'));
  }
}

describe('report pipeline health of detection run once a night by hand', () => {
  it('a nightly `detect` after the rollup reads as ran, not as the hourly runs the stack would make', async () => {
    const { store } = await freshStore('pipeline');
    await nightlyByHand(store, ['2026-11-21', '2026-11-22', '2026-11-23']);

    const jobs = await pipelineAt(store, at('2026-11-23', '05:00:30'));

    expect(jobs['detect-anomalies']).toEqual({ job: 'detect-anomalies', status: 'ok', at: '2026-11-22T17:30:00.000Z' });
  });

  it('a night it did not run after the rollup is missed at the slot after the rollup, and says when it last ran', async () => {
    const { store } = await freshStore('pipeline');
    await nightlyByHand(store, ['2026-11-21', '2026-11-22']);
    await run(store, 'rollup-kpis', at('2026-11-23', '00:30:04'));
    const config = exampleConfig();
    const report = config.reports.find((r) => r.id === 'daily')!;
    const person = config.people.find((p) => p.id === 'ops_director')!;

    const model = await loadReportModel(report, '2026-11-22', person, {
      store,
      config,
      now: () => at('2026-11-23', '05:00:30'),
    });
    const { text } = renderReport(model);

    expect(model.pipeline.jobs.find((j) => j.job === 'detect-anomalies')).toEqual({
      job: 'detect-anomalies',
      status: 'missed',
      at: '2026-11-21T17:30:00.000Z',
      note: 'Nightly anomaly detection did not run: due 01:00 on 23 Nov, nothing started within the 60-minute grace time',
    });
    // The run that happened is named as the last one, never as the one that did not run.
    expect(text).toContain('* detect-anomalies: ✗ Did not run (last ran 22 Nov 01:30) — Nightly anomaly detection');
  });

  it('a deployment whose hourly runs stopped is still missed by the hour, though someone ran `detect` by hand', async () => {
    const { store } = await freshStore('pipeline');
    await run(store, 'rollup-kpis', at('2026-11-23', '00:30:04'));
    for (let h = 0; h < 24; h++) await run(store, 'detect-anomalies', at('2026-11-22', '03:00:02') + h * 3_600_000);
    await detectByHand(store, at('2026-11-23', '03:10:00'));

    const jobs = await pipelineAt(store, at('2026-11-23', '05:00:30'));

    expect(jobs['detect-anomalies']).toMatchObject({
      status: 'missed',
      note: expect.stringMatching(/^Anomaly detection did not run: due 04:00 on 23 Nov, /),
    });
  });

  it('the watchdog, like the report, opens nothing for the hours between nightly runs by hand', async () => {
    const { store } = await freshStore('pipeline');
    const config = exampleConfig();
    config.monitoring.queueSilenceMinutes = 100_000;
    const nights = Array.from({ length: 5 }, (_, i) => addDays('2026-11-19', i));
    await nightlyByHand(store, nights);
    const deps = { store, config, queue: memoryQueue(), jobs: ['detect-anomalies'] as JobName[] };

    const check = await watchdogCheck(at('2026-11-23', '09:15:00'), {
      ...deps,
      expectSince: at('2026-11-19', '00:00:00'),
    });

    expect(check.findings).toEqual([]);
    expect(check.opened).toEqual([]);
  });
});

describe('report pipeline health of a job with several schedules', () => {
  it("a report's planning that missed names that report's last run, not another report's run since", async () => {
    const { store } = await freshStore('pipeline');
    // Monday 23 Nov: the weekly report's planning was due at 09:00 and did not run; the daily one ran on 24 Nov.
    await run(store, 'plan-reports', at('2026-11-16', '09:00:01'), 'ok', 'weekly');
    await run(store, 'plan-reports', at('2026-11-23', '05:00:01'), 'ok', 'daily');
    await run(store, 'plan-reports', at('2026-11-24', '05:00:01'), 'ok', 'daily');

    const jobs = await pipelineAt(store, at('2026-11-24', '05:30:00'), '2026-11-23');

    expect(jobs['plan-reports']).toEqual({
      job: 'plan-reports',
      status: 'missed',
      at: '2026-11-16T01:00:01.000Z',
      note: 'Report planning (weekly) did not run: due 09:00 on 23 Nov, nothing started within the 60-minute grace time',
    });
  });
});

describe('report pipeline health of an earlier period', () => {
  it('judges the jobs as they stood when the report was due, not by the runs since', async () => {
    const { store } = await freshStore('pipeline');
    // The night after 22 Nov: the rollup on time, detection hourly, the checks late, the report planned at 05:00.
    await run(store, 'rollup-kpis', at('2026-11-23', '00:30:04'));
    await run(store, 'check-backups', at('2026-11-23', '03:52:00'));
    await run(store, 'plan-reports', at('2026-11-23', '05:00:01'), 'ok', 'daily');
    // Since then: detection kept running for 3 days (more runs than a report reads) and stopped; the rollup failed.
    for (let h = 0; h < 72; h++) await run(store, 'detect-anomalies', at('2026-11-23', '01:00:02') + h * 3_600_000);
    await run(store, 'rollup-kpis', at('2026-11-24', '00:30:04'), 'failed');
    await run(store, 'check-backups', at('2026-11-24', '02:00:03'));

    const jobs = await pipelineAt(store, at('2026-11-26', '10:00:00'), '2026-11-22');

    expect(jobs['rollup-kpis']).toEqual({ job: 'rollup-kpis', status: 'ok', at: '2026-11-22T16:30:04.000Z' });
    // Judged as of 06:00 on 23 Nov, the end of the report's grace time (due 05:00): the last run by then was at 05:00.
    expect(jobs['detect-anomalies']).toEqual({ job: 'detect-anomalies', status: 'ok', at: '2026-11-22T21:00:02.000Z' });
    expect(jobs['check-backups']).toMatchObject({
      status: 'late',
      note: expect.stringMatching(/^Backup and data checks ran late: due 02:00 on 23 Nov, started 03:52 on 23 Nov/),
    });
    expect(jobs['plan-reports']).toMatchObject({ status: 'ok', at: '2026-11-22T21:00:01.000Z' });
  });

  it("shows the watchdog's incident that was open then, though it has been resolved since", async () => {
    const { store } = await freshStore('pipeline');
    const config = exampleConfig();
    config.monitoring.queueSilenceMinutes = 100_000;
    const expectSince = at('2026-11-22', '12:00:00');
    const deps = { store, config, queue: memoryQueue(), jobs: ['rollup-kpis'] as JobName[], expectSince };
    // A new deployment: the rollup's first night is missed, the next one runs and the watchdog resolves the incident.
    await watchdogCheck(at('2026-11-23', '01:45:00'), deps);
    await run(store, 'rollup-kpis', at('2026-11-24', '00:30:04'));
    const nextNight = await watchdogCheck(at('2026-11-24', '01:45:00'), deps);

    const jobs = await pipelineAt(store, at('2026-11-26', '10:00:00'), '2026-11-22');

    expect(nextNight.resolved).toEqual(['job:rollup-kpis.schedule:*:job_failed']);

    expect(jobs['rollup-kpis']).toEqual({
      job: 'rollup-kpis',
      status: 'missed',
      note: 'Nightly rollup did not run: due 00:30 on 23 Nov, nothing started within the 60-minute grace time',
    });
  });
});

describe('report pipeline health of a report made after its due time', () => {
  it('a rollup run by hand after the report was due ran late, not "never ran", when the report is made then', async () => {
    const { store } = await freshStore('pipeline');
    await nightlyByHand(store, ['2026-11-21', '2026-11-22']);
    // The night after 22 Nov nothing ran on time: the rollup and `detect` were run by hand in the afternoon.
    await run(store, 'rollup-kpis', at('2026-11-23', '15:58:00'));
    await detectByHand(store, at('2026-11-23', '15:59:00'));

    const config = exampleConfig();
    const report = config.reports.find((r) => r.id === 'daily')!;
    const person = config.people.find((p) => p.id === 'ops_director')!;
    const model = await loadReportModel(report, '2026-11-22', person, {
      store,
      config,
      now: () => at('2026-11-23', '16:00:00'),
    });
    const jobs = Object.fromEntries(model.pipeline.jobs.map((j) => [j.job, j]));

    expect(renderReport(model).text).toContain(
      '* rollup-kpis: ! Late (23 Nov 15:58) — Nightly rollup ran late: due 00:30 on 23 Nov, started 15:58 on 23 Nov',
    );
    expect(jobs['rollup-kpis']).toEqual({
      job: 'rollup-kpis',
      status: 'late',
      at: '2026-11-23T07:58:00.000Z',
      note: 'Nightly rollup ran late: due 00:30 on 23 Nov, started 15:58 on 23 Nov (15.5 h late; grace 60 min)',
    });
    expect(jobs['detect-anomalies']).toMatchObject({
      status: 'late',
      note: expect.stringMatching(/^Nightly anomaly detection ran late: due 01:00 on 23 Nov, started 15:59 on 23 Nov/),
    });
  });

  it("a first install's jobs, run by hand before the report, ran, as `runs` and `watchdog` say", async () => {
    const { store } = await freshStore('pipeline');
    await run(store, 'rollup-kpis', at('2026-11-23', '15:58:00'));
    await detectByHand(store, at('2026-11-23', '15:59:00'));
    await run(store, 'plan-reports', at('2026-11-23', '16:00:00'), 'ok', 'daily');

    const jobs = await pipelineAt(store, at('2026-11-23', '16:00:30'));

    expect(jobs['rollup-kpis']).toEqual({ job: 'rollup-kpis', status: 'ok', at: '2026-11-23T07:58:00.000Z' });
    expect(jobs['detect-anomalies']).toEqual({ job: 'detect-anomalies', status: 'ok', at: '2026-11-23T07:59:00.000Z' });
    expect(jobs['plan-reports']).toEqual({ job: 'plan-reports', status: 'ok', at: '2026-11-23T08:00:00.000Z' });
  });

  it('a report re-made days later counts the late run of its own night, never the runs of the nights after', async () => {
    const { store } = await freshStore('pipeline');
    await nightlyByHand(store, ['2026-11-20', '2026-11-21', '2026-11-22']);
    // 22 Nov's rollup (due 00:30 on 23 Nov) ran late, 23 Nov's on time, 24 Nov's not at all, 25 Nov's on time.
    await run(store, 'rollup-kpis', at('2026-11-23', '15:58:00'));
    await run(store, 'rollup-kpis', at('2026-11-24', '00:30:04'));
    await run(store, 'rollup-kpis', at('2026-11-26', '00:30:04'));

    const late = await pipelineAt(store, at('2026-11-27', '10:00:00'), '2026-11-22');
    const missed = await pipelineAt(store, at('2026-11-27', '10:00:00'), '2026-11-24');

    expect(late['rollup-kpis']).toMatchObject({ status: 'late', at: '2026-11-23T07:58:00.000Z' });
    // The run at 00:30 on 26 Nov, before the next report was due, is the next night's: it covers 25 Nov, not 24 Nov.
    expect(missed['rollup-kpis']).toMatchObject({
      status: 'missed',
      note: expect.stringMatching(/^Nightly rollup did not run: due 00:30 on 25 Nov/),
    });
  });
});

describe('report incidents: the night after the period', () => {
  it('the morning report lists an incident the watchdog opened in the night while it is open', async () => {
    const { store } = await freshStore('pipeline');
    const config = exampleConfig();
    config.monitoring.queueSilenceMinutes = 100_000;
    const deps = { store, config, queue: memoryQueue(), jobs: ['rollup-kpis'] as JobName[] };
    await run(store, 'rollup-kpis', at('2026-11-22', '00:30:04'));
    await watchdogCheck(at('2026-11-23', '01:45:03'), deps);
    const incidents = reportIncidents(store, config);

    expect(await incidents('2026-11-22')).toEqual([
      expect.objectContaining({ title: 'Nightly rollup: missed or late', state: 'open', firstResponder: 'Chen Jie' }),
    ]);
    expect(await incidents('2026-11-21')).toEqual([]);

    // Resolved the next night: the report of the day it was opened on lists it resolved; the day before's, re-made
    // since, lists it as it stood that morning, open.
    await run(store, 'rollup-kpis', at('2026-11-24', '00:30:04'));
    await watchdogCheck(at('2026-11-24', '01:45:03'), deps);
    expect(await incidents('2026-11-22')).toEqual([expect.objectContaining({ state: 'open' })]);
    expect(await incidents('2026-11-23')).toEqual([expect.objectContaining({ state: 'resolved' })]);
    // Made before the watchdog opened it, the report of 22 Nov did not list it, and re-made later it still does not.
    const daily = config.reports.find((r) => r.id === 'daily')!;
    const person = config.people.find((p) => p.id === 'ops_director')!;
    const remade = async (madeAt: number) =>
      (await loadReportModel(daily, '2026-11-22', person, { store, config, now: () => madeAt, incidents })).incidents;
    expect(await remade(at('2026-11-23', '01:00:00'))).toEqual([]);
    expect(await remade(at('2026-11-26', '10:00:00'))).toEqual([expect.objectContaining({ state: 'open' })]);
  });
});

describe('the report period', () => {
  it("marks a daily report on one of the config's holidays, so its unusual figures have their reason", async () => {
    const { store } = await freshStore('holiday-report');
    const config = { ...exampleConfig(), holidays: ['2026-11-22'] };
    const report = config.reports.find((r) => r.id === 'daily')!;
    const person = config.people.find((p) => p.id === 'ops_director')!;
    const now = () => at('2026-11-23', '08:00:00');
    const onHoliday = await loadReportModel(report, '2026-11-22', person, { store, config, now });
    const dayBefore = await loadReportModel(report, '2026-11-21', person, { store, config, now });
    expect(onHoliday.report.periodLabel).toMatch(/\(holiday\)$/);
    expect(dayBefore.report.periodLabel).not.toContain('holiday');
  });

  it('says "holiday" beside the date in the body too, not only in the subject', async () => {
    const { store } = await freshStore('holiday-report');
    const config = { ...exampleConfig(), holidays: ['2026-11-22'] };
    const report = config.reports.find((r) => r.id === 'daily')!;
    const person = config.people.find((p) => p.id === 'ops_director')!;
    const now = () => at('2026-11-23', '08:00:00');

    const { text, html } = renderReport(await loadReportModel(report, '2026-11-22', person, { store, config, now }));

    expect(text.split('\n')[0]).toBe('DAILY REPORT · Sunday 22 November 2026 (holiday)');
    expect(html).toContain('Sunday 22 November 2026 (holiday)</div>');
  });
});

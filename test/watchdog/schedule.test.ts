import { describe, expect, it } from 'vitest';
import { dueTimes, runStreams } from '#shared/watchdog/schedule.ts';
import { exampleConfig } from '../support/config.ts';

const local = (instants: number[], timeZone: string) =>
  instants.map((t) => new Date(t).toLocaleString('sv-SE', { timeZone }).slice(0, 16));

describe('due runs from the config', () => {
  it('the example config schedules the rollup, hourly detection, the checks and one stream per report', () => {
    const streams = runStreams(exampleConfig());

    expect(streams.map((s) => [s.job, s.key, s.cadence])).toEqual([
      ['rollup-kpis', undefined, { every: 'day', at: '00:30' }],
      ['detect-anomalies', undefined, { every: 'hour', minute: 0 }],
      ['check-backups', undefined, { every: 'day', at: '02:00' }],
      ['plan-reports', 'daily', { every: 'day', at: '05:00' }],
      ['plan-reports', 'weekly', { every: 'week', at: '09:00', weekday: 1 }],
      ['plan-reports', 'monthly', { every: 'month', at: '09:00', dayOfMonth: 1 }],
    ]);
  });

  it('expects no runs of a job the config gives nothing to do: no checks, no rules or expected events, no reports', () => {
    const config = exampleConfig();
    const idle = {
      ...config,
      checks: { ...config.checks, backups: [], reconciliations: [] },
      alerts: { ...config.alerts, rules: [], expectedEvents: [] },
      reports: [],
    };

    expect(runStreams(idle).map((s) => s.job)).toEqual(['rollup-kpis']);
    expect(runStreams({ ...config, checks: idle.checks }).map((s) => s.job)).not.toContain('check-backups');
  });

  it('a nightly 02:30 in New York has no run on the night the clocks skip it, as Scheduler skips it', () => {
    const tz = 'America/New_York';
    const due = dueTimes(
      { every: 'day', at: '02:30' },
      tz,
      Date.parse('2026-03-07T00:00:00Z'),
      Date.parse('2026-03-10T12:00:00Z'),
    );

    expect(local(due, tz)).toEqual(['2026-03-07 02:30', '2026-03-09 02:30', '2026-03-10 02:30']);
  });

  it('an hourly run is due once per wall-clock time on the 25-hour fall-back day', () => {
    const tz = 'America/New_York';
    const day = dueTimes(
      { every: 'hour', minute: 30 },
      tz,
      Date.parse('2026-11-01T04:00:00Z'),
      Date.parse('2026-11-02T04:59:00Z'),
    );

    expect(day).toHaveLength(24);
    expect(local(day, tz).filter((t) => t.endsWith('01:30'))).toEqual(['2026-11-01 01:30']);
  });
});

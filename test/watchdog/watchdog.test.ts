import { describe, expect, it } from 'vitest';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { loadAlertMail } from '#shared/email/alert-mail.ts';
import { markStored } from '#shared/events/events-store.ts';
import { readIncident } from '#shared/incidents/incidents.ts';
import { type JobName, recordRun } from '#shared/jobs/runs.ts';
import type { AlertDelivery } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { watchdogCheck } from '#shared/watchdog/watchdog.ts';
import { memoryQueue } from '../alerts/support.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const MIN = 60_000;
const SCHEDULE = 'job:rollup-kpis.schedule:*:job_failed';
const OUTCOME = 'job:rollup-kpis.outcome:*:job_failed';
const DURATION = 'job:rollup-kpis.duration:*:job_failed';
const QUEUE = 'job:ingest.queue:*:missing_data';
const OUTAGE = ['tech_ops_manager', 'it_ops'];

/** Shanghai wall time (UTC+8, no DST) as epoch ms. */
const at = (date: string, time: string) => Date.parse(`${date}T${time}:00+08:00`);

/** Records one run of `job` as the handler would, with a fake clock: it starts at `start` and lasts `ms`. */
async function run(
  store: StateStore,
  start: number,
  ms: number,
  outcome: 'ok' | Error = 'ok',
  job: JobName = 'rollup-kpis',
  summary: Record<string, unknown> = { periods: 9 },
  key?: string,
): Promise<void> {
  const ticks = [start, start + ms];
  const clock = () => ticks.shift() ?? start + ms;
  await recordRun(
    store,
    job,
    clock,
    async () => {
      if (outcome instanceof Error) throw outcome;
      return summary;
    },
    key === undefined ? {} : { key },
  ).catch(() => undefined);
}

/** Seven healthy nights before `day`: started a minute after 00:30, ten minutes long. */
async function healthyHistory(store: StateStore, day: string): Promise<void> {
  for (let i = 7; i >= 1; i--) await run(store, at(addDays(day, -i), '00:31'), 10 * MIN);
}

async function setup(options: { silence?: boolean } = {}) {
  const config: NightshiftConfig = exampleConfig();
  // Job tests leave the events queue out of the picture.
  if (!options.silence) config.monitoring.queueSilenceMinutes = 100_000;
  const { store } = await freshStore('watchdog');
  const queue = memoryQueue();
  const deps = { store, config, queue, jobs: ['rollup-kpis'] as JobName[] };
  return { config, store, queue, deps, check: (now: number) => watchdogCheck(now, deps) };
}

const alerts = (messages: ReturnType<typeof memoryQueue>['messages']) =>
  messages.map((m) => (m.kind === 'alert' ? `${m.incidentId} ${m.transition} ${m.recipientId}` : 'report'));

describe('watchdog: scheduled jobs', () => {
  it('a missed nightly rollup opens one incident for the outage plan and resolves once the next night runs', async () => {
    const { config, store, queue, check } = await setup();
    await healthyHistory(store, '2026-11-22');

    const first = await check(at('2026-11-22', '01:45'));
    const opened = await readIncident(store, SCHEDULE);
    const later = await check(at('2026-11-22', '02:45'));
    await run(store, at('2026-11-23', '00:31'), 10 * MIN);
    const healthy = await check(at('2026-11-23', '01:45'));

    expect(first.opened).toEqual([SCHEDULE]);
    expect(first.findings).toEqual([
      expect.objectContaining({
        incident: SCHEDULE,
        problem: 'missed',
        summary: expect.stringMatching(/did not run: due 00:30 on 22 Nov/),
      }),
    ]);
    expect(later.opened).toEqual([]);
    expect(later.open).toEqual([SCHEDULE]);
    expect(healthy.resolved).toEqual([SCHEDULE]);
    expect(healthy.findings).toEqual([]);
    expect(alerts(queue.messages)).toEqual([
      ...OUTAGE.map((p) => `${SCHEDULE} opened ${p}`),
      ...OUTAGE.map((p) => `${SCHEDULE} resolved ${p}`),
    ]);
    expect(opened).toMatchObject({ status: 'open', severity: 'critical', kind: 'job_failed', granularity: 'hour' });
    const mail = await loadAlertMail(store, config, queue.messages[0] as AlertDelivery);
    expect(mail?.subject).toBe(
      '[Nightshift] OPENED critical: Nightly rollup did not run: due 00:30 on 22 Nov, nothing started within the 60-minute grace time',
    );
    expect(mail?.text).toContain('Find the cause (ingestion queue, upstream app, Nightshift job runs).');
    expect(await readIncident(store, SCHEDULE)).toMatchObject({ status: 'resolved', periods: 2 });
  });

  it('a rollup that starts after the grace time opens one "late" incident and resolves when the next night is on time', async () => {
    const { store, check } = await setup();
    await healthyHistory(store, '2026-11-22');
    await run(store, at('2026-11-22', '02:10'), 10 * MIN);

    const late = await check(at('2026-11-22', '02:45'));
    await run(store, at('2026-11-23', '00:31'), 10 * MIN);
    const healthy = await check(at('2026-11-23', '01:45'));

    expect(late.opened).toEqual([SCHEDULE]);
    expect(late.findings[0]).toMatchObject({
      problem: 'late',
      summary: expect.stringContaining('started 02:10 on 22 Nov (1.7 h late'),
    });
    expect(healthy.resolved).toEqual([SCHEDULE]);
    expect(healthy.open).toEqual([]);
  });

  it('a failed rollup opens one incident quoting the error without personal data, and resolves after a good run', async () => {
    const { store, queue, check } = await setup();
    await healthyHistory(store, '2026-11-22');
    await run(
      store,
      at('2026-11-22', '00:31'),
      2 * MIN,
      new Error('ProvisionedThroughputExceeded for jane.doe@example.com'),
    );

    const failed = await check(at('2026-11-22', '01:45'));
    await run(store, at('2026-11-23', '00:31'), 10 * MIN);
    const healthy = await check(at('2026-11-23', '01:45'));

    expect(failed.opened).toEqual([OUTCOME]);
    expect(failed.findings[0]?.summary).toMatch(
      /^Nightly rollup failed: Error: ProvisionedThroughputExceeded for \[withheld\]/,
    );
    expect(JSON.stringify(await readIncident(store, OUTCOME))).not.toContain('jane.doe');
    expect(healthy.resolved).toEqual([OUTCOME]);
    expect(alerts(queue.messages).filter((m) => m.includes('opened'))).toEqual(
      OUTAGE.map((p) => `${OUTCOME} opened ${p}`),
    );
  });

  it('a run far shorter than the usual ones opens one "unusual duration" incident, resolved by a normal run', async () => {
    const { store, check } = await setup();
    await healthyHistory(store, '2026-11-22');
    await run(store, at('2026-11-22', '00:31'), 20_000);

    const short = await check(at('2026-11-22', '01:45'));
    await run(store, at('2026-11-23', '00:31'), 11 * MIN);
    const healthy = await check(at('2026-11-23', '01:45'));

    expect(short.opened).toEqual([DURATION]);
    expect(short.findings[0]).toMatchObject({
      problem: 'short',
      summary: expect.stringContaining('ran suspiciously short: 20 s against a median of 10 min over the last 7 runs'),
    });
    expect(healthy.resolved).toEqual([DURATION]);
  });

  it('a failed weekly report planning run is told apart from the daily one that ran the same morning', async () => {
    const { store, deps } = await setup();
    deps.jobs = ['plan-reports'];
    const plan = (start: number, reportId: string, outcome: 'ok' | Error = 'ok') =>
      run(store, start, 300, outcome, 'plan-reports', { reportId, messages: 6 });
    for (let i = 7; i >= 1; i--) await plan(at(addDays('2026-11-23', -i), '05:00'), 'daily');
    await plan(at('2026-11-16', '09:00'), 'weekly');
    await plan(at('2026-11-23', '05:00'), 'daily');
    // A failed run records no summary, so nothing names its report.
    await plan(
      at('2026-11-23', '09:00'),
      'weekly',
      Object.assign(new Error('3 delivery messages not accepted by SQS'), { name: 'QueueError' }),
    );

    const result = await watchdogCheck(at('2026-11-23', '10:15'), deps);

    expect(result.opened).toEqual(['job:plan-reports.outcome:weekly:job_failed']);
    expect(result.findings.map((f) => f.summary)).toEqual([
      'Report planning (weekly) failed: QueueError: 3 delivery messages not accepted by SQS (due 09:00 on 23 Nov)',
    ]);
  });

  it('a failed run that names its report is judged with that report, whenever it ran', async () => {
    const { store, deps } = await setup();
    deps.jobs = ['plan-reports'];
    const plan = (start: number, reportId: string, outcome: 'ok' | Error = 'ok') =>
      run(store, start, 300, outcome, 'plan-reports', { reportId, messages: 6 }, reportId);
    for (let i = 7; i >= 1; i--) await plan(at(addDays('2026-11-23', -i), '05:00'), 'daily');
    await plan(at('2026-11-16', '09:00'), 'weekly');
    await plan(at('2026-11-23', '05:00'), 'daily');
    await plan(at('2026-11-23', '09:00'), 'weekly');
    // Someone re-runs the daily report's planning by hand just after the weekly one was due, and it fails.
    await plan(at('2026-11-23', '09:03'), 'daily', new Error('SQS unavailable'));

    const result = await watchdogCheck(at('2026-11-23', '10:15'), deps);

    expect(result.opened).toEqual(['job:plan-reports.outcome:daily:job_failed']);
  });

  it('a new deployment is not blamed for runs due before the watchdog first looked, unless told to expect them', async () => {
    const { check, deps } = await setup();

    const first = await check(at('2026-11-22', '01:45'));
    const told = await watchdogCheck(at('2026-11-22', '02:45'), { ...deps, expectSince: at('2026-11-21', '02:45') });

    expect(first.findings).toEqual([]);
    expect(first.opened).toEqual([]);
    expect(told.opened).toEqual([SCHEDULE]);
  });
});

describe('watchdog: events queue', () => {
  it('no events accepted for queueSilenceMinutes opens one incident; events arriving again resolve it', async () => {
    const { store, queue, deps } = await setup({ silence: true });
    deps.jobs = [];
    // Each batch that stores events notes when (ingestMessages does so).
    const arrive = (now: number, _events: number) => markStored(store, now);
    const t0 = at('2026-11-22', '09:45');
    const hour = (h: number) => t0 + h * 60 * MIN;

    await arrive(t0, 50);
    const checks = [];
    checks.push(await watchdogCheck(hour(0), deps));
    await arrive(hour(1), 40); // the last events arrive before 10:45
    checks.push(await watchdogCheck(hour(1), deps));
    checks.push(await watchdogCheck(hour(2), deps));
    checks.push(await watchdogCheck(hour(3), deps));
    checks.push(await watchdogCheck(hour(4), deps));
    await arrive(hour(5), 7);
    checks.push(await watchdogCheck(hour(5), deps));

    expect(checks.map((c) => c.queue.silentMinutes)).toEqual([0, 0, 60, 120, 180, 0]);
    expect(checks.map((c) => c.opened)).toEqual([[], [], [], [QUEUE], [], []]);
    // Once, when the silence reaches 1.5 times the limit.
    expect(checks.map((c) => c.escalated)).toEqual([[], [], [], [], [QUEUE], []]);
    expect(checks[3]?.findings).toEqual([
      {
        incident: QUEUE,
        problem: 'silent_queue',
        summary: 'No events accepted for 120 minutes (limit 120, monitoring.queueSilenceMinutes)',
      },
    ]);
    expect(checks[5]?.resolved).toEqual([QUEUE]);
    expect(alerts(queue.messages)).toEqual([
      ...OUTAGE.map((p) => `${QUEUE} opened ${p}`),
      ...OUTAGE.map((p) => `${QUEUE} escalated ${p}`),
      ...OUTAGE.map((p) => `${QUEUE} resolved ${p}`),
    ]);
  });
});

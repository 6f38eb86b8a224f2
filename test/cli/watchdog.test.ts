import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, vi } from 'vitest';
import type { CommandContext } from '#cli/context.ts';
import { buildProgram } from '#cli/main.ts';
import { parseInstant, parseJobList, runWatchdog, watchdogLines } from '#cli/watchdog.ts';
import { freshArchive } from '../support/archive.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { recordMinuteRun as run } from '../support/runs.ts';

/** Shanghai wall time (UTC+8) as epoch ms. */
const at = (date: string, time: string) => Date.parse(`${date}T${time}+08:00`);

/** A command context on the test's DynamoDB Local whose mail goes to a list. */
async function context(now: number) {
  const config = exampleConfig();
  config.monitoring.queueSilenceMinutes = 100_000; // the events queue is not what these tests are about
  const { store, tables } = await freshStore('cli-watchdog');
  const mails: Array<{ to: string[]; raw: string }> = [];
  const ctx: CommandContext = {
    config,
    configFile: 'nightshift.config.yaml',
    dataDir: tmpdir(),
    store,
    tables,
    dynamoEndpoint: inject('dynamoEndpoint'),
    createdTables: [],
    openArchive: () => freshArchive('cli-watchdog'),
    now: () => now,
    mail: async () => ({
      mailer: {
        async sendRaw(raw, to) {
          mails.push({ to, raw: raw.toString() });
          return { messageId: `m-${mails.length}` };
        },
      },
      inboxUrl: 'http://127.0.0.1/',
      outbox: '/tmp/outbox',
    }),
  };
  return { ctx, store, mails };
}

describe('nightshift watchdog', () => {
  it('opens a "missed" incident for a job that skipped its night, mails the outage plan and says so', async () => {
    const { ctx, store, mails } = await context(at('2026-11-23', '03:45:03'));
    for (const day of ['2026-11-21', '2026-11-22']) {
      await run(store, 'rollup-kpis', at(day, '00:30:04'));
      await run(store, 'check-backups', at(day, '02:00:03'));
    }
    await run(store, 'rollup-kpis', at('2026-11-23', '00:30:04'));

    const first = await runWatchdog(ctx, { jobs: ['rollup-kpis', 'check-backups'] });
    const again = await runWatchdog(ctx, { jobs: ['rollup-kpis', 'check-backups'] });

    expect(first).toMatchObject({
      at: '2026-11-22T19:45:03.000Z',
      period: '2026-11-23T03',
      jobs: ['rollup-kpis', 'check-backups'],
      opened: ['job:check-backups.schedule:*:job_failed'],
      open: ['job:check-backups.schedule:*:job_failed'],
      alertsSent: 2,
      outbox: '/tmp/outbox',
    });
    expect(mails.map((m) => m.to)).toEqual([['chen.jie@example.com'], ['it-ops@example.com']]);
    expect(mails[0]!.raw).toContain('Backup and data checks did not run');
    expect(watchdogLines(first)).toEqual([
      'missed       Backup and data checks did not run: due 02:00 on 23 Nov, nothing started within the 60-minute grace time',
      '2026-11-23T03  opened    job:check-backups.schedule:*:job_failed',
      '1 watchdog incident open; 2 alert mails sent (copies in /tmp/outbox)',
    ]);
    // A second check in the same hour changes nothing and mails nobody.
    expect(again).toMatchObject({ opened: [], open: ['job:check-backups.schedule:*:job_failed'], alertsSent: 0 });
    expect(mails).toHaveLength(2);
  });

  it('says when nothing is wrong', async () => {
    const { ctx, store } = await context(at('2026-11-23', '01:45:03'));
    await run(store, 'rollup-kpis', at('2026-11-22', '00:30:04'));
    await run(store, 'rollup-kpis', at('2026-11-23', '00:30:04'));

    const healthy = await runWatchdog(ctx, { jobs: ['rollup-kpis'] });

    expect(healthy).toMatchObject({ findings: [], opened: [], open: [], alertsSent: 0 });
    expect(watchdogLines(healthy)).toEqual([
      'nothing wrong with rollup-kpis or the events queue (events last stored: never)',
      '0 watchdog incidents open; 0 alert mails sent (copies in /tmp/outbox)',
    ]);
    // A second check in the same hour judges nothing again, and says so instead of "nothing wrong".
    const again = await runWatchdog(ctx, { jobs: ['rollup-kpis'] });
    expect(again.judged).toBe(0);
    expect(watchdogLines(again)).toEqual([
      '2026-11-23T01 was checked already: nothing judged again this hour (problems still open are listed above)',
      '0 watchdog incidents open; 0 alert mails sent (copies in /tmp/outbox)',
    ]);
  });

  it('refuses unknown jobs and instants without an offset, naming what it accepts', async () => {
    expect(parseJobList('rollup-kpis, check-backups,rollup-kpis')).toEqual(['rollup-kpis', 'check-backups']);
    expect(() => parseJobList('rollup-kpis,backups')).toThrow(
      "unknown job 'backups' (jobs: rollup-kpis, detect-anomalies, check-backups, plan-reports)",
    );
    expect(() => parseJobList(' , ')).toThrow('--jobs names no job');
    expect(parseInstant('2026-11-23T03:45+08:00')).toBe(at('2026-11-23', '03:45:00'));
    expect(() => parseInstant('2026-11-23T03:45')).toThrow(/--at 2026-11-23T03:45: timestamp has no UTC offset/);
    // The verb checks its options before it starts anything.
    await expect(buildProgram().parseAsync(['node', 'nightshift', 'watchdog', '--jobs', 'nope'])).rejects.toThrow(
      "unknown job 'nope'",
    );
  });

  it('judges as of --at, only the --jobs given, on a running DynamoDB (--endpoint), and prints JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-watchdog-'));
    // A config of its own name: the command's tables do not meet other tests' tables.
    const config = join(dir, 'nightshift.config.yaml');
    const name = `wd-${Math.random().toString(36).slice(2, 10)}`;
    writeFileSync(config, readFileSync('nightshift.config.yaml', 'utf8').replace(/^name: .*$/m, `name: ${name}`));
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => printed.push(String(line)));
    try {
      await buildProgram().parseAsync([
        'node',
        'nightshift',
        '--config',
        config,
        '--data',
        dir,
        '--endpoint',
        inject('dynamoEndpoint'),
        '--json',
        'watchdog',
        '--at',
        '2026-11-23T03:45+08:00',
        '--jobs',
        'rollup-kpis,check-backups',
      ]);
    } finally {
      log.mockRestore();
    }
    const out = JSON.parse(printed.at(-1)!);
    // A new deployment: nothing was due since the watchdog first looked, so nothing is blamed.
    expect(out).toMatchObject({
      at: '2026-11-22T19:45:00.000Z',
      period: '2026-11-23T03',
      jobs: ['rollup-kpis', 'check-backups'],
      findings: [],
      opened: [],
      alertsSent: 0,
      outbox: join(dir, 'outbox'),
    });
  });
});

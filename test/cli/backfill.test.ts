// `nightshift backfill` as a user runs it: a real CLI process with its local DynamoDB and local S3 (s3rver) under a
// --data folder, on a clock set by --now.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../local/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'nightshift-backfill-'));
const data = join(root, 'data');
const NOW = ['--now', '2026-11-23T01:00:00+08:00', '--data', data];

describe('nightshift backfill', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('recomputes the days from the archive the rollup wrote, and stores the periods touching them', async () => {
    const file = join(root, 'events.jsonl');
    const line = (id: string, event: string, userId: string, timestamp: string) =>
      JSON.stringify({ messageId: id, event, userId, timestamp, properties: { department: 'market' } });
    writeFileSync(
      file,
      [
        line('a1', 'Signed Up', 'u1', '2026-11-20T10:00:00+08:00'),
        line('a2', 'Signed Up', 'u2', '2026-11-21T10:00:00+08:00'),
        line('a3', 'Page Viewed', 'u1', '2026-11-21T11:00:00+08:00'),
      ].join('\n'),
    );
    expect((await runCli([...NOW, 'ingest', file], { timeoutMs: 60_000 })).code).toBe(0);
    expect(
      (await runCli([...NOW, 'rollup', '--from', '2026-11-20', '--to', '2026-11-22'], { timeoutMs: 60_000 })).code,
    ).toBe(0);

    const done = await runCli([...NOW, '--json', 'backfill', '--kpi', 'new_users', '--from', '2026-11-20'], {
      timeoutMs: 60_000,
    });
    expect(done.code).toBe(0);
    const summary = JSON.parse(done.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ from: '2026-11-20', to: '2026-11-22', kpis: ['new_users'], eventsRead: 3 });
    expect(summary.periods).toEqual(expect.arrayContaining(['2026-11-20', '2026-W47', '2026-11']));

    const kpis = await runCli(
      [
        ...NOW,
        '--json',
        'kpis',
        '--granularity',
        'week',
        '--kpi',
        'new_users',
        '--from',
        '2026-11-20',
        '--to',
        '2026-11-22',
      ],
      {
        timeoutMs: 60_000,
      },
    );
    expect(JSON.parse(kpis.stdout.trim().split('\n').at(-1)!)).toMatchObject([{ period: '2026-W47', value: 2 }]);

    // The rollup reached the last closed day (22 Nov at this --now), so it counts as the nightly job's run; the
    // backfill over old days does not.
    const runs = await runCli([...NOW, '--json', 'runs', '--job', 'rollup-kpis'], { timeoutMs: 60_000 });
    expect(JSON.parse(runs.stdout.trim().split('\n').at(-1)!)).toMatchObject([{ job: 'rollup-kpis', status: 'ok' }]);
  }, 240_000);

  it('ingests a file as of --now, not as of when the file was written (a replay of older or newer data)', async () => {
    const file = join(root, 'replay.jsonl');
    writeFileSync(
      file,
      JSON.stringify({ messageId: 'r1', event: 'Signed Up', userId: 'u9', timestamp: '2026-11-22T09:00:00+08:00' }),
    );
    // Written "in January": by the file's time the event would lie ten months in the future.
    utimesSync(file, new Date('2026-01-05T00:00:00Z'), new Date('2026-01-05T00:00:00Z'));
    const r = await runCli([...NOW, '--json', 'ingest', file], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toMatchObject({ accepted: 1, rejected: 0 });
  }, 60_000);

  it('names an unknown KPI and exits 1', async () => {
    const r = await runCli([...NOW, 'backfill', '--kpi', 'nope', '--from', '2026-11-20'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown KPI nope (known: new_users');
  }, 60_000);

  it('says when a KPI named to kpis is not rolled up at the granularity asked, instead of printing nothing', async () => {
    const r = await runCli([...NOW, 'kpis', '--granularity', 'month', '--kpi', 'dau'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not rolled up by month: dau (day)');
  }, 60_000);
});

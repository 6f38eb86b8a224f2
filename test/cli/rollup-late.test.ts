// What a user sees of late events on a laptop: `nightshift ingest` says a rolled-up day got late events and marks
// it, the next plain `nightshift rollup` counts them into that day as into its week, and recomputing that day by hand
// later leaves its week as complete as it was. Real CLI processes on the test run's DynamoDB (--endpoint), their own
// tables, the example config (Asia/Shanghai) and a fixed --now per step; week 2026-W48 is Mon 23 .. Sun 29 Nov.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dateRange } from '#shared/time/calendar.ts';
import { REPO, runCli } from '../local/processes.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-rollup-late-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const config = join(cwd, 'late.yaml');
writeFileSync(
  config,
  readFileSync(join(REPO, 'nightshift.config.yaml'), 'utf8').replace(
    /^name: .*$/m,
    `name: late-${Math.random().toString(36).slice(2, 10)}`,
  ),
);

const cli = async (now: string, args: string[]) => {
  const run = await runCli(
    ['--config', config, '--data', join(cwd, 'data'), '--endpoint', inject('dynamoEndpoint'), '--now', now, ...args],
    { cwd, timeoutMs: 60_000 },
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout;
};

const signUps = (file: string, day: string, n: number, prefix = day) => {
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      messageId: `${prefix}-${i}`,
      event: 'Signed Up',
      userId: `${prefix}-${i}`,
      timestamp: `${day}T1${i % 10}:00:00+08:00`,
    }),
  );
  writeFileSync(join(cwd, file), `${lines.join('\n')}\n`);
  return file;
};

/** Stored new_users of one period, as `nightshift kpis --json` prints it. */
async function newUsers(now: string, granularity: 'day' | 'week', day: string): Promise<number> {
  const out = await cli(now, [
    '--json',
    'kpis',
    '--granularity',
    granularity,
    '--from',
    day,
    '--to',
    day,
    '--kpi',
    'new_users',
  ]);
  const rows = JSON.parse(out) as Array<{ value: number }>;
  expect(rows).toHaveLength(1);
  return rows[0]!.value;
}

describe('nightshift rollup after nightshift ingest of late events', () => {
  it('counts them into their day as into its week, and a later rollup of that day keeps the week whole', {
    timeout: 240_000,
  }, async () => {
    // 23..27 Nov loaded and rolled up on the night of the 27th, 4 sign-ups a day.
    const history = dateRange('2026-11-23', '2026-11-27').map((d) => signUps(`${d}.jsonl`, d, 4));
    await cli('2026-11-28T00:10:00+08:00', ['ingest', ...history]);
    await cli('2026-11-28T00:30:00+08:00', ['rollup']);
    // On the 28th, 3 sign-ups of the 27th arrive late; the 28th has 5 of its own.
    const late = await cli('2026-11-28T20:00:00+08:00', [
      'ingest',
      signUps('late.jsonl', '2026-11-27', 3, 'late'),
      signUps('2026-11-28.jsonl', '2026-11-28', 5),
    ]);

    const nightly = await cli('2026-11-29T00:30:00+08:00', ['rollup']);
    const day = await newUsers('2026-11-29T08:00:00+08:00', 'day', '2026-11-27');
    const week = await newUsers('2026-11-29T08:00:00+08:00', 'week', '2026-11-27');
    // The 27th recomputed by hand in the morning, after the nightly rollup counted the 28th.
    const byHand = await cli('2026-11-29T10:00:00+08:00', ['rollup', '--from', '2026-11-27', '--to', '2026-11-27']);
    const weekAfter = await newUsers('2026-11-29T10:30:00+08:00', 'week', '2026-11-27');

    expect(late).toContain('late events for 2026-11-27: marked for recomputation\n');
    expect(nightly).toMatch(/^5 events on Sat 28 Nov 2026; also read 2026-11-27, marked by ingest; rolled up /);
    expect(day).toBe(4 + 3);
    expect(week).toBe(5 * 4 + 3 + 5);
    expect(byHand).toMatch(/; rolled up .* \(1 day read, 7 events\), as of 2026-11-28\n$/);
    expect(weekAfter).toBe(5 * 4 + 3 + 5);
  });
});

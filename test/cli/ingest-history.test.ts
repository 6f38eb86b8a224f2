// What `nightshift ingest` says when a team loads its history: blank lines are skipped and counted (not quarantined,
// not silently dropped), and days no rollup has counted yet are "not rolled up yet", not "late". Real CLI processes on
// the test run's DynamoDB (--endpoint), their own tables, and a fixed --now.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO, runCli } from '../local/processes.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-history-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** A copy of the example config (Asia/Shanghai, recomputeDays 0) under a fresh name: its tables are its own. */
function scratchConfig(): string {
  const name = `history-${Math.random().toString(36).slice(2, 10)}`;
  const file = join(cwd, `${name}.yaml`);
  writeFileSync(
    file,
    readFileSync(join(REPO, 'nightshift.config.yaml'), 'utf8').replace(/^name: .*$/m, `name: ${name}`),
  );
  return file;
}

const line = (messageId: string, day: string) =>
  JSON.stringify({ messageId, event: 'Signed Up', userId: 'u_1', timestamp: `${day}T10:00:00+08:00` });

function file(name: string, lines: string[]): string {
  writeFileSync(join(cwd, name), `${lines.join('\n')}\n`);
  return name;
}

const cli = (config: string, args: string[]) =>
  runCli(
    [
      '--config',
      config,
      '--data',
      join(cwd, 'data'),
      '--endpoint',
      inject('dynamoEndpoint'),
      '--now',
      '2026-11-30T03:00+08:00',
      ...args,
    ],
    { cwd, timeoutMs: 60_000 },
  );

describe('nightshift ingest of a history', () => {
  it('skips blank lines and counts them, and quarantines a line that is not JSON', async () => {
    const events = file('blank.jsonl', [line('b1', '2026-11-29'), '', '   ', 'not json', line('b2', '2026-11-29')]);

    const run = await cli(scratchConfig(), ['ingest', events]);
    const json = await cli(scratchConfig(), ['--json', 'ingest', events]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'stored 2 unique events (0 duplicates in the input stored once)\nskipped 2 blank lines\n',
    );
    expect(run.stdout).toContain('rejected 1 (kept in quarantine):\n  not_json: 1\n');
    expect(JSON.parse(json.stdout)).toMatchObject({ accepted: 2, blankLines: 2, rejected: 1 });
  });

  it('days no rollup has counted are "not rolled up yet", with the rollup to run; a day rolled up before is late', async () => {
    const config = scratchConfig();
    const history = file('history.jsonl', [
      line('h1', '2026-10-01'),
      line('h2', '2026-10-02'),
      line('h3', '2026-11-28'),
    ]);

    const first = await cli(config, ['ingest', history]);
    await cli(config, ['rollup', '--from', '2026-10-01', '--to', '2026-10-01']);
    const later = await cli(config, [
      'ingest',
      file('later.jsonl', [line('l1', '2026-10-01'), line('l2', '2026-10-02')]),
    ]);

    expect(first.code).toBe(0);
    expect(first.stdout).not.toContain('late events');
    expect(first.stdout).toContain(
      'events for 2026-10-01, 2026-10-02, 2026-11-28: not rolled up yet, marked for the nightly rollup (or now: nightshift rollup --from 2026-10-01 --to 2026-11-28)\n',
    );
    expect(later.stdout).toContain('late events for 2026-10-01: marked for recomputation\n');
    expect(later.stdout).toContain('events for 2026-10-02: not rolled up yet');
  });
});

// What a user who mistypes an input sees: a file that is not there is named with what is wrong ("cannot read
// nope.jsonl: no such file"), not Node's ENOENT line; a date in the right form that is not on the calendar is told why
// ("2026-11-31 is not a date (November has 30 days)"), not the format it already has. Real CLI processes, on the test
// run's DynamoDB (--endpoint) and a fixed --now.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { assertReadable, InputFileError, readInputFile } from '#shared/config/input-file.ts';
import { loadConfig } from '#shared/config/load.ts';
import { runCli } from '../local/processes.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-input-'));
writeFileSync(
  join(cwd, 'events.jsonl'),
  '{"messageId":"in-1","event":"Signed Up","userId":"u_1","timestamp":"2999-01-01T08:00:00+08:00"}\n',
);
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const cli = (args: string[]) =>
  runCli(
    ['--data', join(cwd, 'data'), '--endpoint', inject('dynamoEndpoint'), '--now', '2026-12-01T03:00+08:00', ...args],
    {
      cwd,
      timeoutMs: 30_000,
    },
  );

describe('a file the user names that is not there', () => {
  it.each([
    [['ingest', 'nope.jsonl'], 'nope.jsonl'],
    [['ingest', 'events.jsonl', 'nope.csv'], 'nope.csv'],
    [['validate', 'nope.yaml'], 'nope.yaml'],
    [['--config', 'nope.yaml', 'validate'], 'nope.yaml'],
    [['--config', 'nope.yaml', 'rollup'], 'nope.yaml'],
    [['config-reference', '--write', 'nope.md'], 'nope.md'],
  ])('nightshift %j: names the file, exits 1', async (args, file) => {
    const run = await cli(args);

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`nightshift: cannot read ${file}: no such file`);
    expect(run.stdout).toBe('');
  });

  it('a folder named as a file says so', async () => {
    const run = await cli(['ingest', '.']);

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('nightshift: cannot read .: it is a folder, not a file');
  });

  test.prop([fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[/\0]/.test(s) && s !== '.' && s !== '..')])(
    'any missing name: each reader of user-named files throws an InputFileError naming it',
    (name) => {
      const file = join(cwd, 'missing', name);
      const expected = `cannot read ${file}: no such file`;
      for (const read of [() => readInputFile(file), () => assertReadable(file), () => loadConfig(file)]) {
        expect(read).toThrow(InputFileError);
        expect(read).toThrow(expected);
      }
    },
  );
});

describe('a date in the right form that is not on the calendar', () => {
  it.each([
    [['detect', '--date', '2026-11-31'], 'nightshift: 2026-11-31 is not a date (November has 30 days)'],
    [['rollup', '--from', '2026-02-29'], 'nightshift: 2026-02-29 is not a date (February 2026 has 28 days)'],
    [['kpis', '--to', '2026-13-01'], 'nightshift: 2026-13-01 is not a date (months run from 01 to 12)'],
    [['detect', '--date', '28/11/2026'], "nightshift: expected a date as YYYY-MM-DD, got '28/11/2026'"],
    [['detect', '--date', 'yesterday'], "nightshift: expected a date as YYYY-MM-DD, got 'yesterday'"],
  ])('nightshift %j: %s', async (args, message) => {
    const run = await cli(args);

    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(message);
  });

  it('--now with a date that does not exist says why, without a format example', async () => {
    const run = await runCli(['--now', '2026-11-31T03:00+08:00', 'runs'], { cwd, timeoutMs: 30_000 });

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is invalid. 2026-11-31 is not a date (November has 30 days)\n');
  });

  it('a bad --now says what is wrong once, then where the help is, not the whole help', async () => {
    const run = await runCli(['--now', '2026-11-30', 'runs'], { cwd, timeoutMs: 30_000 });

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "error: option '--now <instant>' argument '2026-11-30' is invalid. Timestamp is not an ISO 8601 date-time with offset, e.g. 2026-11-23T03:45+08:00\nsee nightshift --help\n",
    );
  });

  it('backfill --from with a date that does not exist says why', async () => {
    const run = await cli(['backfill', '--from', '2026-04-31']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('2026-04-31 is not a date (April has 30 days)');
  });
});

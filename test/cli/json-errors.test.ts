// `--json` when a command fails: one JSON document on stdout all the same (the text still on stderr, exit code 1), so a
// script reading stdout gets what went wrong rather than nothing. Real CLI processes; each fails before any DynamoDB.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorJson } from '#cli/json.ts';
import { ConfigError } from '#shared/config/load.ts';
import { runCli } from '../local/processes.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-json-errors-'));
writeFileSync(join(cwd, 'bad.yaml'), 'timeZone: Asia/Shanghai\nkpis: 3\n');
writeFileSync(join(cwd, 'broken.yaml'), 'timeZone: [Asia/Shanghai\n');
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

const cli = (args: string[]) => runCli(['--data', join(cwd, 'data'), ...args], { cwd, timeoutMs: 30_000 });
const document = (stdout: string) => {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
};

describe('nightshift --json on failure', () => {
  it('validate of an invalid config prints the shape of a valid one, valid: false, with every problem', async () => {
    const run = await cli(['--json', 'validate', 'bad.yaml']);

    expect(run.code).toBe(1);
    const out = document(run.stdout);
    expect(out).toMatchObject({ valid: false, file: 'bad.yaml', warnings: [] });
    expect(out.problems).toContainEqual({ path: 'kpis', message: expect.any(String) });
    expect(run.stderr).toContain('bad.yaml is not a valid Nightshift config:');
  });

  it('validate of a YAML syntax error gives its line and column', async () => {
    const run = await cli(['validate', '--json', 'broken.yaml']);

    expect(run.code).toBe(1);
    const [problem] = document(run.stdout).problems as Array<Record<string, unknown>>;
    expect(problem).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
  });

  it('any other command prints an error object: a config error with its problems, a missing file by name', async () => {
    const config = await cli(['--json', '--config', 'bad.yaml', 'rollup']);
    const missing = await cli(['--json', 'ingest', 'nope.jsonl']);

    expect(config.code).toBe(1);
    expect(document(config.stdout)).toMatchObject({ ok: false, error: 'ConfigError', file: 'bad.yaml' });
    expect(missing.code).toBe(1);
    expect(document(missing.stdout)).toEqual({
      ok: false,
      error: 'InputFileError',
      message: 'cannot read nope.jsonl: no such file',
    });
  });

  it("commander's own argument errors (unknown option, missing value, no verb) print a UsageError object", async () => {
    const unknown = await cli(['validate', '--nope', '--json']);
    const missing = await cli(['--json', 'rollup', '--from']);
    const noVerb = await cli(['--json']);

    expect(unknown.code).toBe(1);
    expect(document(unknown.stdout)).toEqual({
      ok: false,
      error: 'UsageError',
      message: "unknown option '--nope' (Did you mean --now?)",
    });
    expect(unknown.stderr).toContain("error: unknown option '--nope'");
    expect(missing.code).toBe(1);
    expect(document(missing.stdout)).toEqual({
      ok: false,
      error: 'UsageError',
      message: "option '--from <date>' argument missing",
    });
    expect(noVerb.code).toBe(1);
    expect(document(noVerb.stdout)).toMatchObject({ ok: false, error: 'UsageError', message: /no command given/ });
  });

  it('an argument error without --json stays plain text on stderr', async () => {
    const run = await cli(['validate', '--nope']);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain("error: unknown option '--nope'");
  });

  it('without --json stdout stays empty', async () => {
    const run = await cli(['validate', 'bad.yaml']);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
  });
});

describe('errorJson', () => {
  it('names the error, and a config error its file and problems', () => {
    expect(errorJson(new ConfigError('x.yaml', [{ path: 'kpis', message: 'expected array' }]))).toEqual({
      ok: false,
      error: 'ConfigError',
      message: 'x.yaml is not a valid Nightshift config',
      file: 'x.yaml',
      problems: [{ path: 'kpis', message: 'expected array' }],
    });
    expect(errorJson('boom')).toEqual({ ok: false, error: 'Error', message: 'boom' });
  });
});

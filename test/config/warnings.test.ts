// Values that are legal but almost certainly slips: the config loads, and validate (and every command) names each one
// with its path, as a warning. Real CLI processes for what the user sees.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConfigProblem, parseConfigText } from '#shared/config/load.ts';
import { runCli } from '../local/processes.ts';

const example = readFileSync('nightshift.config.yaml', 'utf8');
const cwd = mkdtempSync(join(tmpdir(), 'nightshift-warnings-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

function warningsOf(text: string): string[] {
  const warnings: ConfigProblem[] = [];
  parseConfigText(text, 'test.yaml', { onWarning: (w) => warnings.push(w) });
  return warnings.map((w) => `${w.path}: ${w.message}`);
}

/** The example with a change rule on DAU whose pct is written as given. */
const withChangeRule = (pct: string) =>
  example.replace(
    '    - id: signups_drop\n',
    `    - id: dau_fall\n      kpi: dau\n      all: [{ change: { pct: ${pct}, direction: down } }]\n      plan: outage\n    - id: signups_drop\n`,
  );

describe('config warnings', () => {
  it('the example config has none', () => {
    expect(warningsOf(example)).toEqual([]);
  });

  it('a change rule with pct: 0.2 is warned about at its path: pct is in percent', () => {
    expect(warningsOf(withChangeRule('0.2'))).toEqual([
      'alerts.rules[1].all[0].change.pct: pct is in percent: 0.2 means 0.2%, did you mean 20?',
    ]);
  });

  it('pct written with its percent sign, or of 1 or more, is taken as meant', () => {
    expect(warningsOf(withChangeRule('"0.2%"'))).toEqual([]);
    expect(warningsOf(withChangeRule('1'))).toEqual([]);
    expect(warningsOf(withChangeRule('20'))).toEqual([]);
  });
});

describe('nightshift validate with a likely slip', () => {
  it('says the config is valid, with the warning and its path on stderr, and exits 0', async () => {
    writeFileSync(join(cwd, 'slip.yaml'), withChangeRule('0.2'));

    const run = await runCli(['validate', 'slip.yaml'], { cwd, timeoutMs: 30_000 });

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^slip\.yaml is valid: .*; 1 warning\n$/);
    expect(run.stderr).toBe(
      'slip.yaml: warning: alerts.rules[1].all[0].change.pct: pct is in percent: 0.2 means 0.2%, did you mean 20?\n',
    );
  });

  it('--json carries the warnings', async () => {
    writeFileSync(join(cwd, 'slip.yaml'), withChangeRule('0.2'));

    const run = await runCli(['--json', 'validate', 'slip.yaml'], { cwd, timeoutMs: 30_000 });

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      valid: true,
      warnings: [{ path: 'alerts.rules[1].all[0].change.pct', message: expect.stringContaining('did you mean 20?') }],
    });
  });
});

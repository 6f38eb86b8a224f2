// Values that are legal but almost certainly slips: the config loads, and validate (and every command) names each one
// with its path, as a warning. Real CLI processes for what the user sees.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem, parseConfigText } from '#shared/config/load.ts';
import { runCli } from '../local/processes.ts';

const example = readFileSync('nightshift.config.yaml', 'utf8');
const problemsOf = (text: string) => {
  try {
    parseConfigText(text, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
};
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

/** The example with the conversion rate KPI (kpis[2], unit: percent, target min 3%) changed as given. */
const withConversion = (target: string, extra = '') =>
  example.replace(
    '    unit: percent\n    decimals: 2\n    target: { min: 3% }\n',
    `    unit: percent\n    decimals: 2\n    target: ${target}\n${extra}`,
  );
/** The example with a KPI appended (kpis[7]). */
const withKpi = (kpi: string) => example.replace('\nresponsePlans:\n', `${kpi}\nresponsePlans:\n`);

describe('a target in the wrong unit', () => {
  it('a percent KPI whose target is written as a plain number above 1 is warned about: 1.8 is 180%', () => {
    expect(warningsOf(withConversion('{ min: 1.8 }'))).toEqual([
      'kpis[2].target.min: unit: percent values are shares (0.3 shows as 30%), so 1.8 means 180%; did you mean 1.8%?',
    ]);
  });

  it('on a share formula (a retention) a target above 100% can never be met: an error, with the path', () => {
    const broken = example.replace(
      'target: { min: 30% }\n    alarm: { min: 20% }',
      'target: { min: 30 }\n    alarm: { min: 20% }',
    );

    expect(problemsOf(broken)).toEqual([
      'kpis[4].target.min: the formula is a share from 0 to 1 (shown as 0% to 100%): no value can reach a min of 30 (3000%); write a share such as 0.3 or 30%',
    ]);
  });

  it('the inverse: a percentage on a score KPI reads as a share of a value that is not one', () => {
    const slipped = example.replace(
      '    unit: score\n    decimals: 0\n    target: { min: 30 }',
      '    unit: score\n    decimals: 0\n    target: { min: 30% }',
    );

    expect(warningsOf(slipped)).toEqual([
      'kpis[5].target.min: 30% reads as the share 0.3, but unit: score values are not shares; did you mean 30?',
    ]);
  });

  it('the inverse on 100 times a share: a bound below 1 is a share written for percent points', () => {
    const kpi = [
      '  - id: promoters',
      '    name: Promoters',
      '    formula: 100 * count("Survey Answered" where score >= 9) / count("Survey Answered")',
      '    unit: score',
      '    alarm: { min: 0.25 }',
    ].join('\n');

    expect(warningsOf(withKpi(kpi))).toEqual([
      'kpis[7].alarm.min: the formula is 100 times a share (percent points, 30 for 30%), so 0.25 is 0.25 of 100; did you mean 25?',
    ]);
  });

  it('a share formula shown as a count, with a percentage target: the unit is what is wrong', () => {
    const kpi = [
      '  - id: week_retention',
      '    name: Week retention',
      '    formula: retention("Signed Up" -> any, 7 days)',
      '    target: { min: 10% }',
    ].join('\n');

    expect(warningsOf(withKpi(kpi))).toEqual([
      'kpis[7].target.min: 10% reads as the share 0.1, and the formula is a share, but unit: count shows it as a plain number; did you mean unit: percent?',
    ]);
  });

  it('targets that fit their unit say nothing: 3%, 0.03, 180% written with its sign on a ratio of two counts', () => {
    expect(warningsOf(withConversion('{ min: 0.03 }'))).toEqual([]);
    expect(warningsOf(withConversion('{ min: 180% }'))).toEqual([]);
    expect(warningsOf(withConversion('{ min: 1 }'))).toEqual([]);
  });

  it('an expected event a typo or a case away from an event the formulas read is warned about, with that name', () => {
    const typo = example.replace(
      '{ event: Order Completed, maxSilenceHours: 8',
      '{ event: Order Complted, maxSilenceHours: 8',
    );
    const lower = example.replace(
      '{ event: Page Viewed, maxSilenceHours: 2',
      '{ event: page viewed, maxSilenceHours: 2',
    );

    expect(warningsOf(typo)).toEqual([
      'alerts.expectedEvents[1].event: no KPI formula reads "Order Complted", and they read "Order Completed": did you mean "Order Completed"? (event names are matched exactly, case included; a stream is watched from its first event on)',
    ]);
    expect(warningsOf(lower)).toEqual([expect.stringContaining('did you mean "Page Viewed"?')]);
  });

  it('an expected event no formula reads and none resembles is a stream of its own: no warning', () => {
    expect(
      warningsOf(
        example.replace('{ event: Order Completed, maxSilenceHours: 8', '{ event: Heartbeat, maxSilenceHours: 8'),
      ),
    ).toEqual([]);
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

// A new user's trial: each of these loaded without a word, and each showed up only later, in a mail or as a silence.
describe('slips a new user made that validate now names', () => {
  it('an alarm floor above the target (3.5% against 2.6%) is warned about at the alarm, with both values as written', () => {
    expect(warningsOf(withConversion('{ min: 2.6% }').replace('alarm: { min: 2% }', 'alarm: { min: 3.5% }'))).toEqual([
      "kpis[2].alarm.min: the alarm floor 3.5% is above the target's 2.6%: a value between them meets the target and still raises the alarm; an alarm floor is the worse level, below the target (were the two swapped?)",
    ]);
  });

  it('an alarm ceiling below the target is warned about too; a floor below the target, or equal to it, is not', () => {
    const ceilings = withKpi(
      [
        '  - id: failure_rate',
        '    name: Payment failure rate',
        '    formula: count("Payment Failed") / count("Order Completed")',
        '    unit: percent',
        '    target: { max: 5% }',
        '    alarm: { max: 0.04 }',
      ].join('\n'),
    );

    expect(warningsOf(ceilings)).toEqual([
      expect.stringMatching(/^kpis\[7\]\.alarm\.max: the alarm ceiling 4% is below the target's 5%/),
    ]);
    expect(warningsOf(withConversion('{ min: 3% }'))).toEqual([]);
    expect(warningsOf(withConversion('{ min: 2% }'))).toEqual([]);
  });

  it('an event name in a formula a letter away from another the config reads is warned about, naming the one meant', () => {
    const typo = example.replace(
      'formula: count("Order Completed") / distinct(userId of "Page Viewed")',
      'formula: count("Order Complted") / distinct(userId of "Page Viewed")',
    );

    expect(warningsOf(typo)).toEqual([
      'kpis[2].formula: reads "Order Complted", a letter away from "Order Completed", which the config reads 2 times: did you mean "Order Completed"? (event names are matched exactly, case included: these count two different events)',
    ]);
  });

  it('two names read as often, the later is taken for the slip ("Payment Faild" after "Payment Failed"); two events a short word apart are not', () => {
    const failures = withKpi(
      [
        '  - id: failure_rate',
        '    name: Payment failure rate',
        '    formula: count("Payment Failed") / (count("Payment Faild") + count("Order Completed"))',
        '  - id: logins',
        '    name: Log-ins against sign-ups',
        '    formula: count("Signed In") / count("Signed Up")',
      ].join('\n'),
    );

    expect(warningsOf(failures)).toEqual([
      expect.stringMatching(
        /^kpis\[7\]\.formula: reads "Payment Faild", a letter away from "Payment Failed", which the config reads once: did you mean "Payment Failed"\?/,
      ),
    ]);
  });

  it('a property a formula reads a letter from one the config reads on the same event is warned about; on another event it is not', () => {
    const margins = withKpi(
      [
        '  - id: profit_total',
        '    name: Profit',
        '    formula: sum("Order Completed".proft)',
        '  - id: refund_amounts',
        '    name: Refunded',
        '    formula: sum("Refund Issued".proft)',
      ].join('\n'),
    );

    expect(warningsOf(margins)).toEqual([
      'kpis[7].formula: reads "Order Completed".proft, a letter away from profit, which the config reads on "Order Completed" once: did you mean profit? (property names are matched exactly, case included: these read two different properties)',
    ]);
  });

  it('properties a plural s or a digit apart (price, prices; step_1, step_2) are two properties, not a slip', () => {
    const steps = withKpi(
      [
        '  - id: price_total',
        '    name: Price',
        '    formula: sum("Order Completed".price)',
        '  - id: prices_total',
        '    name: Prices',
        '    formula: sum("Order Completed".prices)',
        '  - id: steps',
        '    name: Steps',
        '    formula: count("Order Completed" where step_1 == "x") + count("Order Completed" where step_2 == "y")',
      ].join('\n'),
    );

    expect(warningsOf(steps)).toEqual([]);
  });

  it('a runbook step cut short by " #" (YAML reads a comment) is warned about with its line and the quoted text to write', () => {
    const cut = example.replace(
      '      - Announce the incident and its expected impact.\n',
      '      - Announce the incident and its expected impact; post in #incidents.\n',
    );
    const line = cut.split('\n').findIndex((l) => l.includes('#incidents')) + 1;

    expect(warningsOf(cut)).toEqual([
      `responsePlans[0].steps[1]: line ${line} reads "Announce the incident and its expected impact; post in": YAML takes "#incidents." for a comment and drops it; to keep it, quote the whole text: "Announce the incident and its expected impact; post in #incidents."`,
    ]);
  });

  it('a comment written as one ("# why", after a value or on its own line), or a # inside quotes, is not warned about', () => {
    const commented = example
      .replace(
        '      - Announce the incident and its expected impact.\n',
        '      - Announce the incident. # see the wiki\n',
      )
      .replace('      - Reply to affected customers in bulk.\n', '      - "Reply in bulk; post in #support."\n')
      .replace('kpis:\n', '# #kpis below\nkpis:\n');

    expect(warningsOf(commented)).toEqual([]);
  });

  it('jobs.checksAt in the hour the clocks skip, with no check configured: a warning that it is refused once checks are added', () => {
    const noChecks = example
      .replace('timeZone: Asia/Shanghai', 'timeZone: America/Los_Angeles')
      // The example's checks run at 02:00, which Los Angeles skips once a year.
      .replace(/\nchecks:\n[\s\S]*?\n(?=\S)/, '\n');

    expect(warningsOf(noChecks)).toEqual([
      'jobs.checksAt: 02:00 does not exist in America/Los_Angeles on 2026-03-08 (the clocks go forward): with no checks configured nothing is skipped, but once checks are added EventBridge Scheduler would skip them that night, and this time is refused; choose a time outside the hour the clocks skip',
    ]);
  });
});

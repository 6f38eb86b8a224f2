import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfigText } from '#shared/config/load.ts';
import { configReference, REFERENCE_END, REFERENCE_START } from '#shared/config/reference.ts';

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

describe('the config file', () => {
  it('the example config encodes the handbook and is valid', () => {
    const config = loadConfig('nightshift.config.yaml');
    expect(config.timeZone).toBe('Asia/Shanghai');
    expect(config.kpis.map((k) => k.id)).toEqual(
      expect.arrayContaining(['new_users', 'dau', 'conversion_rate', 'roi', 'next_day_retention', 'nps']),
    );
    const conversion = config.kpis.find((k) => k.id === 'conversion_rate')!;
    expect(conversion).toMatchObject({ target: { min: 0.03 }, alarm: { min: 0.02 }, weight: 0.3 });
    expect(config.kpis.reduce((s, k) => s + (k.weight ?? 0), 0)).toBeCloseTo(1, 10);
  });

  it('a wrong type is named by its path', () => {
    const broken = example.replace('target: { min: 500, per: day }', 'target: { min: lots, per: day }');
    expect(problemsOf(broken)).toContain('kpis[0].target.min: expected a number (or a percentage such as 3%)');
  });

  it('every problem is reported, not just the first', () => {
    const broken = example
      .replace('timeZone: Asia/Shanghai', 'timeZone: Asia/Atlantis')
      .replace('role: administrator, department: tech }', 'role: boss, department: tech }')
      .replace('schedule: { every: day, at: "05:00" }', 'schedule: { every: day, at: "5am" }');
    const problems = problemsOf(broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        'timeZone: expected an IANA time zone such as Asia/Shanghai',
        'people[0].role: expected a role: specialist, analyst, administrator',
        'reports[0].schedule.at: expected a time as "HH:MM" (24-hour, local time)',
      ]),
    );
  });

  it('references to unknown people, KPIs and plans are errors with their path', () => {
    const broken = example
      .replace('firstResponder: tech_ops_manager', 'firstResponder: nobody')
      .replace('kpi: dau\n', 'kpi: daus\n');
    const problems = problemsOf(broken);
    expect(problems.some((p) => p.startsWith("responsePlans[0].firstResponder: unknown person 'nobody'"))).toBe(true);
    expect(problems.some((p) => p.startsWith("alerts.rules[0].kpi: unknown KPI 'daus'"))).toBe(true);
  });

  describe('alert rules that can never fire are errors naming the rule, the KPI and the path', () => {
    // The example's rules: [0] dau_drop (dau: day only, no bounds), [1] signups_drop (new_users: target only),
    // [2] conversion_floor (conversion_rate: target, alarm, scopeBy), [3] retention_floor.
    it('a breach of alarm bounds the KPI does not have', () => {
      const broken = example.replace(
        'all: [{ breach: target }, { deviation: { direction: down } }]',
        'all: [{ deviation: { direction: down } }, { breach: alarm }]',
      );
      expect(problemsOf(broken)).toEqual([
        "alerts.rules[1].all[1]: rule 'signups_drop' on KPI 'new_users' can never fire: { breach: alarm } but the KPI has no alarm bounds (give it alarm bounds, or use { breach: target })",
      ]);
    });

    it('a breach of a target the KPI does not have', () => {
      const broken = example.replace(
        'all: [{ deviation: { direction: down, sensitivity: 0.5 } }]',
        'all: [{ breach: target }]',
      );
      expect(problemsOf(broken)).toEqual([
        "alerts.rules[0].all[0]: rule 'dau_drop' on KPI 'dau' can never fire: { breach: target } but the KPI has no target (give it a target)",
      ]);
    });

    it('a granularity the KPI is not rolled up for, also when the rule leaves it at the default day', () => {
      const weekly = example.replace('      kpi: dau\n', '      kpi: dau\n      granularity: week\n');
      expect(problemsOf(weekly)).toEqual([
        "alerts.rules[0].granularity: rule 'dau_drop' on KPI 'dau' can never fire: the KPI is not rolled up for week (its granularities: day)",
      ]);
      const monthlyKpi = example.replace('    granularities: [day]\n', '    granularities: [month]\n');
      expect(problemsOf(monthlyKpi)).toEqual([
        "alerts.rules[0].granularity: rule 'dau_drop' on KPI 'dau' can never fire: the KPI is not rolled up for day (its granularities: month); a rule judges days unless it sets granularity",
      ]);
    });

    it("a volume condition on a KPI not rolled up for the rule's granularity", () => {
      const broken = example.replace(
        'all: [{ breach: alarm }]\n      plan: satisfaction\n      severity: critical',
        'granularity: week\n      all: [{ breach: alarm }, { volume: { kpi: dau, min: 1000 } }]\n      plan: satisfaction\n      severity: critical',
      );
      expect(problemsOf(broken)).toEqual([
        "alerts.rules[2].all[1].volume.kpi: rule 'conversion_floor' on KPI 'conversion_rate' can never fire: its volume KPI 'dau' is not rolled up for week (its granularities: day)",
      ]);
    });

    it('a scope on a KPI without scopeBy', () => {
      const broken = example.replace('      kpi: new_users\n', '      kpi: new_users\n      scope: market\n');
      expect(problemsOf(broken)).toEqual([
        "alerts.rules[1].scope: rule 'signups_drop' on KPI 'new_users' can never fire: scope 'market' needs the KPI to have scopeBy (without it there are no per-scope values, and the rule would report missing data every day)",
      ]);
      // conversion_rate has scopeBy: a scope is fine there.
      expect(
        problemsOf(
          example.replace('      kpi: conversion_rate\n', '      kpi: conversion_rate\n      scope: market\n'),
        ),
      ).toEqual([]);
    });

    it('missing beside conditions that need a value', () => {
      const broken = example.replace(
        'all: [{ breach: target }, { deviation: { direction: down } }]',
        'all: [{ breach: target }, { deviation: { direction: down } }, { missing: true }]',
      );
      expect(problemsOf(broken)).toEqual([
        "alerts.rules[1].all[2]: rule 'signups_drop' on KPI 'new_users' can never fire: { missing: true } holds only when the KPI has no value, but its breach and deviation conditions need one",
      ]);
      // missing with a volume gate is a rule that can fire.
      const gated = example.replace(
        'all: [{ deviation: { direction: down, sensitivity: 0.5 } }]',
        'all: [{ missing: true }, { volume: { kpi: new_users, min: 100 } }]',
      );
      expect(problemsOf(gated)).toEqual([]);
    });

    it('every impossible rule is reported at once, and a rule on an unknown KPI only as unknown', () => {
      const broken = example
        .replace('kpi: dau\n', 'kpi: daus\n')
        .replace('kpi: next_day_retention\n      all: [{ breach: alarm }]', 'kpi: nps\n      all: [{ breach: alarm }]');
      expect(problemsOf(broken)).toEqual([
        "alerts.rules[0].kpi: unknown KPI 'daus' (known: new_users, dau, conversion_rate, roi, next_day_retention, nps, content_reads)",
        "alerts.rules[3].all[0]: rule 'retention_floor' on KPI 'nps' can never fire: { breach: alarm } but the KPI has no alarm bounds (give it alarm bounds, or use { breach: target })",
      ]);
    });
  });

  it('weights that do not add up to 100% are an error', () => {
    expect(problemsOf(example.replace('weight: 20%', 'weight: 15%'))).toContain(
      'kpis: weights add up to 95%, expected 100%',
    );
  });

  it('a formula error points at its column', () => {
    const problems = problemsOf(example.replace('distinct(userId of "Signed Up")', 'distinct(userId of "Signed Up"'));
    expect(problems[0]).toMatch(
      /^kpis\[0\]\.formula: at column 31: expected 'where' or '\)' after the event name, found end of formula/,
    );
  });

  it('unknown fields are refused rather than ignored', () => {
    expect(problemsOf(example.replace('  - id: dau\n', '  - id: dau\n    colour: red\n'))).toContain(
      "kpis[1]: unknown field 'colour'",
    );
  });

  it('a YAML syntax error names its line', () => {
    expect(problemsOf('timeZone: [unclosed\n')[0]).toMatch(/^line \d+: /);
  });

  it('the README configuration reference is the one generated from the schema', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(
      readme.indexOf(REFERENCE_START) + REFERENCE_START.length,
      readme.indexOf(REFERENCE_END),
    );
    expect(section.trim()).toBe(configReference().trim());
  });
});

describe('nightshift validate', () => {
  const run = (args: string[]) => {
    try {
      return {
        code: 0,
        out: execFileSync('node', ['bin/nightshift.ts', ...args], { encoding: 'utf8', stdio: 'pipe' }),
      };
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      return { code: e.status, out: e.stdout + e.stderr };
    }
  };

  it('accepts the example config', () => {
    const r = run(['validate']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('nightshift.config.yaml is valid: 7 KPIs');
  });

  it('rejects a broken copy with path-named errors and a non-zero exit', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/nightshift-validate-');
    writeFileSync(`${dir}/broken.yaml`, example.replace('target: { min: 3% }', 'target: { min: three }'));
    const r = run(['validate', `${dir}/broken.yaml`]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('kpis[2].target.min: expected a number');
  });
});

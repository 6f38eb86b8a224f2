import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, loadConfig, parseConfigText, validateConfig } from '#shared/config/load.ts';
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

  it('a schema problem does not hide a reference problem: an unknown field and an unknown KPI come out together', () => {
    // A new user's config: a typo in one rule's deviation, and another rule on a KPI that does not exist.
    const broken = example
      .replace('direction: down, sensitivity: 0.5', 'direction: down, sensitivty: 0.5')
      .replace('kpi: new_users\n', 'kpi: new_userz\n');
    expect(problemsOf(broken)).toEqual([
      'alerts.rules[0].all[0].deviation.sensitivty: unknown field',
      expect.stringMatching(/^alerts\.rules\[1\]\.kpi: unknown KPI 'new_userz' \(known: new_users, dau, /),
    ]);
  });

  it('the reference checks read a rule that did not parse: its own unknown KPI and plan are named', () => {
    const broken = example.replace(
      'kpi: dau\n      all: [{ deviation: { direction: down, sensitivity: 0.5 } }]\n      plan: outage',
      'kpi: daus\n      all: [{ deviation: { direction: sideways, sensitivity: 0.5 } }]\n      plan: outrage\n      severty: critical',
    );
    expect(problemsOf(broken)).toEqual([
      'alerts.rules[0].all[0].deviation.direction: expected one of "up", "down", "both"',
      'alerts.rules[0].severty: unknown field',
      expect.stringMatching(/^alerts\.rules\[0\]\.kpi: unknown KPI 'daus'/),
      expect.stringMatching(/^alerts\.rules\[0\]\.plan: unknown response plan 'outrage'/),
    ]);
  });

  it('a reference already refused by its own rule is not called unknown as well', () => {
    expect(problemsOf(example.replace('kpi: dau\n', 'kpi: Dau\n'))).toEqual([
      'alerts.rules[0].kpi: expected a KPI id: lower-case letters, digits and _ , starting with a letter',
    ]);
  });

  it('a KPI whose id cannot be read leaves references unjudged: they may name that KPI', () => {
    // kpis[1] (dau) lost its id to a typo; rule dau_drop and the outage plan name dau.
    const problems = problemsOf(example.replace('  - id: dau\n', '  - idd: dau\n'));
    expect(problems).toEqual(['kpis[1].id: missing (expected a KPI id as a string)', 'kpis[1].idd: unknown field']);
  });

  it('a file that is not a mapping, or sections of the wrong kind, are reported without reference checks', () => {
    expect(problemsOf('just text')).toEqual([
      ': the file must be a YAML mapping of config fields (timeZone: ..., kpis: ...), not a string',
    ]);
    const problems = problemsOf(example.replace('departments: [market, user, content, tech]', 'departments: 4'));
    expect(problems).toEqual(['departments: expected array']);
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

  it('a weight on a KPI without a target is an error: it would silently drop out of the score', () => {
    const cfg = parse(example);
    const i = cfg.kpis.findIndex((k: { weight?: unknown; target?: unknown }) => k.weight !== undefined && k.target);
    delete cfg.kpis[i].target;
    expect(problemsOf(JSON.stringify(cfg))).toContain(
      `kpis[${i}].weight: a weight needs a target: the scorecard scores a KPI against its target`,
    );
  });

  it('a change rule for a drop of 100% or more is an error: it could never fire', () => {
    const cfg = parse(example);
    cfg.alerts.rules[0].all = [{ change: { pct: '120%', direction: 'down' } }];
    expect(problemsOf(JSON.stringify(cfg))).toEqual([
      'alerts.rules[0].all[0].change.pct: a drop of 120% can never happen (a value falls by 100% at most), so the rule could never fire',
    ]);
    cfg.alerts.rules[0].all = [{ change: { pct: '120%', direction: 'up' } }];
    expect(problemsOf(JSON.stringify(cfg))).toEqual([]);
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

  it('unknown fields are refused rather than ignored, each named by its own path', () => {
    expect(problemsOf(example.replace('  - id: dau\n', '  - id: dau\n    colour: red\n'))).toEqual([
      'kpis[1].colour: unknown field',
    ]);
    expect(problemsOf(`stackName: x\n"odd key": 1\n${example}`)).toEqual([
      'stackName: unknown field',
      '["odd key"]: unknown field',
    ]);
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

describe('holes closed: each is refused with its path and what to write instead', () => {
  it('a negative weight is refused even when the weights still add up to 100%', () => {
    const broken = example.replace('weight: 20%', 'weight: 60%').replace('weight: 30%', 'weight: -10%');
    expect(problemsOf(broken)).toEqual(['kpis[2].weight: expected a weight from 0% to 100%, found -10%']);
  });

  it('a weight over 100% is refused, besides the total', () => {
    expect(problemsOf(example.replace('weight: 20%', 'weight: 1.2'))).toEqual([
      'kpis[0].weight: expected a weight from 0% to 100%, found 120%',
      'kpis: weights add up to 200%, expected 100%',
    ]);
  });

  it('a UTC offset is refused as the time zone, however it is written', () => {
    const zone = (tz: string) => problemsOf(example.replace('timeZone: Asia/Shanghai', `timeZone: "${tz}"`));
    const offset = (tz: string, note = '') =>
      `timeZone: expected the time zone of a region (e.g. Asia/Shanghai or Europe/Berlin), not the UTC offset '${tz}'${note}: EventBridge Scheduler needs a named zone, and an offset does not follow daylight-saving changes`;
    for (const tz of ['+08:00', '-0500', 'GMT+8', 'UTC+08:00', 'Etc/GMT+5']) expect(zone(tz)).toEqual([offset(tz)]);
    expect(zone('Etc/GMT-8')).toEqual([offset('Etc/GMT-8', ' (Etc/GMT-8 is UTC+8: POSIX inverts the sign)')]);
  });

  it('UTC is accepted as written; other names for it, old aliases and a wrong case say what to write', () => {
    const zone = (tz: string) => problemsOf(example.replace('timeZone: Asia/Shanghai', `timeZone: "${tz}"`));
    expect(zone('UTC')).toEqual([]);
    expect(zone('Asia/Tokyo')).toEqual([]); // Berlin would be refused for its 02:00 checks: see 'scheduled times the clocks skip'
    expect(zone('Etc/UTC')).toEqual(["timeZone: 'Etc/UTC' is another name for UTC: write UTC"]);
    expect(zone('GMT')).toEqual(["timeZone: 'GMT' is another name for UTC: write UTC"]);
    expect(zone('asia/shanghai')).toEqual(['timeZone: time zone names are case-sensitive: write Asia/Shanghai']);
    expect(zone('US/Eastern')).toEqual([
      "timeZone: 'US/Eastern' is an old alias, not the time zone of a region: write America/New_York",
    ]);
    expect(zone('EST5EDT')).toEqual([
      "timeZone: 'EST5EDT' is not the time zone of a region: write one such as Asia/Shanghai or Europe/Berlin, or UTC",
    ]);
  });

  it('a stack name CloudFormation would refuse is refused, with one it accepts', () => {
    const named = (name: string) => problemsOf(example.replace('name: nightshift', `name: "${name}"`));
    expect(named('acme_ops!')).toEqual([
      "name: 'acme_ops!' is not a stack name CloudFormation accepts: use a letter, then letters, digits or hyphens, at most 128 characters (e.g. 'acme-ops')",
    ]);
    expect(named('2nd ops')[0]).toMatch(/^name: '2nd ops' is not a stack name .* \(e\.g\. 'nd-ops'\)$/);
    expect(named(`a${'b'.repeat(127)}`)).toEqual([]);
    expect(named(`a${'b'.repeat(128)}`)[0]).toMatch(/^name: 'ab+' is not a stack name CloudFormation accepts/);
    expect(named('Acme-Ops-2')).toEqual([]);
  });

  it('a formula nested 5,000 deep is a formula problem at its path, not a crash', () => {
    const deep = `${'('.repeat(5000)}1${')'.repeat(5000)}`;
    const problems = problemsOf(example.replace('formula: distinct(userId of "Signed Up")', `formula: "${deep}"`));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^kpis\[0\]\.formula: at column 2001: the formula is longer than 2000 characters \(it has 10001\); simplify it\n/,
    );
  });

  it('a formula nested past the depth limit within the length limit names the column and the limit', () => {
    const deep = `${'-'.repeat(150)}count(any)`;
    const problems = problemsOf(example.replace('formula: distinct(userId of "Signed Up")', `formula: "${deep}"`));
    expect(problems[0]?.split('\n')[0]).toBe(
      'kpis[0].formula: at column 101: the formula nests more than 100 levels deep (each parenthesis, function call, operator, and, or and not adds one); simplify it',
    );
  });

  it('a formula problem is reported with every other problem, not only once the rest is valid', () => {
    const broken = example
      .replace('timeZone: Asia/Shanghai', 'timeZone: "+08:00"')
      .replace('distinct(userId of "Signed Up")', 'distinct(userId of "Signed Up"');
    const problems = problemsOf(broken);
    expect(problems.map((p) => p.split(':')[0])).toEqual(['timeZone', 'kpis[0].formula']);
  });

  it('the caret stays under the column in a multi-line formula and in a window of a long one', () => {
    const multiLine = example.replace(
      'formula: count("Order Completed") / distinct(userId of "Page Viewed")',
      'formula: >-\n      count("Order Completed")\n      / distinct(userId of "Page Viewed"',
    );
    const [, shown, caret] = problemsOf(multiLine)[0]!.split('\n');
    expect(shown).toBe('      count("Order Completed") / distinct(userId of "Page Viewed"');
    expect(caret).toBe(`      ${' '.repeat(shown!.length - 6)}^`);

    const long = `${Array.from({ length: 60 }, () => 'count(any)').join(' + ')} + ?`;
    const [, window, under] = problemsOf(example.replace('distinct(userId of "Signed Up")', long))[0]!.split('\n');
    expect(window!.length).toBeLessThan(140);
    expect(window!.trim().startsWith('…')).toBe(true);
    expect(window![under!.indexOf('^')]).toBe('?');
  });

  it('a weekday or day of month the schedule would ignore is refused', () => {
    expect(
      problemsOf(
        example.replace(
          'schedule: { every: day, at: "05:00" }',
          'schedule: { every: day, at: "05:00", weekday: friday }',
        ),
      ),
    ).toEqual(['reports[0].schedule.weekday: applies to every: week, not every: day']);
    expect(
      problemsOf(
        example.replace(
          'schedule: { every: week, weekday: monday, at: "09:00" }',
          'schedule: { every: week, dayOfMonth: 3, at: "09:00" }',
        ),
      ),
    ).toEqual(['reports[1].schedule.dayOfMonth: applies to every: month, not every: week']);
    // Also beside a time that is refused.
    expect(
      problemsOf(
        example.replace(
          'schedule: { every: day, at: "05:00" }',
          'schedule: { every: day, at: "5am", weekday: friday }',
        ),
      ),
    ).toEqual([
      'reports[0].schedule.at: expected a time as "HH:MM" (24-hour, local time)',
      'reports[0].schedule.weekday: applies to every: week, not every: day',
    ]);
  });

  it('check ids are unique across backups and reconciliations, restore tests included', () => {
    expect(problemsOf(example.replace('id: orders_payments', 'id: orders_pitr'))).toEqual([
      "checks.reconciliations[0].id: duplicate check id 'orders_pitr' (also checks.backups[0].id)",
    ]);
    expect(problemsOf(example.replace('id: orders_payments', 'id: orders_vault_restore'))).toEqual([
      "checks.reconciliations[0].id: duplicate check id 'orders_vault_restore' (also the id checks.backups[1]'s restore test stores its results under)",
    ]);
  });

  it('a department listed twice is refused', () => {
    expect(
      problemsOf(example.replace('departments: [market, user, content, tech]', 'departments: [market, user, market]')),
    ).toEqual([
      "departments[2]: duplicate department 'market'",
      expect.stringMatching(/^people\[0\]\.department: unknown department 'tech'/),
      expect.stringMatching(/^people\[1\]\.department: unknown department 'tech'/),
      expect.stringMatching(/^people\[4\]\.department: unknown department 'content'/),
      expect.stringMatching(/^kpis\[6\]\.department: unknown department 'content'/),
    ]);
  });

  it('holidays are a list of local dates, none by default', () => {
    const withHolidays = `${example}\nholidays: [2026-10-01, "2026-12-25"]\n`;

    expect(parseConfigText(withHolidays).holidays).toEqual(['2026-10-01', '2026-12-25']);
    expect(loadConfig('nightshift.config.yaml').holidays).toEqual([]);
  });

  it('a holiday that is not a calendar date, or is listed twice, is refused at its place in the list', () => {
    const holidays = (list: string) => problemsOf(`${example}\nholidays: ${list}\n`);

    expect(holidays('[2026-02-30, 2026-1-5, 2026-10-01T08:00, 20261001]')).toEqual([
      'holidays[0]: 2026-02-30 is not a date (February 2026 has 28 days)',
      'holidays[1]: expected a date as "YYYY-MM-DD", found \'2026-1-5\'',
      'holidays[2]: expected a date as "YYYY-MM-DD", found \'2026-10-01T08:00\'',
      'holidays[3]: expected a date as "YYYY-MM-DD"',
    ]);
    expect(holidays('[2026-10-01, 2026-10-02, 2026-10-01]')).toEqual([
      'holidays[2]: duplicate holiday 2026-10-01 (also holidays[0])',
    ]);
    expect(holidays('[2026-10-01, 2026-1-5, 2026-10-01]')).toEqual([
      'holidays[1]: expected a date as "YYYY-MM-DD", found \'2026-1-5\'',
      'holidays[2]: duplicate holiday 2026-10-01 (also holidays[0])',
    ]);
    expect(holidays('2026-10-01')).toEqual(['holidays: expected a list of dates such as [2026-10-01, 2026-12-25]']);
  });

  it('a sender SES could not send from is refused', () => {
    const sender = (from: string) =>
      problemsOf(example.replace('from: Nightshift <nightshift@example.com>', `from: "${from}"`));
    expect(sender('Nightshift')).toEqual([
      'email.from: expected a sender such as nightshift@example.com or "Nightshift <nightshift@example.com>"',
    ]);
    expect(sender('Nightshift <not an address>')).toHaveLength(1);
    expect(sender('ops@example.com')).toEqual([]);
  });

  it('table and vault names AWS would refuse are refused', () => {
    expect(problemsOf(example.replace('table: payments,', 'table: "pay ments",'))).toEqual([
      'checks.backups[2].table: expected a DynamoDB table name: 3 to 255 letters, digits, _ . or -',
    ]);
    expect(problemsOf(example.replace('right: { table: payments,', 'right: { table: pa,'))).toEqual([
      'checks.reconciliations[0].right.table: expected a DynamoDB table name: 3 to 255 letters, digits, _ . or -',
    ]);
    expect(problemsOf(example.replace('vault: Default,\n', 'vault: "my vault",\n'))).toEqual([
      'checks.backups[1].vault: expected a backup vault name: 2 to 50 letters, digits, _ or -',
    ]);
  });

  it('a scopeBy property path with an empty name in it is refused', () => {
    expect(
      problemsOf(example.replace('scopeBy: department\n  - id: roi', 'scopeBy: department.\n  - id: roi')),
    ).toEqual([
      'kpis[2].scopeBy: expected an event property name such as department or geo.region (names joined by single dots)',
    ]);
  });

  it('targets that are not finite numbers are refused', () => {
    for (const value of ['.nan', '.inf', '-.inf', '1e999']) {
      expect(problemsOf(example.replace('target: { min: 4 }', `target: { min: ${value} }`))).toEqual([
        'kpis[3].target.min: expected a number (or a percentage such as 3%)',
      ]);
    }
  });

  it('a file that is not a mapping of fields says so', () => {
    expect(problemsOf('- timeZone: UTC\n')).toEqual([
      ': the file must be a YAML mapping of config fields (timeZone: ..., kpis: ...), not a list',
    ]);
    expect(problemsOf('')).toEqual([
      ': the file must be a YAML mapping of config fields (timeZone: ..., kpis: ...), not an empty document',
    ]);
  });

  it('YAML aliases that expand without bound are a config problem, not a crash', () => {
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [from, to] of [
      ['a', 'b'],
      ['b', 'c'],
      ['c', 'd'],
      ['d', 'e'],
    ] as const) {
      laughs.push(`${to}: &${to} [${Array(10).fill(`*${from}`).join(', ')}]`);
    }
    expect(problemsOf(laughs.join('\n'))).toEqual([
      ': cannot read the YAML: Excessive alias count indicates a resource exhaustion attack',
    ]);
  });

  it('a YAML syntax error shows the lines around it with a caret under the spot', () => {
    expect(problemsOf('name: x\nkpis: [a, b\n')[0]).toMatch(/^line 3: .*\n.*\^/s);
  });

  it('a key indented too far names its own line, not the one before, and says what is wrong in words', () => {
    const text = 'timeZone: Asia/Shanghai\nkpis:\n  - id: a\n    name: A\n      formula: count("x")\n';

    expect(problemsOf(text)).toEqual([
      'line 5: indented by 6 spaces, more than name on line 4 (4 spaces), which has its value already, so YAML reads this line as part of that value; to make it a key beside that one, give it 4 spaces too\n    formula: count("x")',
    ]);
  });

  it('a line indented to no column above it names the columns it could line up with', () => {
    expect(problemsOf('name: x\nkpis:\n  - id: a\n    name: A\n   formula: count("x")\n')).toEqual([
      'line 5: indented by 3 spaces, which lines up with no key above it (name on line 4 has 4 spaces, kpis on line 2 has no indent); indent it like the one it belongs beside\n    formula: count("x")',
    ]);
    expect(problemsOf('name: x\nkpis:\n  - id: a\n   - id: b\n')).toEqual([
      'line 4: indented by 3 spaces, which lines up with no list item above it (the list item on line 3 has 2 spaces, kpis on line 2 has no indent); indent it like the one it belongs beside\n    - id: b',
    ]);
  });

  it('a tab in the indentation, and a line indented after a blank line and a comment, name the line', () => {
    expect(problemsOf('name: x\nkpis:\n\t- id: a\n')).toEqual([
      'line 3: indented with a tab; YAML indents with spaces only\n    - id: a',
    ]);
    expect(problemsOf('name: x\nkpis:\n  - id: a\n\n    # c\n        name: b\n')[0]).toMatch(
      /^line 6: indented by 8 spaces/,
    );
  });

  it('YAML nested too deeply for the YAML parser is a problem with its line', () => {
    expect(problemsOf(`kpis: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`)[0]).toMatch(
      /^line 1: nested too deeply for a config file/,
    );
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

  it('prints an unknown field and an unknown KPI together, each with its path', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync('/tmp/nightshift-validate-');
    writeFileSync(
      `${dir}/two.yaml`,
      example
        .replace('direction: down, sensitivity: 0.5', 'direction: down, sensitivty: 0.5')
        .replace('kpi: new_users\n', 'kpi: new_userz\n'),
    );
    const r = run(['validate', `${dir}/two.yaml`]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('  alerts.rules[0].all[0].deviation.sensitivty: unknown field\n');
    expect(r.out).toContain("  alerts.rules[1].kpi: unknown KPI 'new_userz'");
  });
});

describe('scheduled times the clocks skip', () => {
  const inZone = (timeZone: string, jobs: Record<string, string>) => {
    const raw = parse(readFileSync('nightshift.config.yaml', 'utf8'));
    return { ...raw, timeZone, jobs: { ...raw.jobs, ...jobs } };
  };

  it('a nightly job at a time the clocks skip once a year is refused, naming the job and the night', () => {
    expect(() => validateConfig(inZone('Europe/Berlin', { checksAt: '02:30' }), 'test')).toThrow(
      /jobs\.checksAt: 02:30 does not exist in Europe\/Berlin on 2026-03-29 \(the clocks go forward\)/,
    );
  });

  it('the same time is fine in a zone without daylight saving, and an hour later is fine in Berlin', () => {
    expect(() => validateConfig(inZone('Asia/Shanghai', { checksAt: '02:30' }), 'test')).not.toThrow();
    expect(() => validateConfig(inZone('Europe/Berlin', { checksAt: '03:30' }), 'test')).not.toThrow();
  });

  it('a weekly report is refused only when its weekday meets the skipped hour', () => {
    const weekly = (weekday: string) => {
      const raw = inZone('America/New_York', { checksAt: '03:00' }) as { reports: Array<Record<string, unknown>> };
      const reports = raw.reports.map((r) =>
        r.id === 'weekly' ? { ...r, schedule: { every: 'week', weekday, at: '02:15' } } : r,
      );
      return { ...raw, reports };
    };
    // New York's clocks go forward on Sundays.
    expect(() => validateConfig(weekly('sunday'), 'test')).toThrow(/reports\[\d\]\.schedule\.at: 02:15 does not exist/);
    expect(() => validateConfig(weekly('monday'), 'test')).not.toThrow();
  });
});

describe('defaults a config does not write', () => {
  const raw = parse(example) as Record<string, unknown>;
  /** Only the required sections: every job time is the default. */
  const minimal = (timeZone: string) => ({
    timeZone,
    email: raw.email,
    departments: raw.departments,
    people: raw.people,
    kpis: raw.kpis,
  });

  it.each(['Europe/Berlin', 'America/Chicago', 'Africa/Cairo', 'Europe/Helsinki'])(
    'a minimal config in %s is valid: no job defaults to a time its clocks skip',
    (timeZone) => {
      const config = validateConfig(minimal(timeZone), 'minimal');

      expect(config.jobs).toMatchObject({ rollupAt: '04:00', checksAt: '04:30' });
    },
  );

  it('the checks run after the rollup, and both before a 05:00 daily report', () => {
    const { jobs } = validateConfig(minimal('UTC'), 'minimal');

    expect(jobs.rollupAt < jobs.checksAt).toBe(true);
    expect(jobs.checksAt < '05:00').toBe(true);
  });
});

describe('alert conditions: an error is the condition kind’s, at its own path', () => {
  const withCondition = (condition: string) =>
    example.replace('all: [{ breach: target }, { deviation: { direction: down } }]', `all: [${condition}]`);

  it('change: { pct: 25% } is 25 percent, the same as pct: 25', () => {
    const written = parseConfigText(withCondition('{ change: { pct: 25% } }'), 'test.yaml');
    const number = parseConfigText(withCondition('{ change: { pct: 25 } }'), 'test.yaml');

    expect(written.alerts.rules[1]!.all).toEqual([{ change: { pct: 25, direction: 'both' } }]);
    expect(written.alerts.rules[1]!.all).toEqual(number.alerts.rules[1]!.all);
  });

  it.each([
    ['{ change: { pct: lots } }', 'alerts.rules[1].all[0].change.pct: expected a number of percent (25 or 25%)'],
    ['{ change: { pct: 25, directon: up } }', 'alerts.rules[1].all[0].change.directon: unknown field'],
    ['{ deviation: { sensitivity: 50% } }', 'alerts.rules[1].all[0].deviation.sensitivity: expected number'],
    ['{ breach: floor }', 'alerts.rules[1].all[0].breach: expected one of "target", "alarm"'],
    ['{ volume: { kpi: dau, min: many } }', 'alerts.rules[1].all[0].volume.min: expected number'],
    ['{ missing: false }', 'alerts.rules[1].all[0].missing: expected one of true'],
  ])('%s is refused at the field: %s', (condition, problem) => {
    const problems = problemsOf(withCondition(condition));

    expect(problems).toEqual([problem]);
  });

  it.each([
    ['{ chnage: { pct: 25 } }', "expected one of: breach, deviation, change, volume, missing; found 'chnage'"],
    ['{}', 'expected one of: breach, deviation, change, volume, missing; found an empty mapping'],
    [
      '{ breach: target, change: { pct: 25 } }',
      "expected one of: breach, deviation, change, volume, missing, one per item; found 'breach', 'change'",
    ],
  ])('%s names no kind once: the condition is refused as a whole', (condition, message) => {
    expect(problemsOf(withCondition(condition))).toEqual([`alerts.rules[1].all[0]: ${message}`]);
  });
});

describe('the reference says how each number field reads a percent sign', () => {
  const typeOf = (field: string) =>
    configReference()
      .split('\n')
      .find((line) => line.startsWith(`| \`${field}\` |`))
      ?.split(' | ')[1];

  it.each([
    ['kpis[].target.min', 'number or % (3% = 0.03)'],
    ['kpis[].weight', 'number or % (3% = 0.03)'],
    ['alerts.rules[].all[].change.pct', 'number or % (25% = 25)'],
    ['checks.backups[] (kind: aws_backup).maxShrinkPct', 'number or % (25% = 25)'],
    ['alerts.expectedEvents[].maxSilenceHours', 'number'],
    ['checks.backups[] (kind: dynamodb_pitr).maxLagMinutes', 'number'],
    ['checks.backups[] (kind: aws_backup).rpoHours', 'number'],
    ['alerts.rules[].all[].deviation.sensitivity', 'number'],
  ])('%s: %s', (field, type) => {
    expect(typeOf(field)).toBe(type);
  });

  it('a field the reference says takes a number only refuses 50%, one that takes % accepts it', () => {
    const silence = example.replace('maxSilenceHours: 2,', 'maxSilenceHours: 50%,');
    const shrink = example.replace('minDurationSeconds: 5,', 'minDurationSeconds: 5, maxShrinkPct: 50%,');

    expect(problemsOf(silence)).toEqual(['alerts.expectedEvents[0].maxSilenceHours: expected number']);
    expect(parseConfigText(shrink, 'test.yaml').checks.backups[1]).toMatchObject({ maxShrinkPct: 50 });
  });
});

describe('a new user trial: a time zone misspelt, and a checks time with no checks', () => {
  const zone = (tz: string) => problemsOf(example.replace('timeZone: Asia/Shanghai', `timeZone: "${tz}"`));

  it('a zone Intl does not know, a spelling away from one, says which one it most likely is', () => {
    expect(zone('America/LosAngeles')).toEqual([
      "timeZone: 'America/LosAngeles' is not an IANA time zone: did you mean America/Los_Angeles?",
    ]);
    expect(zone('Asia/Shangai')).toEqual([
      "timeZone: 'Asia/Shangai' is not an IANA time zone: did you mean Asia/Shanghai?",
    ]);
    expect(zone('Los Angeles')).toEqual([
      "timeZone: 'Los Angeles' is not an IANA time zone: did you mean America/Los_Angeles?",
    ]);
    expect(zone('Mars/Olympus_Mons')).toEqual(['timeZone: expected an IANA time zone such as Asia/Shanghai']);
  });

  const inLosAngeles = (checks: boolean) => {
    const raw = parse(example) as Record<string, unknown>;
    return { ...raw, timeZone: 'America/Los_Angeles', checks: checks ? raw.checks : {} };
  };

  it('jobs.checksAt at 02:00 in Los Angeles is refused when checks are configured: that night they would not run', () => {
    expect(() => validateConfig(inLosAngeles(true), 'test')).toThrow(
      /jobs\.checksAt: 02:00 does not exist in America\/Los_Angeles on 2026-03-08/,
    );
  });

  it('with no checks configured the same time loads (a warning says it is refused once checks are added)', () => {
    const warnings: string[] = [];

    validateConfig(inLosAngeles(false), 'test', { onWarning: (w) => warnings.push(w.path) });

    expect(warnings).toEqual(['jobs.checksAt']);
  });
});

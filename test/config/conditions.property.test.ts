// Alert conditions are a union picked by the condition's one key: properties of that boundary. A percent is the same
// value however it is written, and a condition with one bad field is refused at that field, never as a whole.
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, validateConfig } from '#shared/config/load.ts';

const example = parse(readFileSync('nightshift.config.yaml', 'utf8')) as Record<string, unknown>;
const withCondition = (condition: unknown) => ({
  timeZone: 'UTC',
  email: example.email,
  departments: example.departments,
  people: example.people,
  kpis: example.kpis,
  alerts: { rules: [{ id: 'probe', kpi: 'dau', all: [condition] }] },
});
const CONDITION = 'alerts.rules[0].all[0]';

function problemsOf(raw: unknown): { path: string; message: string }[] {
  try {
    validateConfig(raw, 'probe');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

/** A percent as a config author writes it: 25, 2.5, 0.75, 1250 (digits, no exponent). */
const percentText = fc
  .tuple(fc.nat({ max: 5000 }), fc.option(fc.nat({ max: 999 }), { nil: undefined }))
  .filter(([whole, fraction]) => whole > 0 || (fraction ?? 0) > 0)
  .map(([whole, fraction]) => (fraction === undefined ? `${whole}` : `${whole}.${fraction}`));

describe('a percent in change.pct', () => {
  test.prop([percentText, fc.constantFrom('%', ' %')], { numRuns: 50 })(
    'written as a number or as "N%" it is the same N percent',
    (text, sign) => {
      const asNumber = validateConfig(withCondition({ change: { pct: Number(text) } }), 'probe');
      const asPercent = validateConfig(withCondition({ change: { pct: `${text}${sign}` } }), 'probe');

      expect(asPercent.alerts.rules[0]!.all).toEqual(asNumber.alerts.rules[0]!.all);
      expect(asPercent.alerts.rules[0]!.all[0]).toEqual({ change: { pct: Number(text), direction: 'both' } });
    },
  );
});

/** A condition kind, the field in it made bad (none: the kind's own value), and a bad value for it. */
const notOneOf = (allowed: readonly string[]) =>
  fc.oneof(
    fc.string({ maxLength: 12 }).filter((s) => !allowed.includes(s)),
    fc.integer(),
    fc.constant(null),
    fc.constant([]),
  );
const notANumber = fc.oneof(
  fc.string({ maxLength: 12 }).filter((s) => !/^\s*-?\d/.test(s)),
  fc.constant(null),
  fc.boolean(),
  fc.constant({}),
);
const direction = fc.constantFrom('up', 'down', 'both');
const unknownKey = (known: string[]) =>
  fc.stringMatching(/^[a-z][a-zA-Z]{0,10}$/).filter((k) => !known.includes(k) && k !== '__proto__');

type Malformed = { kind: string; field?: string; condition: Record<string, unknown> };
const malformed: fc.Arbitrary<Malformed> = fc.oneof(
  notOneOf(['target', 'alarm']).map((bad) => ({ kind: 'breach', condition: { breach: bad } })),
  fc.oneof(fc.constant(false), fc.integer(), fc.string({ maxLength: 6 })).map((bad) => ({
    kind: 'missing',
    condition: { missing: bad },
  })),
  fc.tuple(notOneOf(['up', 'down', 'both']), fc.double({ min: 0, max: 1, noNaN: true })).map(([bad, sensitivity]) => ({
    kind: 'deviation',
    field: 'direction',
    condition: { deviation: { direction: bad, sensitivity } },
  })),
  fc
    .tuple(
      fc.oneof(
        fc.double({ min: 1.001, max: 1e6, noNaN: true }),
        fc.double({ max: -0.001, min: -1e6 }),
        notANumber,
        fc.constant('50%'),
      ),
      direction,
    )
    .map(([bad, dir]) => ({
      kind: 'deviation',
      field: 'sensitivity',
      condition: { deviation: { direction: dir, sensitivity: bad } },
    })),
  fc
    .tuple(
      fc.oneof(fc.double({ max: 0, min: -1e6, noNaN: true }), fc.constantFrom('0%', '-25%', 'lots'), notANumber),
      direction,
    )
    .map(([bad, dir]) => ({ kind: 'change', field: 'pct', condition: { change: { pct: bad, direction: dir } } })),
  fc
    .tuple(percentText, notOneOf(['up', 'down', 'both']))
    .map(([pct, bad]) => ({ kind: 'change', field: 'direction', condition: { change: { pct, direction: bad } } })),
  fc
    .tuple(fc.oneof(fc.integer(), fc.constantFrom('Bad Id', '1st', ''), fc.constant(null)), fc.integer())
    .map(([bad, min]) => ({ kind: 'volume', field: 'kpi', condition: { volume: { kpi: bad, min } } })),
  notANumber.map((bad) => ({ kind: 'volume', field: 'min', condition: { volume: { kpi: 'new_users', min: bad } } })),
  fc
    .tuple(
      fc.constantFrom('deviation', 'change', 'volume'),
      unknownKey(['direction', 'sensitivity', 'pct', 'kpi', 'min']),
      fc.jsonValue(),
    )
    .map(([kind, key, value]) => {
      const valid: Record<string, Record<string, unknown>> = {
        deviation: { direction: 'down' },
        change: { pct: 25 },
        volume: { kpi: 'new_users', min: 100 },
      };
      return { kind, field: key, condition: { [kind]: { ...valid[kind], [key]: value } } };
    }),
);

describe('a condition with one malformed field', () => {
  test.prop([malformed], { numRuns: 150 })(
    'is refused at that field, and never as a whole condition',
    ({ kind, field, condition }) => {
      const problems = problemsOf(withCondition(condition));
      const path = `${CONDITION}.${kind}${field === undefined ? '' : `.${field}`}`;

      expect(problems.map((p) => p.path)).toContain(path);
      expect(problems.filter((p) => p.path === CONDITION)).toEqual([]);
    },
  );
});

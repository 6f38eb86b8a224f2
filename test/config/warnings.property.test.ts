// Properties of the warnings' boundaries: a warning never stops a config from loading, and it speaks exactly where
// the value is legal but most likely a slip.
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, type ConfigProblem, validateConfig } from '#shared/config/load.ts';

const example = parse(readFileSync('nightshift.config.yaml', 'utf8')) as Record<string, unknown>;
const base = {
  timeZone: 'UTC',
  email: example.email,
  departments: example.departments,
  people: example.people,
  kpis: example.kpis,
};

/** Loads `raw` (it must load) and returns its warnings. */
function warningsOf(raw: unknown): ConfigProblem[] {
  const warnings: ConfigProblem[] = [];
  validateConfig(raw, 'probe', { onWarning: (w) => warnings.push(w) });
  return warnings;
}

const withPct = (pct: unknown) => ({
  ...base,
  alerts: { rules: [{ id: 'probe', kpi: 'dau', all: [{ change: { pct, direction: 'both' } }] }] },
});
const PCT = 'alerts.rules[0].all[0].change.pct';

describe('change.pct: a share written for a percent', () => {
  test.prop([fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true })], { numRuns: 100 })(
    'a number is warned about exactly when it lies strictly between 0 and 1, and the config loads either way',
    (pct) => {
      const warnings = warningsOf(withPct(pct));

      if (pct > 0 && pct < 1) {
        expect(warnings).toEqual([
          { path: PCT, message: expect.stringMatching(/^pct is in percent: .* did you mean/) },
        ]);
      } else expect(warnings).toEqual([]);
    },
  );

  test.prop([fc.constantFrom(0.5, 0.99, 0.999999, 1, 1.0000001), fc.constantFrom('', '%', ' %')], { numRuns: 30 })(
    'at the boundary: below 1 it warns unless written with its percent sign',
    (pct, sign) => {
      const warnings = warningsOf(withPct(sign === '' ? pct : `${pct}${sign}`));

      expect(warnings.length).toBe(sign === '' && pct < 1 ? 1 : 0);
    },
  );

  test.prop([fc.integer({ min: 1, max: 99 })], { numRuns: 30 })(
    'the suggestion is the share read as percent: 0.N is N0',
    (n) => {
      const [warning] = warningsOf(withPct(n / 100));

      expect(warning?.message).toBe(`pct is in percent: ${n / 100} means ${n / 100}%, did you mean ${n}?`);
    },
  );
});

/** The example's KPIs and one more, a percent KPI with this formula and target (it is kpis[7]). */
const withPercentKpi = (formula: string, target: unknown) => ({
  ...base,
  kpis: [...(base.kpis as unknown[]), { id: 'probe', name: 'Probe', formula, unit: 'percent', target }],
});
const RATIO = 'count("Order Completed") / distinct(userId of "Page Viewed")';
const SHARE = 'retention("Signed Up" -> any, 1 day)';
/** Bounds around 1, where a share ends and a percent written without its sign begins. */
const aroundOne = fc.oneof(
  fc.double({ min: 0, max: 3, noNaN: true }),
  fc.constantFrom(1, 1 + Number.EPSILON, 1 - Number.EPSILON / 2, 0.999999, 1.000001),
);

describe("a percent KPI's target written as a number", () => {
  test.prop([aroundOne, fc.constantFrom('min', 'max')], { numRuns: 100 })(
    'on a ratio that may pass 100%: a warning exactly above 1, and the config loads',
    (value, bound) => {
      const warnings = warningsOf(withPercentKpi(RATIO, { [bound]: value }));

      expect(warnings.map((w) => w.path)).toEqual(value > 1 ? [`kpis[7].target.${bound}`] : []);
    },
  );

  test.prop([aroundOne, fc.constantFrom('min', 'max')], { numRuns: 100 })(
    'on a share (0 to 1): an error exactly above 1, at its path; at or below 1 it loads without a word',
    (value, bound) => {
      const raw = withPercentKpi(SHARE, { [bound]: value });
      if (value > 1) {
        expect(() => warningsOf(raw)).toThrow(ConfigError);
        try {
          validateConfig(raw, 'probe');
        } catch (error) {
          expect((error as ConfigError).problems.map((p) => p.path)).toEqual([`kpis[7].target.${bound}`]);
        }
      } else expect(warningsOf(raw)).toEqual([]);
    },
  );

  test.prop([fc.double({ min: 0, max: 500, noNaN: true })], { numRuns: 50 })(
    'written with its percent sign it is taken as meant on a ratio, however large',
    (value) => {
      expect(warningsOf(withPercentKpi(RATIO, { min: `${value.toFixed(3)}%` }))).toEqual([]);
    },
  );
});

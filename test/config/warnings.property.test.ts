// Properties of the warnings' boundaries: a warning never stops a config from loading, and it speaks exactly where
// the value is legal but most likely a slip.
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, type ConfigProblem, parseConfigText, validateConfig } from '#shared/config/load.ts';
import { timeZoneProblem } from '#shared/config/time-zone.ts';

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

/** The example's KPIs and a count KPI with this target and alarm (it is kpis[7]). */
const withBounds = (target: Record<string, unknown>, alarm: Record<string, unknown>) => ({
  ...base,
  kpis: [
    ...(base.kpis as unknown[]),
    { id: 'probe', name: 'Probe', formula: 'count("Order Completed")', target, alarm },
  ],
});

describe('an alarm bound on the good side of its target', () => {
  test.prop([fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 1000 })], { numRuns: 100 })(
    'a floor is warned about exactly when it is above the target, a ceiling exactly when it is below; the config loads',
    (target, alarm) => {
      const floors = warningsOf(withBounds({ min: target }, { min: alarm })).map((w) => w.path);
      const ceilings = warningsOf(withBounds({ max: target }, { max: alarm })).map((w) => w.path);

      expect(floors).toEqual(alarm > target ? ['kpis[7].alarm.min'] : []);
      expect(ceilings).toEqual(alarm < target ? ['kpis[7].alarm.max'] : []);
    },
  );

  test.prop([fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 })], { numRuns: 30 })(
    'bounds per day and per period are not compared: 20 a day is no floor above 100 a week',
    (target, alarm) => {
      expect(warningsOf(withBounds({ min: target }, { min: alarm, per: 'day' }))).toEqual([]);
    },
  );
});

/** Text YAML reads as a plain scalar: a letter first, no ': ' and no ' #' inside, no trailing blank. */
const plainText = fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ,;.()/-]{0,30}[A-Za-z0-9.)]$/).filter((t) => !/ #|: /.test(t));
/** What people write after a #: a channel, an issue number, a word. */
const hashWord = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/);

describe('text a " #" cut short', () => {
  const example = readFileSync('nightshift.config.yaml', 'utf8');
  const STEP = '      - Announce the incident and its expected impact.\n';
  const withStep = (step: string) => example.replace(STEP, `      - ${step}\n`);
  const loaded = (text: string) => {
    const warnings: ConfigProblem[] = [];
    const config = parseConfigText(text, 'probe', { onWarning: (w) => warnings.push(w) });
    return { step: config.responsePlans[0]!.steps[1], warnings };
  };

  test.prop([plainText, hashWord, plainText], { numRuns: 60 })(
    'a plain step with " #word" is warned about, and the quoted text it suggests loads as the whole step, without a warning',
    (before, word, after) => {
      const whole = `${before} #${word} ${after}`;
      const cut = loaded(withStep(whole));

      expect(cut.step).toBe(before);
      expect(cut.warnings.map((w) => w.path)).toEqual(['responsePlans[0].steps[1]']);
      const suggested = /quote the whole text: (".*")$/.exec(cut.warnings[0]!.message)?.[1];
      const fixed = loaded(withStep(suggested!));
      expect(fixed.step).toBe(whole);
      expect(fixed.warnings).toEqual([]);
    },
  );

  test.prop([plainText, plainText], { numRuns: 40 })(
    'a comment written as one ("# " and words) after a step is not warned about',
    (step, comment) => {
      expect(loaded(withStep(`${step} # ${comment}`)).warnings).toEqual([]);
    },
  );
});

describe('a time zone misspelt', () => {
  const ZONES = Intl.supportedValuesOf('timeZone').filter((z) => timeZoneProblem(z) === undefined);

  test.prop([fc.constantFrom(...ZONES.filter((z) => z.includes('_')))], { numRuns: 60 })(
    'a region zone written without its underscores, or with spaces for them, is refused naming that zone',
    (zone) => {
      for (const slip of [zone.replaceAll('_', ''), zone.replaceAll('_', ' ')]) {
        expect(timeZoneProblem(slip)).toBe(`'${slip}' is not an IANA time zone: did you mean ${zone}?`);
      }
    },
  );

  test.prop(
    [
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom(...ZONES).map((z) => z.slice(0, -1)),
      ),
    ],
    {
      numRuns: 200,
    },
  )('whatever the name, a zone suggested is one a config may name', (name) => {
    const suggested = /did you mean (.*)\?$/.exec(timeZoneProblem(name) ?? '')?.[1];
    if (suggested !== undefined) expect(timeZoneProblem(suggested)).toBeUndefined();
  });
});

describe('an event name a slip away from another', () => {
  /** Event names of two or three words of at least five letters: one letter less, a word is still four. */
  const eventName = fc
    .array(fc.stringMatching(/^[A-Z][a-z]{4,8}$/), { minLength: 2, maxLength: 3 })
    .map((w) => w.join(' '));

  test.prop([eventName, fc.nat(), fc.nat()], { numRuns: 60 })(
    'a formula reading a name and the name with one letter dropped is warned about once, at a formula, naming both',
    (name, w, at) => {
      const words = name.split(' ');
      const k = w % words.length;
      const word = words[k]!;
      const i = at % word.length;
      const slip = [...words.slice(0, k), word.slice(0, i) + word.slice(i + 1), ...words.slice(k + 1)].join(' ');
      const raw = {
        ...base,
        kpis: [
          ...(base.kpis as unknown[]),
          { id: 'probe', name: 'Probe', formula: `count("${name}") / count("${slip}")` },
        ],
      };

      const warnings = warningsOf(raw).filter((w) => w.message.includes(name));

      expect(warnings).toEqual([
        { path: 'kpis[7].formula', message: expect.stringContaining(`reads "${slip}", a letter away from "${name}"`) },
      ]);
    },
  );
});

describe('a property a formula reads a letter from another on the same event', () => {
  const word = fc.stringMatching(/^[a-z]{5,10}$/);
  const withSums = (a: string, b: string, eventB = 'Order Completed') => ({
    ...base,
    kpis: [
      { id: 'first', name: 'First', formula: `sum("Order Completed".${a})` },
      { id: 'second', name: 'Second', formula: `sum("${eventB}".${b})` },
    ],
  });
  const propertyWarnings = (raw: unknown) => warningsOf(raw).filter((w) => w.message.includes('property names'));

  test.prop([word, fc.nat()], { numRuns: 100 })(
    'a letter dropped is warned about on the same event, at the later KPI, and never across two events',
    (name, at) => {
      const i = at % name.length;
      const slip = name.slice(0, i) + name.slice(i + 1);
      fc.pre(name !== `${slip}s`);

      expect(propertyWarnings(withSums(name, slip))).toEqual([
        { path: 'kpis[1].formula', message: expect.stringContaining(`did you mean ${name}?`) },
      ]);
      expect(propertyWarnings(withSums(name, slip, 'Refund Issued'))).toEqual([]);
    },
  );

  test.prop([word], { numRuns: 50 })('the same property read twice is no slip', (name) => {
    expect(propertyWarnings(withSums(name, name))).toEqual([]);
  });

  test.prop([word], { numRuns: 50 })('a property and its plural in s are two properties (price, prices)', (name) => {
    expect(propertyWarnings(withSums(name, `${name}s`))).toEqual([]);
    expect(propertyWarnings(withSums(`${name}s`, name))).toEqual([]);
  });

  test.prop([word, fc.constantFrom('', '_'), fc.nat(999), fc.nat(999)], { numRuns: 100 })(
    'properties that differ only in digits are two properties (step_1, step_2)',
    (name, joint, m, n) => {
      fc.pre(m !== n);

      expect(propertyWarnings(withSums(`${name}${joint}${m}`, `${name}${joint}${n}`))).toEqual([]);
      expect(propertyWarnings(withSums(name, `${name}${n}`))).toEqual([]);
    },
  );

  test.prop([word, fc.nat(), fc.constantFrom('', '_', '1', 's')], { numRuns: 100 })(
    'a case or punctuation slip is still warned about, plural or numbered names included',
    (stem, at, tail) => {
      const name = `${stem}${tail}`;
      const i = at % stem.length;
      const upper = name.slice(0, i) + name[i]!.toUpperCase() + name.slice(i + 1);
      const spaced = `${name.slice(0, i + 1)}_${name.slice(i + 1)}`;

      expect(propertyWarnings(withSums(name, upper))).toEqual([
        { path: 'kpis[1].formula', message: expect.stringContaining('the same but for case as') },
      ]);
      fc.pre(i + 1 < name.length && !name.endsWith('_'));
      expect(propertyWarnings(withSums(name, spaced))).toEqual([
        { path: 'kpis[1].formula', message: expect.stringContaining('the same but for spaces or punctuation as') },
      ]);
    },
  );
});

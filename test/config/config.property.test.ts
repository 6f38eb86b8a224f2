// Property-based tests of config loading, an input boundary: whatever the file holds, loading returns a config or
// throws a ConfigError whose every problem names its path (a line, for YAML syntax), never anything else.
import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError, parseConfigText } from '#shared/config/load.ts';
import { timeZoneProblem } from '#shared/config/time-zone.ts';

const exampleText = readFileSync('nightshift.config.yaml', 'utf8');
const example = parse(exampleText) as Record<string, unknown>;

/** Problems that concern the whole document, the only ones without a path. */
const WHOLE_DOCUMENT = /^(the file must be a YAML mapping|cannot read the YAML)/;

/** Loads `text`; anything thrown but a ConfigError, or a problem without a path or message, fails the property. */
function load(text: string): 'loaded' | ConfigError {
  try {
    parseConfigText(text, 'mutated.yaml');
    return 'loaded';
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.problems.length).toBeGreaterThan(0);
    for (const p of e.problems) {
      expect(p.message.length).toBeGreaterThan(0);
      if (p.path === '') expect(p.message).toMatch(WHOLE_DOCUMENT);
      else expect(p.path).toMatch(/^(line (\d+|\?)|[A-Za-z_$[])/);
    }
    return e;
  }
}

type Path = (string | number)[];
/** Every path to a value in the example: the places a mutation can hit. */
function paths(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return [at, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (value !== null && typeof value === 'object') {
    return [at, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  }
  return [at];
}
const PATHS = paths(example).filter((p) => p.length > 0);

/** Values a config author (or a bad merge) might put anywhere. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -1,
    0,
    1e308,
    '',
    '-10%',
    '150%',
    '+08:00',
    'Etc/GMT-8',
    'acme_ops!',
    '25:00',
    'x'.repeat(3000),
    `${'('.repeat(5000)}1${')'.repeat(5000)}`,
    `${'-'.repeat(500)}count(any)`,
    'count(any where not not not a == 1) / 0',
    'retention(any -> any, 100000 days)',
    null,
    [],
    {},
  ),
  fc.nat({ max: 200 }).map((n) => Array.from({ length: n }).reduce<unknown[]>((inner) => [inner], [])),
);

type Mutation =
  | { kind: 'set'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'add'; at: number; key: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: oddValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: fc.string({ maxLength: 12 }), value: oddValue }),
);

function mutate(base: unknown, mutations: Mutation[]): unknown {
  const doc = structuredClone(base) as Record<string, unknown>;
  for (const m of mutations) {
    const path = PATHS[m.at % PATHS.length]!;
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], doc);
    if (parent === null || typeof parent !== 'object') continue;
    const key = path.at(-1)!;
    const holder = parent as Record<string | number, unknown>;
    if (m.kind === 'set') holder[key] = m.value;
    else if (m.kind === 'delete' && Array.isArray(holder)) holder.splice(key as number, 1);
    else if (m.kind === 'delete') delete holder[key];
    else {
      const target = holder[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        Object.defineProperty(target, m.key, { value: m.value, enumerable: true, configurable: true, writable: true });
      }
    }
  }
  return doc;
}

describe('loading mutations of the example config', () => {
  test.prop([fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.constantFrom('yaml', 'json')])(
    'values changed, removed or added anywhere: the config loads, or every problem names its path',
    (mutations, format) => {
      const doc = mutate(example, mutations);
      const text = format === 'yaml' ? stringify(doc) : JSON.stringify(doc);
      load(text);
    },
  );

  /** Edits of the text itself: characters inserted, deleted or replaced anywhere, YAML syntax included. */
  const edit = fc.record({
    at: fc.nat({ max: exampleText.length }),
    remove: fc.nat({ max: 12 }),
    insert: fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(
        ':',
        '- ',
        '  ',
        '\n',
        '{',
        '}',
        '[',
        ']',
        '"',
        "'",
        '&a ',
        '*a',
        '!!binary ',
        '? ',
        '|',
        '#',
        '\t',
      ),
    ),
  });
  test.prop([fc.array(edit, { minLength: 1, maxLength: 5 })])(
    'characters edited anywhere in the text: the config loads, or every problem names its path or line',
    (edits) => {
      const text = edits.reduce(
        (t, e) => t.slice(0, Math.min(e.at, t.length)) + e.insert + t.slice(Math.min(e.at, t.length) + e.remove),
        exampleText,
      );
      load(text);
    },
  );

  test.prop([fc.oneof(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300, unit: 'binary' }))])(
    'arbitrary text: a ConfigError and never a crash',
    (text) => {
      expect(load(text)).toBeInstanceOf(ConfigError);
    },
  );

  test.prop([fc.nat({ max: PATHS.length - 1 }), oddValue])(
    'one value replaced: if the config no longer loads, a problem names that place or a reference to it',
    (at, value) => {
      const path = PATHS[at]!;
      const result = load(stringify(mutate(example, [{ kind: 'set', at, value }])));
      if (result === 'loaded') return;
      // The problem is where the value is, or inside it, or in a check across sections that reads it
      // (a weight's total at 'kpis', a renamed id where it is referenced), or beside it in the same object (a
      // schedule's weekday once it no longer runs every week).
      const format = (p: Path) =>
        p.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : out ? `${out}.${k}` : k), '');
      const where = format(path);
      const parent = format(path.slice(0, -1));
      const section = String(path[0]);
      expect(
        result.problems.some(
          (p) => p.path.startsWith(parent) || where.startsWith(p.path) || !p.path.startsWith(section),
        ),
      ).toBe(true);
    },
  );
});

describe('any text as a KPI formula', () => {
  const formulaText = fc.oneof(
    fc.string({ maxLength: 100 }),
    fc
      .tuple(fc.constantFrom('(', '-', '- ', '(-'), fc.nat({ max: 5000 }), fc.string({ maxLength: 20 }))
      .map(([open, n, rest]) => `${open.repeat(n)}count(any)${rest}`),
  );
  const kpiCount = (example.kpis as unknown[]).length;
  test.prop([fc.nat({ max: kpiCount - 1 }), formulaText])(
    'the config loads, or the only problem is the formula, named by its KPI',
    (i, formula) => {
      const doc = structuredClone(example) as { kpis: { formula: string }[] };
      doc.kpis[i]!.formula = formula;
      const result = load(stringify(doc));
      if (result === 'loaded') return;
      expect(result.problems.map((p) => p.path)).toEqual([`kpis[${i}].formula`]);
    },
  );
});

describe('time zone names', () => {
  test.prop([fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...Intl.supportedValuesOf('timeZone')))])(
    'a zone is accepted only if it is UTC or a region zone Intl knows, spelled as Intl spells it',
    (tz) => {
      if (timeZoneProblem(tz) !== undefined) return;
      expect(tz === 'UTC' || /^[A-Z][a-z]+\/[A-Z]/.test(tz)).toBe(true);
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: tz })).not.toThrow();
    },
  );

  test.prop([fc.constantFrom(...Intl.supportedValuesOf('timeZone'))])(
    'every region zone Intl lists is accepted',
    (tz) => {
      expect(timeZoneProblem(tz)).toBeUndefined();
    },
  );
});

describe('holiday lists', () => {
  /** A calendar date as the config writes it, from 1900 to 2999. */
  const date = fc
    .date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const dates = fc.uniqueArray(date, { maxLength: 40 });
  const withHolidays = (holidays: unknown[], format: 'yaml' | 'json') => {
    const doc = { ...structuredClone(example), holidays };
    return format === 'yaml' ? stringify(doc) : JSON.stringify(doc);
  };

  test.prop([dates, fc.constantFrom('yaml', 'json')])(
    'any list of distinct calendar dates is accepted and read back as written',
    (holidays, format) => {
      expect(parseConfigText(withHolidays(holidays, format), 'holidays.yaml').holidays).toEqual(holidays);
    },
  );

  /** Entries that are not a calendar date as YYYY-MM-DD: other text, other types, days past the month's end. */
  const malformed = fc.oneof(
    fc.string({ maxLength: 20 }).filter((s) => !/^\d{4}-\d{2}-\d{2}$/.test(s)),
    fc
      .tuple(fc.integer({ min: 1900, max: 2999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
      .map(([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`)
      .filter(
        (s) =>
          Number.isNaN(Date.parse(`${s}T00:00:00Z`)) || new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) !== s,
      ),
    date.map((d) => `${d}T00:00:00+08:00`),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant({}),
  );

  test.prop([dates, fc.nat(), malformed, fc.constantFrom('yaml', 'json')])(
    'one malformed entry anywhere in the list is refused, and the one problem names its place',
    (holidays, at, entry, format) => {
      const i = at % (holidays.length + 1);
      const list: unknown[] = [...holidays.slice(0, i), entry, ...holidays.slice(i)];

      const result = load(withHolidays(list, format));

      expect(result).toBeInstanceOf(ConfigError);
      expect((result as ConfigError).problems.map((p) => p.path)).toEqual([`holidays[${i}]`]);
    },
  );

  test.prop([dates.filter((d) => d.length > 0), fc.nat(), fc.nat()])(
    'a date listed twice is refused at its second place, naming the first',
    (holidays, which, at) => {
      const repeated = holidays[which % holidays.length]!;
      const first = holidays.indexOf(repeated);
      const i = first + 1 + (at % (holidays.length - first));
      const list = [...holidays.slice(0, i), repeated, ...holidays.slice(i)];

      const result = load(withHolidays(list, 'yaml'));

      expect((result as ConfigError).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
        `holidays[${i}]: duplicate holiday ${repeated} (also holidays[${first}])`,
      ]);
    },
  );
});

// Property-based tests of the formula parser, an input boundary: whatever the text, parsing returns an AST or throws a
// FormulaError with a position, and every formula the language can express prints to text that parses back to it.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  type AggregateExpr,
  type CompareOp,
  type Condition,
  type EventSelector,
  type Expr,
  type FieldRef,
  FormulaError,
  formatFormula,
  formulaLookaheadDays,
  formulaReads,
  formulaTerms,
  MAX_FORMULA_DEPTH,
  MAX_FORMULA_LENGTH,
  MAX_RETENTION_DAYS,
  parseFormula,
} from '#shared/formula/formula.ts';

/** Parses `src`; a throw other than a FormulaError placed inside the text fails the property. */
function parseOrError(src: string): { formula: Expr } | { error: FormulaError } {
  try {
    return { formula: parseFormula(src) };
  } catch (error) {
    expect(error).toBeInstanceOf(FormulaError);
    const e = error as FormulaError;
    expect(Number.isInteger(e.position)).toBe(true);
    expect(e.position).toBeGreaterThanOrEqual(0);
    expect(e.position).toBeLessThanOrEqual(src.length);
    expect(e.source).toBe(src);
    expect(e.message.startsWith(`at column ${e.position + 1}: `)).toBe(true);
    return { error: e };
  }
}

/** The AST without positions, which depend on spacing. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, v]) => key !== 'position' && v !== undefined)
      .map(([key, v]) => [key, shape(v)]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitrary text

const TOKENS = [
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'distinct',
  'retention',
  'cnt',
  '(',
  ')',
  '"Order Completed"',
  "'It\\'s'",
  '"unclosed',
  'any',
  'where',
  'of',
  'and',
  'or',
  'not',
  'true',
  'false',
  'userId',
  'properties',
  'revenue',
  'geo',
  '.',
  ',',
  '->',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '=',
  '&&',
  '!',
  '+',
  '-',
  '*',
  '/',
  '%',
  '0',
  '1',
  '2.5',
  '999999999999999999999',
  'day',
  'days',
  'week',
  'weeks',
  '😀',
  '\n',
];
/** Text made of the language's own tokens reaches far deeper into the parser than random characters do. */
const tokenSoup = fc
  .tuple(fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }), fc.constantFrom(' ', ''))
  .map(([tokens, sep]) => tokens.join(sep));
/** An opening repeated up to 5,000 times, then more tokens: deep input, balanced or not. */
const deepSoup = fc
  .tuple(
    fc.constantFrom('(', '-', '- ', 'count(any where not ', 'not ', '(not ', 'count(any where (('),
    fc.nat({ max: 5000 }),
    tokenSoup,
  )
  .map(([open, n, rest]) => open.repeat(n) + rest);
const anyText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.string({ maxLength: 200, unit: fc.constantFrom(...'()"\'-+*/ .,<>=!&|\\'.split('')) }),
  tokenSoup,
  deepSoup,
);

describe('the formula parser on arbitrary text', () => {
  test.prop([anyText])('returns a formula or throws a FormulaError placed inside the text, nothing else', (src) => {
    parseOrError(src);
  });

  test.prop([tokenSoup])('a formula it accepts prints to text that parses to the same formula and text', (src) => {
    const first = parseOrError(src);
    if (!('formula' in first)) return;
    const printed = formatFormula(first.formula);
    // Printing adds spaces; a compact formula near the length limit may print past it.
    fc.pre(printed.length <= MAX_FORMULA_LENGTH);
    const again = parseFormula(printed);
    expect(shape(again)).toEqual(shape(first.formula));
    expect(formatFormula(again)).toBe(printed);
    expect(() => formulaReads(again)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Deep and large formulas

/** Builders of formulas nested `n` levels, with the depth the parser must find (each level adds exactly one). */
const NESTS: Record<string, { build: (n: number) => string; depth: (n: number) => number }> = {
  parentheses: { build: (n) => `${'('.repeat(n)}1${')'.repeat(n)}`, depth: (n) => n + 1 },
  'minus signs': { build: (n) => `${'-'.repeat(n)}count(any)`, depth: (n) => n + 1 },
  'a chain of +': { build: (n) => `1${' + 1'.repeat(n)}`, depth: (n) => n + 1 },
  'a chain of * and /': { build: (n) => `count(any)${' * 2 / 3'.repeat(n).slice(0, 4 * n)}`, depth: (n) => n + 1 },
  'not in a condition': { build: (n) => `count(any where ${'not '.repeat(n)}a == 1)`, depth: (n) => n + 2 },
  'parentheses in a condition': {
    build: (n) => `count(any where ${'('.repeat(n)}a == 1${')'.repeat(n)})`,
    depth: (n) => n + 2,
  },
  'a chain of or': { build: (n) => `count(any where a == 1${' or b != "x"'.repeat(n)})`, depth: (n) => n + 2 },
  'a chain of and': { build: (n) => `sum("X".v where a > 1${' and b < 2'.repeat(n)})`, depth: (n) => n + 2 },
};

describe('the formula parser on deep and large formulas', () => {
  test.prop([fc.constantFrom(...Object.keys(NESTS)), fc.nat({ max: 6000 })])(
    'accepts a nested formula exactly when it is within the length and depth limits, and says which limit it passed',
    (kind, n) => {
      const { build, depth } = NESTS[kind]!;
      const src = build(n);
      const result = parseOrError(src);
      if (src.length > MAX_FORMULA_LENGTH) {
        expect('error' in result && result.error.message).toContain(`longer than ${MAX_FORMULA_LENGTH} characters`);
        expect('error' in result && result.error.position).toBe(MAX_FORMULA_LENGTH);
      } else if (depth(n) > MAX_FORMULA_DEPTH) {
        expect('error' in result && result.error.message).toContain(`nests more than ${MAX_FORMULA_DEPTH} levels`);
      } else {
        expect('formula' in result).toBe(true);
      }
    },
  );

  /** Layers that each wrap a formula in at least one more level, mixed at random. */
  const layer = fc.constantFrom(
    (x: string) => `(${x})`,
    (x: string) => `-(${x})`,
    (x: string) => `${x} + count(any)`,
    (x: string) => `count(any) / (${x})`,
    (x: string) => `(${x}) * 2`,
  );
  const condition = fc.constantFrom(
    (c: string) => `not (${c})`,
    (c: string) => `(${c})`,
    (c: string) => `(${c}) and x == 1`,
    (c: string) => `y != "z" or (${c})`,
  );
  test.prop([fc.array(layer, { maxLength: 300, size: 'max' }), fc.array(condition, { maxLength: 300, size: 'max' })])(
    'a formula of many mixed layers is parsed or refused with a FormulaError, and what parses can be printed and read',
    (layers, conditions) => {
      const where = conditions.reduce((c, wrap) => wrap(c), 'a >= 1');
      const src = layers.reduce((x, wrap) => wrap(x), `retention(any where ${where} -> any, 1 day)`);
      const result = parseOrError(src);
      if ('formula' in result) {
        expect(src.length).toBeLessThanOrEqual(MAX_FORMULA_LENGTH);
        // The walks over the AST (printing, terms, reads) are recursive: the limits keep them within the stack.
        expect(formulaTerms(result.formula).length).toBeGreaterThan(0);
        expect(formulaReads(result.formula).anyEvent).toBe(true);
        expect(formatFormula(result.formula).length).toBeGreaterThan(0);
      } else if (layers.length + conditions.length > MAX_FORMULA_DEPTH) {
        // Every layer adds at least one level.
        expect(result.error.message).toMatch(/nests more than|longer than/);
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------
// Generated valid formulas

/** Property names, often ones the printer must prefix with 'properties.' to keep them properties. */
const name = fc.oneof(
  fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/),
  fc.constantFrom('properties', 'userId', 'event', 'where', 'and', 'not', 'any', 'of', 'true', 'count', 'day'),
);
const text = fc.oneof(fc.string({ maxLength: 8 }), fc.string({ maxLength: 4, unit: 'grapheme' }));
/** Finite numbers, -0 read as 0 (they compare alike, and the parser keeps the one that prints back). */
const finite = fc
  .oneof(
    fc.integer(),
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  )
  .map((v) => (v === 0 ? 0 : v));
const field: fc.Arbitrary<FieldRef> = fc.oneof(
  fc.constantFrom('userId', 'messageId', 'event').map((n) => ({ in: 'event', name: n }) as FieldRef),
  fc.array(name, { minLength: 1, maxLength: 3 }).map((path) => ({ in: 'properties', path }) as FieldRef),
);
const compare: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .tuple(field, fc.constantFrom<CompareOp>('==', '!=', '<', '<=', '>', '>='), fc.oneof(text, finite))
    .map(([f, op, value]): Condition => ({ kind: 'compare', field: f, op, value })),
  fc
    .tuple(field, fc.constantFrom<CompareOp>('==', '!='), fc.boolean())
    .map(([f, op, value]): Condition => ({ kind: 'compare', field: f, op, value })),
);
const { condition } = fc.letrec<{ condition: Condition }>((tie) => ({
  condition: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'condition' },
    compare,
    tie('condition').map((operand) => ({ kind: 'not', operand }) as Condition),
    fc
      .tuple(fc.constantFrom<'and' | 'or'>('and', 'or'), tie('condition'), tie('condition'))
      .map(([kind, left, right]) => ({ kind, left, right }) as Condition),
  ),
}));
const selector: fc.Arbitrary<EventSelector> = fc
  .tuple(fc.option(text, { nil: null }), fc.option(condition, { nil: undefined }))
  .map(([event, where]) => (where === undefined ? { event } : { event, where }));
const aggregate: fc.Arbitrary<AggregateExpr> = fc.oneof(
  selector.map((events) => ({ kind: 'aggregate', fn: 'count', events, position: 0 }) as AggregateExpr),
  fc
    .tuple(
      fc.constantFrom<'sum' | 'avg' | 'min' | 'max' | 'distinct'>('sum', 'avg', 'min', 'max', 'distinct'),
      selector,
      field,
    )
    .map(([fn, events, f]) => ({ kind: 'aggregate', fn, events, field: f, position: 0 }) as AggregateExpr),
);
const retention: fc.Arbitrary<Expr> = fc
  .tuple(
    selector,
    selector,
    fc.oneof(
      fc.integer({ min: 1, max: MAX_RETENTION_DAYS }).map((n) => ({ days: n, unit: 'day' as const })),
      fc
        .integer({ min: 1, max: Math.floor(MAX_RETENTION_DAYS / 7) })
        .map((n) => ({ days: 7 * n, unit: 'week' as const })),
    ),
  )
  .map(([cohort, returning, period]) => ({ kind: 'retention', cohort, returning, ...period, position: 0 }));
const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'expr' },
    fc.oneof(fc.nat(), finite.map(Math.abs)).map((value) => ({ kind: 'number', value, position: 0 }) as Expr),
    aggregate,
    retention,
    tie('expr').map((operand) => ({ kind: 'negate', operand, position: 0 }) as Expr),
    fc
      .tuple(fc.constantFrom('+', '-', '*', '/'), tie('expr'), tie('expr'))
      .map(([op, left, right]) => ({ kind: 'binary', op, left, right, position: 0 }) as Expr),
  ),
}));

describe('generated formulas', () => {
  test.prop([expr])('every formula the language can express prints to text that parses back to it', (formula) => {
    const printed = formatFormula(formula);
    fc.pre(printed.length <= MAX_FORMULA_LENGTH);
    const parsed = parseFormula(printed);
    expect(shape(parsed)).toEqual(shape(formula));
    expect(formatFormula(parsed)).toBe(printed);
    expect(formulaTerms(parsed)).toHaveLength(formulaTerms(formula).length);
    expect(formulaLookaheadDays(parsed)).toBe(formulaLookaheadDays(formula));
  });

  test.prop([expr])('each parsed node points at its own token in the text', (formula) => {
    const printed = formatFormula(formula);
    fc.pre(printed.length <= MAX_FORMULA_LENGTH);
    const check = (e: Expr): void => {
      const at = printed.slice(e.position);
      if (e.kind === 'binary') {
        expect(at.startsWith(e.op)).toBe(true);
        check(e.left);
        check(e.right);
      } else if (e.kind === 'negate') {
        expect(at.startsWith('-')).toBe(true);
        check(e.operand);
      } else if (e.kind === 'number') {
        expect(Number(/^[\d.]+/.exec(at)?.[0])).toBe(e.value);
      } else {
        expect(at.startsWith(e.kind === 'retention' ? 'retention(' : `${e.fn}(`)).toBe(true);
      }
    };
    check(parseFormula(printed));
  });
});

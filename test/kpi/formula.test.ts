import { describe, expect, it } from 'vitest';
import {
  type Expr,
  FormulaError,
  formatFormula,
  formatNumber,
  formulaLookaheadDays,
  formulaReads,
  MAX_FORMULA_DEPTH,
  MAX_FORMULA_LENGTH,
  parseFormula,
  shareScale,
} from '#shared/formula/formula.ts';

const EXAMPLES = {
  newUsers: 'distinct(userId of "Signed Up")',
  dau: 'distinct(userId of any)',
  conversion: 'count("Order Completed") / distinct(userId of "Page Viewed")',
  roi: 'sum("Order Completed".profit) / sum("Marketing Spend".amount)',
  retention: 'retention("Signed Up" -> any, 1 day)',
  nps: '100 * (count("Survey Answered" where score >= 9) - count("Survey Answered" where score <= 6)) / count("Survey Answered")',
};

function parseError(src: string): FormulaError {
  try {
    parseFormula(src);
  } catch (e) {
    if (e instanceof FormulaError) return e;
    throw e;
  }
  throw new Error(`expected ${src} not to parse`);
}

describe('parseFormula', () => {
  it('parses every example formula and prints it back unchanged', () => {
    for (const src of Object.values(EXAMPLES)) expect(formatFormula(parseFormula(src))).toBe(src);
  });

  it('builds the AST of a ratio of two terms', () => {
    expect(parseFormula(EXAMPLES.conversion)).toEqual({
      kind: 'binary',
      op: '/',
      position: 25,
      left: { kind: 'aggregate', fn: 'count', events: { event: 'Order Completed' }, position: 0 },
      right: {
        kind: 'aggregate',
        fn: 'distinct',
        events: { event: 'Page Viewed' },
        field: { in: 'event', name: 'userId' },
        position: 27,
      },
    });
  });

  it('reads retention periods in days or weeks', () => {
    expect(parseFormula('retention("Signed Up" where plan == "pro" -> "Order Completed", 1 week)')).toMatchObject({
      kind: 'retention',
      cohort: { event: 'Signed Up', where: { kind: 'compare', op: '==', value: 'pro' } },
      returning: { event: 'Order Completed' },
      days: 7,
    });
    expect(parseFormula('retention(any -> any, 30 days)')).toMatchObject({ days: 30, unit: 'day' });
  });

  it('gives * and / precedence over + and -, and unary minus over both', () => {
    const shape = (e: Expr): unknown =>
      e.kind === 'binary'
        ? [shape(e.left), e.op, shape(e.right)]
        : e.kind === 'negate'
          ? ['-', shape(e.operand)]
          : e.kind === 'number'
            ? e.value
            : e.kind;
    expect(shape(parseFormula('1 + 2 * 3 - 4 / 0.5'))).toEqual([[1, '+', [2, '*', 3]], '-', [4, '/', 0.5]]);
    expect(shape(parseFormula('-count(any) * 2'))).toEqual([['-', 'aggregate'], '*', 2]);
    expect(shape(parseFormula('(1 + 2) * 3'))).toEqual([[1, '+', 2], '*', 3]);
  });

  it('keeps needed parentheses and drops redundant ones when printing', () => {
    const print = (src: string) => formatFormula(parseFormula(src));
    expect(print('((1 - (2 - 3)))')).toBe('1 - (2 - 3)');
    expect(print('(1 - 2) - 3')).toBe('1 - 2 - 3');
    expect(print('-(1+2)*3')).toBe('-(1 + 2) * 3');
    expect(print('count("X" where (a == 1 or b == 2) and not (c == 3 and d != "x"))')).toBe(
      'count("X" where (a == 1 or b == 2) and not (c == 3 and d != "x"))',
    );
    expect(print('count("X" where a == 1 or (b == 2 and c == 3))')).toBe(
      'count("X" where a == 1 or b == 2 and c == 3)',
    );
  });

  it('reads where filters with and/or/not, nested properties and every literal type', () => {
    const f = parseFormula(
      `count('Order Completed' where department == "market" and (revenue > 100 or not trial == true) and geo.country != 'DE' and delta >= -2.5)`,
    );
    expect(f).toMatchObject({
      kind: 'aggregate',
      events: {
        event: 'Order Completed',
        where: {
          kind: 'and',
          left: {
            kind: 'and',
            left: {
              kind: 'and',
              left: { kind: 'compare', field: { in: 'properties', path: ['department'] }, op: '==', value: 'market' },
              right: {
                kind: 'or',
                left: { kind: 'compare', op: '>', value: 100 },
                right: { kind: 'not', operand: { kind: 'compare', op: '==', value: true } },
              },
            },
            right: { kind: 'compare', field: { in: 'properties', path: ['geo', 'country'] }, op: '!=', value: 'DE' },
          },
          right: { kind: 'compare', op: '>=', value: -2.5 },
        },
      },
    });
  });

  it('treats userId, messageId and event as event fields, and properties.x as a property', () => {
    const where = (src: string) => (parseFormula(src) as { events: { where: unknown } }).events.where;
    expect(where('count(any where userId == "u1")')).toMatchObject({ field: { in: 'event', name: 'userId' } });
    expect(where('count(any where properties.userId == "u1")')).toMatchObject({
      field: { in: 'properties', path: ['userId'] },
    });
    expect(formatFormula(parseFormula('count(any where properties.userId == "u1")'))).toBe(
      'count(any where properties.userId == "u1")',
    );
  });

  it('accepts escaped quotes in event names', () => {
    const f = parseFormula('count("Said \\"hi\\"") + count(\'It\\\'s\')');
    expect(formulaReads(f).events).toEqual(["It's", 'Said "hi"']);
    expect(formatFormula(f)).toBe('count("Said \\"hi\\"") + count("It\'s")');
  });
});

describe('parse errors say what was expected, where', () => {
  it.each([
    // [formula, 0-based position, message]
    ['(count("X")', 11, "at column 12: expected ')' to close the '(' at column 1, found end of formula"],
    ['count("X"))', 10, "at column 11: unexpected ')' with no matching '('"],
    [
      'cnt("X")',
      0,
      "at column 1: unknown function 'cnt' (expected count, sum, avg, min, max, distinct or retention); did you mean 'count'?",
    ],
    ['count()', 6, "at column 7: expected an event name in quotes or 'any' in count(...), found ')'"],
    [
      'count(Signed Up)',
      6,
      "at column 7: expected an event name in quotes or 'any' in count(...), found 'Signed' (event names are quoted)",
    ],
    ['count("Signed Up" wher x > 1)', 18, "at column 19: expected 'where' or ')' after the event name, found 'wher'"],
    ['count("X" where score = 9)', 22, "at column 23: unexpected '=': use '==' to compare, not '='"],
    ['count("X" where a == 1 && b == 2)', 23, "at column 24: unexpected '&&': use 'and' instead of '&&'"],
    [
      'count("X") % 2',
      11,
      "at column 12: unexpected character '%' (operators are + - * / and comparisons == != < <= > >=)",
    ],
    ['count("X") ** 2', 12, "at column 13: expected a number, '(' or a function such as count(...), found '*'"],
    ['count("X") foo', 11, "at column 12: expected an operator (+ - * /) or the end of the formula, found 'foo'"],
    ['count("Signed Up)', 6, 'at column 7: unterminated string: expected a closing " before the end of the formula'],
    ['', 0, 'at column 1: expected a formula such as count("Order Completed"), found end of formula'],
    ['count("X") /', 12, "at column 13: expected a number, '(' or a function such as count(...), found end of formula"],
    [
      'sum("X")',
      7,
      `at column 8: expected '.' and a property name after the event name (e.g. sum("Order Completed".revenue)), found ')'`,
    ],
    [
      'distinct("X")',
      9,
      'at column 10: expected a property name such as userId (e.g. distinct(userId of "Signed Up")), found "X"',
    ],
    [
      'retention("A" -> any)',
      20,
      `at column 21: expected 'where' or ',' and a period such as 1 day (e.g. retention("Signed Up" -> any, 1 day)), found ')'`,
    ],
    ['retention("A" -> any, 0 days)', 22, "at column 23: expected a whole number of days of at least 1, found '0'"],
    [
      'retention("A" -> any, 2 hours)',
      24,
      "at column 25: expected 'day', 'days', 'week' or 'weeks' after 2, found 'hours'",
    ],
    [
      'count("X" where score >= )',
      25,
      "at column 26: expected a value (a number, a quoted string, true or false) after '>=', found ')'",
    ],
    [
      'count("X" where dept == market)',
      24,
      `at column 25: expected a value (a number, a quoted string, true or false) after '==', found 'market' (quote text values: "market")`,
    ],
    ['count("X" where score 9)', 22, "at column 23: expected a comparison (== != < <= > >=) after 'score', found '9'"],
    ['count("X" where a == 1 b == 2)', 23, "at column 24: expected 'and', 'or' or ')' after the condition, found 'b'"],
    ['count("X" where a > true)', 20, "at column 21: '>' compares numbers or strings, not true; use == or !="],
    [
      'revenue / 2',
      0,
      `at column 1: expected a number, '(' or a function such as count(...), found 'revenue' (properties can only be read inside a function, e.g. sum("Order Completed".revenue))`,
    ],
    [`count(any) * ${'9'.repeat(310)}`, 13, 'at column 14: number too large (310 digits)'],
    [`count(any where revenue > -${'9'.repeat(310)})`, 27, 'at column 28: number too large (310 digits)'],
    [
      'retention("A" -> any, 53 weeks)',
      22,
      'at column 23: a retention period of at most 366 days (52 weeks), found 53 weeks',
    ],
    [
      'retention("A" -> any, 367 days)',
      22,
      'at column 23: a retention period of at most 366 days (52 weeks), found 367 days',
    ],
    [
      'count(any) 😀',
      11,
      "at column 12: unexpected character '😀' (operators are + - * / and comparisons == != < <= > >=)",
    ],
  ])('%s', (src, position, message) => {
    const err = parseError(src);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('FormulaError');
    expect(err.message).toBe(message);
    expect(err.position).toBe(position);
    expect(err.source).toBe(src);
  });
});

describe('formulaReads', () => {
  it('lists the events and properties a formula reads', () => {
    expect(formulaReads(parseFormula(EXAMPLES.nps))).toEqual({
      events: ['Survey Answered'],
      anyEvent: false,
      properties: ['score'],
    });
    expect(formulaReads(parseFormula(EXAMPLES.roi))).toEqual({
      events: ['Marketing Spend', 'Order Completed'],
      anyEvent: false,
      properties: ['amount', 'profit'],
    });
    expect(
      formulaReads(
        parseFormula('retention("Signed Up" where geo.country == "FR" -> any where userId != "bot", 1 day)'),
      ),
    ).toEqual({ events: ['Signed Up'], anyEvent: true, properties: ['geo.country'] });
  });

  it('says how many days after the period retention needs', () => {
    expect(formulaLookaheadDays(parseFormula(EXAMPLES.conversion))).toBe(0);
    expect(formulaLookaheadDays(parseFormula('retention(any -> any, 1 day) + retention(any -> any, 1 week)'))).toBe(7);
  });
});

describe('shareScale: the range a formula always stays in', () => {
  it.each([
    ['retention("Signed Up" -> any, 1 day)', 1],
    ['count("Survey Answered" where score >= 9) / count("Survey Answered")', 1],
    ['distinct(userId of "Page Viewed" where section == "shop") / distinct(userId of any)', 1],
    ['count(any where a == 1 and b == 2) / count(any where b == 2)', 1],
    ['100 * count("Survey Answered" where score >= 9) / count("Survey Answered")', 100],
    ['count("Survey Answered" where score >= 9) * 100 / count("Survey Answered")', 100],
    ['100 * retention("Signed Up" -> any, 7 days)', 100],
  ])('%s is between 0 and %d', (formula, scale) => {
    expect(shareScale(parseFormula(formula))).toBe(scale);
  });

  it.each([
    EXAMPLES.conversion,
    EXAMPLES.roi,
    EXAMPLES.nps,
    EXAMPLES.dau,
    'count("Order Completed") / count("Page Viewed")',
    'count("Survey Answered") / count("Survey Answered" where score >= 9)',
    'count(any where b == 2) / count(any where a == 1 and b == 2)',
    'distinct(userId of "Signed Up") / count("Signed Up")',
    '-100 * retention("Signed Up" -> any, 1 day)',
  ])('%s: the formula does not tell', (formula) => {
    expect(shareScale(parseFormula(formula))).toBeUndefined();
  });
});

describe('length and nesting limits', () => {
  const NESTING = `the formula nests more than ${MAX_FORMULA_DEPTH} levels deep (each parenthesis, function call, operator, and, or and not adds one); simplify it`;
  const nests = (n: number) => `${'('.repeat(n)}count(any)${')'.repeat(n)}`;

  it('a formula nested 5,000 deep is a positioned formula error, not a stack overflow', () => {
    const src = nests(5000);
    const err = parseError(src);
    expect(err.message).toBe(
      `at column ${MAX_FORMULA_LENGTH + 1}: the formula is longer than ${MAX_FORMULA_LENGTH} characters (it has ${src.length}); simplify it`,
    );
    expect(err.position).toBe(MAX_FORMULA_LENGTH);
  });

  it(`a formula as long as ${MAX_FORMULA_LENGTH} characters parses, one character more does not`, () => {
    const at = (length: number) => `count(any)${' '.repeat(length - 'count(any)'.length)}`;
    expect(parseFormula(at(MAX_FORMULA_LENGTH))).toMatchObject({ kind: 'aggregate' });
    expect(parseError(at(MAX_FORMULA_LENGTH + 1)).position).toBe(MAX_FORMULA_LENGTH);
  });

  it(`parentheses around a term count as levels: ${MAX_FORMULA_DEPTH - 1} parse, ${MAX_FORMULA_DEPTH} do not`, () => {
    expect(formatFormula(parseFormula(nests(MAX_FORMULA_DEPTH - 1)))).toBe('count(any)');
    // The term inside is the level too many.
    const err = parseError(nests(MAX_FORMULA_DEPTH));
    expect(err.message).toBe(`at column ${MAX_FORMULA_DEPTH + 1}: ${NESTING}`);
  });

  it('nesting past the limit is refused where the parser reaches it, before it can exhaust the stack', () => {
    // 1,000 minus signs fit the length limit: the parser stops at the first level past the limit.
    const err = parseError(`${'-'.repeat(1000)}count(any)`);
    expect(err.message).toBe(`at column ${MAX_FORMULA_DEPTH + 1}: ${NESTING}`);
    // count( is the first level, so the 100th 'not' is the one too many.
    const conditions = parseError(`count(any where ${'not '.repeat(400)}a == 1)`);
    expect(conditions.position).toBe('count(any where '.length + 4 * (MAX_FORMULA_DEPTH - 1));
    expect(conditions.message).toContain(NESTING);
  });

  it('a long chain of operators is as deep as its operators, so it is bounded too', () => {
    const chain = (n: number) => Array.from({ length: n + 1 }, () => 'count(any)').join(' + ');
    expect(parseFormula(chain(MAX_FORMULA_DEPTH - 1))).toMatchObject({ kind: 'binary' });
    const err = parseError(chain(MAX_FORMULA_DEPTH));
    // Reported at the operator that makes it one level too deep.
    expect(err.position).toBe(chain(MAX_FORMULA_DEPTH).lastIndexOf('+'));
    expect(err.message).toContain(NESTING);
    const ors = (n: number) => `count(any where ${Array.from({ length: n + 1 }, (_, i) => `c == ${i}`).join(' or ')})`;
    // The comparison and the count are a level each.
    expect(parseFormula(ors(MAX_FORMULA_DEPTH - 2))).toMatchObject({ kind: 'aggregate' });
    expect(parseError(ors(MAX_FORMULA_DEPTH - 1)).message).toContain(NESTING);
  });
});

describe('formatFormula', () => {
  it('prints numbers as plain decimals the parser reads back', () => {
    expect(formatNumber(1e21)).toBe('1000000000000000000000');
    expect(formatNumber(1.5e-7)).toBe('0.00000015');
    expect(formatNumber(-2.5e-7)).toBe('-0.00000025');
    expect(formatNumber(1.2345e25)).toBe('12345000000000000000000000');
    expect(formatNumber(12.5)).toBe('12.5');
    const src = 'count(any where x > -0.00000015) * 1000000000000000000000';
    expect(formatFormula(parseFormula(src))).toBe(src);
  });

  it('reads -0 in a condition as 0, which prints back the same', () => {
    expect(parseFormula('count(any where x > -0)')).toMatchObject({
      events: { where: { value: 0 } },
    });
    expect(
      Object.is(
        (parseFormula('count(any where x > -0)') as { events: { where: { value: number } } }).events.where.value,
        0,
      ),
    ).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { parseFormula } from '#shared/formula/formula.ts';
import {
  createEvaluator,
  type EvaluatorOptions,
  type KpiEvent,
  type KpiResult,
  UserIndex,
} from '#shared/kpi/evaluate.ts';

const DAY = '2026-03-10';
const WEEK = ['2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13', '2026-03-14', '2026-03-15'];

let seq = 0;
function ev(
  event: string,
  userId: string | undefined,
  day: string,
  properties: Record<string, unknown> = {},
): KpiEvent {
  seq++;
  const e: KpiEvent = { messageId: `m${seq}`, event, ts: Date.parse(`${day}T12:00:00Z`), day, properties };
  if (userId !== undefined) e.userId = userId;
  return e;
}

function run(formula: string, events: KpiEvent[], options: Partial<EvaluatorOptions> = {}): KpiResult {
  const evaluator = createEvaluator(parseFormula(formula), { periodDays: [DAY], ...options });
  for (const e of events) evaluator.add(e);
  return evaluator.result();
}

const value = (formula: string, events: KpiEvent[], options: Partial<EvaluatorOptions> = {}) =>
  run(formula, events, options).value;

describe('example formulas', () => {
  it('new users: distinct users who signed up', () => {
    const events = [
      ev('Signed Up', 'a', DAY),
      ev('Signed Up', 'b', DAY),
      ev('Signed Up', 'a', DAY), // a retried sign-up is still one user
      ev('Page Viewed', 'c', DAY),
      ev('Signed Up', undefined, DAY), // anonymous: no user to count
    ];
    expect(run('distinct(userId of "Signed Up")', events)).toEqual({
      value: 2,
      inputs: { 'distinct(userId of "Signed Up")': 2 },
      byScope: {},
    });
  });

  it('daily active users: distinct users over any event', () => {
    const events = [
      ev('Signed Up', 'a', DAY),
      ev('Page Viewed', 'a', DAY),
      ev('Page Viewed', 'b', DAY),
      ev('Order Completed', 'c', DAY),
      ev('Page Viewed', 'z', '2026-03-11'), // another day
    ];
    expect(value('distinct(userId of any)', events)).toBe(3);
  });

  it('conversion rate: orders per distinct viewer, with both inputs reported', () => {
    const events = [
      ...['a', 'b', 'c', 'd'].flatMap((u) => [ev('Page Viewed', u, DAY), ev('Page Viewed', u, DAY)]),
      ev('Order Completed', 'a', DAY),
    ];
    expect(run('count("Order Completed") / distinct(userId of "Page Viewed")', events)).toEqual({
      value: 0.25,
      inputs: { 'count("Order Completed")': 1, 'distinct(userId of "Page Viewed")': 4 },
      byScope: {},
    });
  });

  it('ROI: sum of profit over sum of spend', () => {
    const events = [
      ev('Order Completed', 'a', DAY, { profit: 30 }),
      ev('Order Completed', 'b', DAY, { profit: 12.5 }),
      ev('Marketing Spend', undefined, DAY, { amount: 20 }),
      ev('Marketing Spend', undefined, DAY, { amount: 5 }),
    ];
    expect(run('sum("Order Completed".profit) / sum("Marketing Spend".amount)', events)).toMatchObject({
      value: 1.7,
      inputs: { 'sum("Order Completed".profit)': 42.5, 'sum("Marketing Spend".amount)': 25 },
    });
  });

  it("retention: share of the day's sign-ups seen again the next day", () => {
    const next = '2026-03-11';
    const events = [
      ev('Signed Up', 'a', DAY),
      ev('Signed Up', 'b', DAY),
      ev('Signed Up', 'c', DAY),
      ev('Signed Up', 'd', DAY),
      ev('Page Viewed', 'a', next),
      ev('Order Completed', 'b', next),
      ev('Page Viewed', 'c', DAY), // same day is not a return
      ev('Page Viewed', 'd', '2026-03-12'), // two days later is not a 1-day return
      ev('Page Viewed', 'x', next), // never signed up
    ];
    const evaluator = createEvaluator(parseFormula('retention("Signed Up" -> any, 1 day)'), { periodDays: [DAY] });
    expect(evaluator.lookaheadDays).toBe(1);
    expect(evaluator.days).toEqual([DAY, next]);
    for (const e of events) evaluator.add(e);
    expect(evaluator.result()).toEqual({
      value: 0.5,
      inputs: {
        'retention("Signed Up" -> any, 1 day)': 0.5,
        'cohort of retention("Signed Up" -> any, 1 day)': 4,
        'returned of retention("Signed Up" -> any, 1 day)': 2,
      },
      byScope: {},
    });
  });

  it('NPS: promoters minus detractors over all answers, in percent', () => {
    const scores = [10, 9, 9, 10, 9, 8, 7, 6, 3, 0];
    const events = scores.map((score, i) => ev('Survey Answered', `u${i}`, DAY, { score }));
    const nps =
      '100 * (count("Survey Answered" where score >= 9) - count("Survey Answered" where score <= 6)) / count("Survey Answered")';
    expect(run(nps, events)).toMatchObject({
      value: 20,
      inputs: {
        'count("Survey Answered" where score >= 9)': 5,
        'count("Survey Answered" where score <= 6)': 3,
        'count("Survey Answered")': 10,
      },
    });
    // An answer without a usable score is neither promoter nor detractor, but still an answer.
    const withBlanks = [...events, ev('Survey Answered', 'x', DAY), ev('Survey Answered', 'y', DAY, { score: '10' })];
    expect(value(nps, withBlanks)).toBeCloseTo(100 * (2 / 12), 12);
  });
});

describe('no value', () => {
  it('a zero denominator gives null, never 0 or Infinity', () => {
    const orders = [ev('Order Completed', 'a', DAY)];
    expect(value('count("Order Completed") / distinct(userId of "Page Viewed")', orders)).toBeNull();
    expect(value('count("Order Completed") / distinct(userId of "Page Viewed")', [])).toBeNull();
    expect(value('sum("Order Completed".profit) / sum("Marketing Spend".amount)', orders)).toBeNull();
  });

  it('null propagates through arithmetic', () => {
    expect(value('1 + count("A") / count("B")', [ev('A', 'a', DAY)])).toBeNull();
    expect(value('-(count("A") / count("B")) * 0', [])).toBeNull();
  });

  it('count, sum and distinct of nothing are 0; avg, min and max of nothing are null', () => {
    const inputs = run('count("A") + sum("A".x) + distinct(userId of "A") + avg("A".x) + min("A".x) + max("A".x)', [
      ev('B', 'b', DAY, { x: 1 }),
    ]).inputs;
    expect(inputs).toEqual({
      'count("A")': 0,
      'sum("A".x)': 0,
      'distinct(userId of "A")': 0,
      'avg("A".x)': null,
      'min("A".x)': null,
      'max("A".x)': null,
    });
  });

  it('retention with an empty cohort is null', () => {
    expect(value('retention("Signed Up" -> any, 1 day)', [ev('Page Viewed', 'a', '2026-03-11')])).toBeNull();
  });

  it('arithmetic on constants works and -0 reads as 0', () => {
    expect(value('-count("A") * 2 + 10 / 4', [])).toBe(2.5);
    expect(Object.is(value('-count("A")', []), 0)).toBe(true);
  });
});

describe('property values', () => {
  const orders = [
    ev('Order Completed', 'a', DAY, { revenue: 10 }),
    ev('Order Completed', 'b', DAY, { revenue: 30 }),
    ev('Order Completed', 'c', DAY, {}), // missing
    ev('Order Completed', 'd', DAY, { revenue: '25' }), // text, not a number
    ev('Order Completed', 'e', DAY, { revenue: null }),
    ev('Order Completed', 'f', DAY, { revenue: Number.NaN }),
  ];

  it('sum and avg skip missing and non-numeric values (avg does not count them as 0)', () => {
    expect(value('sum("Order Completed".revenue)', orders)).toBe(40);
    expect(value('avg("Order Completed".revenue)', orders)).toBe(20);
    expect(value('min("Order Completed".revenue)', orders)).toBe(10);
    expect(value('max("Order Completed".revenue)', orders)).toBe(30);
  });

  it('reads nested properties', () => {
    const events = [
      ev('Order Completed', 'a', DAY, { cart: { total: 5, items: 2 } }),
      ev('Order Completed', 'b', DAY, { cart: { total: 7 } }),
      ev('Order Completed', 'c', DAY, { cart: 'oops' }),
    ];
    expect(value('sum("Order Completed".cart.total) / sum("Order Completed".cart.items)', events)).toBe(6);
  });

  it('sums decimals exactly, whatever the order', () => {
    const dimes = Array.from({ length: 10 }, (_, i) => ev('Tip', `u${i}`, DAY, { amount: 0.1 }));
    expect(value('sum("Tip".amount)', dimes)).toBe(1); // a running total gives 0.9999999999999999
    const mixed = [1e16, 1, -1e16, 1, 0.5].map((amount, i) => ev('Tip', `u${i}`, DAY, { amount }));
    expect(value('sum("Tip".amount)', mixed)).toBe(2.5);
    expect(value('sum("Tip".amount)', [...mixed].reverse())).toBe(2.5);
  });

  it('distinct counts keys of any property; missing and empty keys are not counted', () => {
    const events = [
      ev('Order Completed', 'a', DAY, { orderId: 'o1' }),
      ev('Order Completed', 'a', DAY, { orderId: 'o1' }),
      ev('Order Completed', 'b', DAY, { orderId: 'o2' }),
      ev('Order Completed', 'b', DAY, { orderId: 7 }),
      ev('Order Completed', 'b', DAY, { orderId: '' }),
      ev('Order Completed', 'b', DAY, {}),
    ];
    expect(value('distinct(orderId of "Order Completed")', events)).toBe(3);
  });
});

describe('where filters', () => {
  const orders = [
    ev('Order Completed', 'a', DAY, { department: 'market', revenue: 150, trial: false }),
    ev('Order Completed', 'b', DAY, { department: 'market', revenue: 80, trial: true }),
    ev('Order Completed', 'c', DAY, { department: 'sales', revenue: 500 }),
    ev('Order Completed', 'd', DAY, { revenue: 120 }), // no department
    ev('Order Completed', 'e', DAY, { department: 'market', revenue: '200' }), // revenue is text
  ];
  const count = (where: string) => value(`count("Order Completed" where ${where})`, orders);

  it('combines comparisons with and, or, not and parentheses', () => {
    expect(count('department == "market" and revenue > 100')).toBe(1);
    expect(count('department == "market" or revenue > 100')).toBe(5);
    expect(count('department == "sales" or department == "market" and revenue < 100')).toBe(2);
    expect(count('(department == "sales" or department == "market") and revenue < 100')).toBe(1);
    expect(count('not department == "market"')).toBe(2);
    expect(count('not (department == "market" or revenue >= 500)')).toBe(1);
    expect(count('revenue >= 80 and revenue <= 150')).toBe(3);
    expect(count('trial == true')).toBe(1);
    expect(count('userId == "c" or userId == "d"')).toBe(2);
    expect(count('department < "n"')).toBe(3); // strings compare alphabetically
  });

  it('a comparison against a missing property is false, != included', () => {
    expect(count('department != "market"')).toBe(1); // 'sales' only: d has no department
    expect(count('not department == "market"')).toBe(2); // not (...) does include d
    expect(count('trial != true')).toBe(1);
    expect(count('nothing == 0 or nothing != 0 or nothing < 0 or nothing >= 0')).toBe(0);
  });

  it('compares only values of the same type: "200" is not > 100', () => {
    expect(count('revenue > 100')).toBe(3);
    expect(count('revenue == "200"')).toBe(1);
  });

  it('filters the value of sum and the key of distinct', () => {
    expect(value('sum("Order Completed".revenue where department == "market")', orders)).toBe(230);
    expect(value('distinct(userId of any where revenue > 100)', orders)).toBe(3);
  });
});

describe('periods', () => {
  it('a weekly distinct count is distinct over the week, not the sum of daily counts', () => {
    const events = WEEK.flatMap((day) => [ev('Page Viewed', 'a', day), ev('Page Viewed', 'b', day)]);
    events.push(ev('Page Viewed', 'c', WEEK[3]!));
    const formula = 'distinct(userId of "Page Viewed")';
    const daily = WEEK.map((day) => value(formula, events, { periodDays: [day] }));
    expect(daily).toEqual([2, 2, 2, 3, 2, 2, 2]);
    expect(value(formula, events, { periodDays: WEEK })).toBe(3);
  });

  it('a weekly ratio is the ratio of weekly totals', () => {
    const events = [
      ev('Order Completed', 'a', WEEK[0]!),
      ev('Page Viewed', 'a', WEEK[0]!),
      ...['a', 'b', 'c'].map((u) => ev('Page Viewed', u, WEEK[1]!)),
    ];
    // Mean of daily ratios would be (1/1 + 0/3) / 2 = 0.5; the weekly ratio is 1 order / 3 viewers.
    expect(value('count("Order Completed") / distinct(userId of "Page Viewed")', events, { periodDays: WEEK })).toBe(
      1 / 3,
    );
  });

  it('ignores events of days outside the period, fed in any order', () => {
    const events = [
      ev('A', 'a', '2026-03-08'),
      ev('A', 'a', WEEK[6]!),
      ev('A', 'a', '2026-03-16'),
      ev('A', 'b', WEEK[0]!),
      ev('A', 'b', 'not a day'),
    ];
    expect(value('count("A")', events, { periodDays: WEEK })).toBe(2);
  });

  it('rejects period days that are not consecutive ascending dates', () => {
    const formula = parseFormula('count("A")');
    expect(() => createEvaluator(formula, { periodDays: [] })).toThrow(/periodDays is empty/);
    expect(() => createEvaluator(formula, { periodDays: ['2026-03-10', '2026-03-12'] })).toThrow(
      "periodDays must be consecutive YYYY-MM-DD days in ascending order; got '2026-03-12' at index 1",
    );
    expect(() => createEvaluator(formula, { periodDays: ['2026-02-30'] })).toThrow(/consecutive/);
  });
});

describe('retention across days', () => {
  const formula = 'retention("Signed Up" -> any, 1 day)';

  it('follows a cohort over the month end: 2026-01-31 sign-ups returning on 2026-02-01', () => {
    const evaluator = createEvaluator(parseFormula(formula), { periodDays: ['2026-01-31'] });
    expect(evaluator.days).toEqual(['2026-01-31', '2026-02-01']);
    for (const e of [
      ev('Signed Up', 'a', '2026-01-31'),
      ev('Signed Up', 'b', '2026-01-31'),
      ev('Signed Up', 'c', '2026-01-31'),
      ev('Page Viewed', 'a', '2026-02-01'),
      ev('Page Viewed', 'b', '2026-02-02'),
    ])
      evaluator.add(e);
    expect(evaluator.result().value).toBe(1 / 3);
  });

  it('over a week sums cohorts of every day; the last day returns on the lookahead day', () => {
    const evaluator = createEvaluator(parseFormula(`${formula} + 0 * count(any)`), { periodDays: WEEK });
    const next = '2026-03-16';
    expect(evaluator.lookaheadDays).toBe(1);
    expect(evaluator.days).toEqual([...WEEK, next]);
    const events = [
      // Monday cohort: a returns Tuesday, b does not.
      ev('Signed Up', 'a', WEEK[0]!),
      ev('Signed Up', 'b', WEEK[0]!),
      ev('Page Viewed', 'a', WEEK[1]!),
      // a signs up again on Thursday: a second cohort membership, returning Friday.
      ev('Signed Up', 'a', WEEK[3]!),
      ev('Page Viewed', 'a', WEEK[4]!),
      // Sunday cohort returns Monday of the next week (lookahead), c only.
      ev('Signed Up', 'c', WEEK[6]!),
      ev('Signed Up', 'd', WEEK[6]!),
      ev('Page Viewed', 'c', next),
      // Lookahead events never join a cohort or count as period events.
      ev('Signed Up', 'e', next),
      ev('Page Viewed', 'e', '2026-03-17'),
    ];
    for (const e of [...events].reverse()) evaluator.add(e);
    const r = evaluator.result();
    expect(r.inputs).toEqual({
      'retention("Signed Up" -> any, 1 day)': 3 / 5,
      'cohort of retention("Signed Up" -> any, 1 day)': 5,
      'returned of retention("Signed Up" -> any, 1 day)': 3,
      'count(any)': 7,
    });
    expect(r.value).toBe(0.6);
  });

  it('filters cohort and return events, and supports weeks', () => {
    const events = [
      ev('Signed Up', 'a', DAY, { plan: 'pro' }),
      ev('Signed Up', 'b', DAY, { plan: 'pro' }),
      ev('Signed Up', 'c', DAY, { plan: 'free' }),
      ev('Order Completed', 'a', '2026-03-17', { revenue: 5 }),
      ev('Order Completed', 'b', '2026-03-17', { revenue: 0 }),
      ev('Order Completed', 'c', '2026-03-17', { revenue: 9 }),
    ];
    const f = 'retention("Signed Up" where plan == "pro" -> "Order Completed" where revenue > 0, 1 week)';
    const evaluator = createEvaluator(parseFormula(f), { periodDays: [DAY] });
    expect(evaluator.lookaheadDays).toBe(7);
    for (const e of events) evaluator.add(e);
    expect(evaluator.result().value).toBe(0.5);
  });
});

describe('scopes', () => {
  it('computes the formula per value of the scope property; events without it belong to no scope', () => {
    const events = [
      ev('Page Viewed', 'a', DAY, { department: 'market' }),
      ev('Page Viewed', 'b', DAY, { department: 'market' }),
      ev('Order Completed', 'a', DAY, { department: 'market' }),
      ev('Page Viewed', 'a', DAY, { department: 'sales' }),
      ev('Page Viewed', 'c', DAY),
      ev('Order Completed', 'c', DAY),
    ];
    const r = run('count("Order Completed") / distinct(userId of "Page Viewed")', events, { scopeBy: 'department' });
    expect(r.value).toBe(2 / 3);
    expect(r.byScope).toEqual({
      market: {
        value: 0.5,
        inputs: { 'count("Order Completed")': 1, 'distinct(userId of "Page Viewed")': 2 },
      },
      sales: {
        value: 0,
        inputs: { 'count("Order Completed")': 0, 'distinct(userId of "Page Viewed")': 1 },
      },
    });
  });

  it('scopes by nested properties and by number values', () => {
    const events = [
      ev('A', 'a', DAY, { org: { region: 2 } }),
      ev('A', 'b', DAY, { org: { region: 10 } }),
      ev('A', 'c', DAY, { org: { region: 2 } }),
      ev('A', 'd', DAY, { org: { region: { id: 3 } } }), // not a scope name
    ];
    const r = run('count("A")', events, { scopeBy: 'org.region' });
    expect(r.value).toBe(4);
    expect(r.byScope).toEqual({
      '2': { value: 2, inputs: { 'count("A")': 2 } },
      '10': { value: 1, inputs: { 'count("A")': 1 } },
    });
  });

  it('retention: the cohort event decides the scope, any return counts whatever its scope', () => {
    const next = '2026-03-11';
    const events = [
      ev('Signed Up', 'a', DAY, { department: 'market' }),
      ev('Signed Up', 'b', DAY, { department: 'market' }),
      ev('Signed Up', 'c', DAY, { department: 'sales' }),
      ev('Signed Up', 'd', DAY),
      ev('Page Viewed', 'a', next, { department: 'sales' }),
      ev('Page Viewed', 'c', next),
      ev('Page Viewed', 'd', next, { department: 'support' }), // a lookahead day opens no scope
    ];
    const r = run('retention("Signed Up" -> any, 1 day)', events, { scopeBy: 'department' });
    expect(r.value).toBe(0.75);
    expect(Object.keys(r.byScope)).toEqual(['market', 'sales']);
    expect(r.byScope.market?.inputs).toEqual({
      'retention("Signed Up" -> any, 1 day)': 0.5,
      'cohort of retention("Signed Up" -> any, 1 day)': 2,
      'returned of retention("Signed Up" -> any, 1 day)': 1,
    });
    expect(r.byScope.sales?.value).toBe(1);
  });
});

describe('term sharing', () => {
  it('evaluates a term that appears twice once, and reports it once', () => {
    const r = run('count("A") / (count("A") + count("B"))', [ev('A', 'a', DAY), ev('B', 'b', DAY), ev('B', 'c', DAY)]);
    expect(r.value).toBe(1 / 3);
    expect(r.inputs).toEqual({ 'count("A")': 1, 'count("B")': 2 });
  });

  it('result() can be read, fed more and read again', () => {
    const evaluator = createEvaluator(parseFormula('count(any)'), { periodDays: [DAY] });
    evaluator.add(ev('A', 'a', DAY));
    expect(evaluator.result().value).toBe(1);
    evaluator.add(ev('B', 'a', DAY));
    expect(evaluator.result().value).toBe(2);
  });
});

describe('shared user index', () => {
  it('evaluators sharing a UserIndex give the same values as separate ones', () => {
    const formulas = [
      'distinct(userId of any)',
      'distinct(userId of "Page Viewed" where n > 1)',
      'retention("Signed Up" -> any, 1 day)',
    ].map(parseFormula);
    const next = '2026-03-11';
    const events = [
      ev('Signed Up', 'a', DAY),
      ev('Page Viewed', 'a', DAY, { n: 2 }),
      ev('Page Viewed', 'b', DAY, { n: 1 }),
      ev('Signed Up', 'c', DAY),
      ev('Page Viewed', undefined, DAY, { n: 5 }),
      ev('Page Viewed', 'c', next),
    ];
    const users = new UserIndex();
    const shared = formulas.map((f) => createEvaluator(f, { periodDays: [DAY], users }));
    const separate = formulas.map((f) => createEvaluator(f, { periodDays: [DAY] }));
    // One event object reused for every record, as a streaming decoder might do.
    const reused: KpiEvent = { messageId: '', event: '', ts: 0, day: '', properties: {} };
    for (const e of events) {
      Object.assign(reused, { userId: undefined }, e);
      for (const evaluator of [...shared, ...separate]) evaluator.add(reused);
    }
    const values = (evs: typeof shared) => evs.map((e) => e.result().value);
    expect(values(shared)).toEqual([3, 1, 0.5]);
    expect(values(separate)).toEqual([3, 1, 0.5]);
    expect(users.size).toBe(3);
  });
});

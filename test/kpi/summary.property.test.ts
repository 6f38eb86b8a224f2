import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { StoredEvent } from '#shared/events/envelope.ts';
import { formulaLookaheadDays, parseFormula } from '#shared/formula/formula.ts';
import { createEvaluator } from '#shared/kpi/evaluate.ts';
import {
  DaySummarizer,
  decodeSummary,
  encodeSummary,
  PeriodMerge,
  summaryInputs,
  UserNumbers,
} from '#shared/kpi/summary.ts';
import { addDays, dateRange } from '#shared/time/calendar.ts';

/** Every kind of term, alone and in arithmetic, with where filters and retention over one and two days. */
const FORMULAS = [
  'count("A")',
  'count(any)',
  'count("A" where x > 2)',
  'sum("A".v)',
  'avg("A".v)',
  'min("B".v)',
  'max("B".v)',
  'distinct(userId of "A")',
  'distinct(userId of any)',
  'distinct(k of "B")',
  'retention("A" -> any, 1 day)',
  'retention("A" where x > 1 -> "B", 2 days)',
  'count("A") / distinct(userId of "B")',
  '100 * (count("B" where x >= 3) - count("B" where x <= 1)) / count("B")',
  'sum("A".v) / sum("B".v) - 1',
];

const FIRST = '2026-01-28';
/** The period: the month end and the start of the next month, then the days retention looks ahead to. */
const PERIOD = dateRange(FIRST, '2026-02-03');
const ALL_DAYS = dateRange(FIRST, addDays(PERIOD.at(-1)!, 3));

const event = fc.record(
  {
    event: fc.constantFrom('A', 'B', 'C'),
    userId: fc.option(fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', ''), { nil: undefined }),
    day: fc.constantFrom(...ALL_DAYS),
    x: fc.option(fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constant('3')), { nil: undefined }),
    // Decimals and magnitudes whose float sum depends on the order: the merged sum must still be exact.
    v: fc.option(fc.constantFrom(0.1, 0.2, 0.3, 1e16, -1e16, 1, -3.3, 2.5e-8, 123.45), { nil: undefined }),
    k: fc.option(fc.constantFrom('p', 'q', 'r', ''), { nil: undefined }),
    dept: fc.option(fc.constantFrom('market', 'content', 7, true), { nil: undefined }),
  },
  { requiredKeys: ['event', 'day'] },
);

type RawEvent = typeof event extends fc.Arbitrary<infer T> ? T : never;

function toStored(raw: RawEvent[]): StoredEvent[] {
  return raw.map((r, i) => {
    const properties: Record<string, unknown> = {};
    for (const p of ['x', 'v', 'k', 'dept'] as const) if (r[p] !== undefined) properties[p] = r[p];
    const e: StoredEvent = {
      messageId: `m${i}`,
      event: r.event,
      ts: Date.parse(`${r.day}T12:00:00Z`),
      day: r.day,
      properties,
    };
    if (r.userId !== undefined) e.userId = r.userId;
    return e;
  });
}

describe('day summaries merged into a period', () => {
  test.prop(
    [
      fc.array(event, { maxLength: 120 }),
      fc.subarray(FORMULAS, { minLength: 1 }),
      fc.constantFrom(undefined, 'dept'),
      fc.integer({ min: 1, max: PERIOD.length }),
      fc.boolean(),
    ],
    { numRuns: 150 },
  )(
    'give exactly the values, inputs and per-scope values of one pass over the raw events',
    (raw, formulas, scopeBy, length, reversed) => {
      const events = toStored(raw);
      const periodDays = PERIOD.slice(0, length);
      const kpis = formulas.map((f) => ({ formula: parseFormula(f), scopeBy }));
      const inputs = summaryInputs(kpis);

      // Each day summarized on its own, stored and read back.
      const byDay = new Map<string, StoredEvent[]>();
      for (const e of events) byDay.set(e.day, [...(byDay.get(e.day) ?? []), e]);
      const stored = new Map(
        ALL_DAYS.map((day) => {
          const s = new DaySummarizer(day, inputs);
          for (const e of byDay.get(day) ?? []) s.add(e);
          return [day, encodeSummary(s.summary())] as const;
        }),
      );

      for (const kpi of kpis) {
        const look = formulaLookaheadDays(kpi.formula);
        const evaluator = createEvaluator(kpi.formula, { periodDays, ...(scopeBy ? { scopeBy } : {}) });
        for (const e of reversed ? [...events].reverse() : events) evaluator.add(e);

        const merge = new PeriodMerge(inputs, periodDays.length, look);
        const users = new UserNumbers();
        const feed = [
          ...periodDays.map((day, index) => ({ day, role: { kind: 'period' as const, index } })),
          ...Array.from({ length: look }, (_, index) => ({
            day: addDays(periodDays.at(-1)!, index + 1),
            role: { kind: 'lookahead' as const, index },
          })),
        ];
        for (const { day, role } of reversed ? feed.reverse() : feed) {
          const summary = decodeSummary(stored.get(day)!);
          merge.addDay(summary, role, users.of(summary));
        }

        expect(merge.missing.size).toBe(0);
        expect(merge.result(kpi.formula, scopeBy)).toEqual(evaluator.result());
      }
    },
  );
});

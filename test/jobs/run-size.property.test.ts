// A run record stays within DynamoDB's 400 KB item limit however much a run processed: a summary too large is cut
// (lists to their leading elements, what was cut counted under `leftOut`), and a detect run over any number of days
// keeps its counts and transitions, not every day's results.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { RangeSummary, SubjectResult } from '#shared/detection/detect.ts';
import { RECORDED_TRANSITIONS, rangeRunRecord } from '#shared/detection/detect.ts';
import { boundedSummary, recentRuns, recordRun, SUMMARY_MAX_BYTES } from '#shared/jobs/runs.ts';
import { itemBytes, MAX_ITEM_BYTES, valueBytes } from '#shared/store/item-size.ts';
import { addDays } from '#shared/time/calendar.ts';
import { freshStore } from '../support/dynamo.ts';

/** Text of `length` copies of `char` (ASCII, a 3-byte kanji or a 4-byte emoji): many bytes without generating them. */
const text = fc
  .tuple(fc.constantFrom('a', '日', '🚀'), fc.integer({ min: 0, max: 3000 }))
  .map(([char, length]) => char.repeat(length));

/** A summary with scalars and lists of up to thousands of elements, each up to a few KB. */
const summary = fc
  .tuple(
    fc.string({ maxLength: 20 }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), text), { minLength: 1, maxLength: 4 }),
    fc.integer(),
  )
  .map(([date, lists, count]) => {
    const out: Record<string, unknown> = { date, count };
    for (const [i, [length, element]] of lists.entries()) {
      out[`list${i}`] = Array.from({ length }, (_, k) => ({ k, element }));
    }
    return out;
  });

describe('a run record stays within DynamoDB limits', () => {
  test.prop([summary, fc.integer({ min: 1_000, max: SUMMARY_MAX_BYTES })], { numRuns: 80 })(
    'a bounded summary is never larger than its bound, keeps the leading elements and counts the rest',
    (raw, max) => {
      const bounded = boundedSummary(raw, max);

      expect(valueBytes(bounded)).toBeLessThanOrEqual(max);
      const leftOut = (bounded.leftOut ?? {}) as Record<string, number | 'omitted'>;
      for (const [name, value] of Object.entries(raw)) {
        const kept = bounded[name];
        if (leftOut[name] === 'omitted') expect(kept).toBeUndefined();
        else if (Array.isArray(value)) {
          expect(kept).toEqual(value.slice(0, (kept as unknown[]).length));
          expect((kept as unknown[]).length + ((leftOut[name] as number | undefined) ?? 0)).toBe(value.length);
        } else expect(kept).toEqual(value);
      }
    },
  );

  test.prop([summary], { numRuns: 6 })(
    'DynamoDB accepts the record of a run whatever its summary, and the run is recorded as done',
    async (raw) => {
      const { store } = await freshStore('run-size');
      const now = () => Date.parse('2026-11-24T01:00:00+08:00');

      const result = await recordRun(store, 'detect-anomalies', now, async () => raw, { manual: true });

      expect(result).toBe(raw);
      const [run] = await recentRuns(store, 'detect-anomalies');
      expect(run?.status).toBe('ok');
      expect(itemBytes({ pk: 'RUN#detect-anomalies', sk: run!.startedAt, ...run })).toBeLessThan(MAX_ITEM_BYTES);
    },
  );

  test.prop([fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 400 })], {
    numRuns: 60,
  })(
    "a detect run's record keeps its counts and at most 100 transitions of each kind, however many days and results",
    (dayCount, perDay, summaryLength) => {
      const range = rangeOf(dayCount, perDay, summaryLength);

      const record = rangeRunRecord(range);

      expect(valueBytes(record)).toBeLessThan(SUMMARY_MAX_BYTES);
      expect(boundedSummary(record)).toBe(record);
      expect(record).toMatchObject({ days: dayCount, enqueued: range.enqueued });
      expect(record.opened).toEqual(range.opened.slice(0, RECORDED_TRANSITIONS));
      const more = (record.more ?? {}) as Record<string, number>;
      expect((record.opened as unknown[]).length + (more.opened ?? 0)).toBe(range.opened.length);
      const counted = Object.values(record.results as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(counted).toBe(dayCount * perDay);
    },
  );
});

/** A range of `dayCount` days from 2025-01-01, `perDay` results a day, one incident opened a day and one resolved. */
function rangeOf(dayCount: number, perDay: number, summaryLength: number): RangeSummary {
  const days = Array.from({ length: dayCount }, (_, d) => {
    const date = addDays('2025-01-01', d);
    const results: SubjectResult[] = Array.from({ length: perDay }, (_, r) => ({
      incident: `rule:rule_${r}:*:deviation`,
      title: `KPI ${r}: unusual drop`,
      period: date,
      outcome: r === 0 ? 'anomalous' : 'normal',
      status: r === 0 ? 'open' : 'normal',
      ...(r === 0 ? { transition: 'opened' as const } : {}),
      summary: 'x'.repeat(summaryLength),
    }));
    return { date, judged: perDay, opened: [], escalated: [], resolved: [], open: [], enqueued: 1, results };
  });
  const transitions = days.map((d) => ({ incident: `rule:rule_0:*:deviation#${d.date}`, period: d.date }));
  return {
    from: '2025-01-01',
    to: addDays('2025-01-01', Math.max(0, dayCount - 1)),
    opened: transitions,
    escalated: [],
    resolved: transitions,
    open: ['rule:rule_0:*:deviation'],
    enqueued: dayCount,
    days,
  };
}

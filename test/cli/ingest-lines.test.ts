// What `nightshift ingest` prints about late events: a few days are listed, a long history's many days are summed up
// as their count, first and last, so the line stays one screen line however many days the events touched.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { dateList, ingestLines, LISTED_DATES } from '#cli/main.ts';
import type { IngestResult } from '#shared/events/ingest.ts';
import { addDays, dateRange } from '#shared/time/calendar.ts';

const result = (lateDays: string[]): IngestResult => ({
  accepted: 10,
  duplicates: 0,
  rejected: [],
  failed: [],
  lateDays,
});
const lateLine = (lines: string[]) => lines.find((l) => l.startsWith('late events'));

describe('ingest output: late days', () => {
  it('a long history: the count, the first and the last day', () => {
    const days = dateRange('2026-09-09', '2026-11-28');
    expect(days).toHaveLength(81);

    expect(lateLine(ingestLines(result(days)))).toBe(
      'late events for 81 days, 2026-09-09 … 2026-11-28: marked for recomputation',
    );
  });

  it('a few days are listed as they are', () => {
    expect(lateLine(ingestLines(result(['2026-11-20', '2026-11-22'])))).toBe(
      'late events for 2026-11-20, 2026-11-22: marked for recomputation',
    );
    expect(lateLine(ingestLines(result(dateRange('2026-11-20', '2026-11-24'))))).toBe(
      'late events for 2026-11-20, 2026-11-21, 2026-11-22, 2026-11-23, 2026-11-24: marked for recomputation',
    );
    expect(lateLine(ingestLines(result(dateRange('2026-11-20', '2026-11-25'))))).toBe(
      'late events for 6 days, 2026-11-20 … 2026-11-25: marked for recomputation',
    );
  });

  it('no late days, no line', () => {
    expect(lateLine(ingestLines(result([])))).toBeUndefined();
  });

  /** Sorted distinct days, up to a few years' worth, with gaps. */
  const days = fc
    .uniqueArray(fc.integer({ min: 0, max: 1200 }), { minLength: 1, maxLength: 400 })
    .map((offsets) => offsets.sort((a, b) => a - b).map((n) => addDays('2025-01-01', n)));

  test.prop([days])('any late days: all listed when few, else count, first and last; one short line', (late) => {
    const text = dateList(late);

    if (late.length <= LISTED_DATES) expect(text).toBe(late.join(', '));
    else expect(text).toBe(`${late.length} days, ${late[0]} … ${late.at(-1)}`);
    expect(text.length).toBeLessThanOrEqual(LISTED_DATES * 12);
  });
});

// The demo's scorecard headings: each names its granularity once ('week 48, 2026', not 'week week 48, 2026').
import { describe, expect, it } from 'vitest';
import { scorecardHeading } from '#cli/print.ts';

describe('scorecard heading', () => {
  it('names the granularity once for a day, a week and a month', () => {
    expect(scorecardHeading('day', '2026-11-29')).toBe('day 29 Nov');
    expect(scorecardHeading('week', '2026-W48')).toBe('week 48, 2026');
    expect(scorecardHeading('month', '2026-11')).toBe('month Nov 2026');
  });
});

import { describe, expect, it } from 'vitest';
import { notJudgedLines } from '#cli/main.ts';
import type { DetectSummary } from '#shared/detection/detect.ts';

const day = (date: string, results: DetectSummary['results']): DetectSummary => ({
  date,
  judged: 0,
  opened: [],
  escalated: [],
  resolved: [],
  open: [],
  enqueued: 0,
  results,
});

describe('detect text output', () => {
  it('says why rules said nothing: not rolled up, not ready (once, the latest period), already judged', () => {
    const notReady = (period: string, n: number) => ({
      incident: 'rule:signups:*:deviation',
      title: 'Sign-ups',
      period,
      outcome: 'normal' as const,
      summary: '',
      notes: [`deviation: not enough history yet (${n} earlier periods with a value, 14 needed)`],
    });
    const lines = notJudgedLines([
      day('2026-11-20', [notReady('2026-W46', 6)]),
      day('2026-11-21', [
        notReady('2026-W47', 7),
        { incident: 'rule:orders:*:deviation', title: 'Orders', outcome: 'already_judged', summary: '' },
      ]),
      day('2026-11-22', [
        {
          incident: 'rule:orders:*:deviation',
          title: 'Orders',
          period: '2026-11-22',
          outcome: 'not_rolled_up',
          summary: 'Orders: not rolled up for 2026-11-22',
        },
      ]),
    ]);
    expect(lines).toEqual([
      '2026-W47  not ready  rule:signups:*:deviation: deviation: not enough history yet (7 earlier periods with a value, 14 needed)',
      '2026-11-22  not judged rule:orders:*:deviation: Orders: not rolled up for 2026-11-22',
      '1 judgement skipped: already judged by an earlier run (incidents only move forward)',
    ]);
  });
});

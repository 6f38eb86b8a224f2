import { describe, expect, it } from 'vitest';
import { skippedAsCurrent } from '#cli/detect.ts';
import { detectLines, notJudgedLines } from '#cli/main.ts';
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
      day('2026-11-22', [
        {
          incident: 'rule:cancellations_up:*:change',
          title: 'Cancellation rate',
          period: '2026-11-22',
          outcome: 'not_judged',
          summary: 'Cancellation rate 28.7% not judged: Daily bookings 41 under 200',
        },
      ]),
    ]);
    expect(lines).toEqual([
      '2026-W47  not ready  rule:signups:*:deviation: deviation: not enough history yet (7 earlier periods with a value, 14 needed)',
      '2026-11-22  not judged rule:orders:*:deviation: Orders: not rolled up for 2026-11-22',
      '2026-11-22  not judged rule:cancellations_up:*:change: Cancellation rate 28.7% not judged: Daily bookings 41 under 200',
      '1 judgement skipped: already judged by an earlier run (incidents only move forward)',
    ]);
  });
});

describe('detect over a range', () => {
  const moved = (incident: string, period: string, transition: 'opened' | 'escalated' | 'resolved') => ({
    incident,
    title: incident,
    period,
    outcome: 'anomalous' as const,
    transition,
    summary: '',
  });
  const days = [
    day('2026-10-03', [moved('rule:a', '2026-10-03', 'opened')]),
    day('2026-10-05', [moved('rule:a', '2026-10-05', 'resolved'), moved('rule:b', '2026-10-05', 'opened')]),
    day('2026-10-06', [moved('rule:b', '2026-10-06', 'escalated')]),
    day('2026-10-07', [moved('rule:a', '2026-10-07', 'opened')]),
  ];
  const pick = (t: string) =>
    days.flatMap((d) =>
      d.results.filter((r) => r.transition === t).map((r) => ({ incident: r.incident, period: r.period! })),
    );
  const summary = {
    from: '2026-10-03',
    to: '2026-10-07',
    opened: pick('opened'),
    escalated: pick('escalated'),
    resolved: pick('resolved'),
    open: ['rule:a', 'rule:b'],
    enqueued: 5,
    days,
    unseenEvents: [],
    alertsSent: 5,
    outbox: '/tmp/outbox',
  };

  it('says why rules said nothing in the order of the periods it shows', () => {
    const notReady = (incident: string, period: string) => ({
      incident,
      title: incident,
      period,
      outcome: 'normal' as const,
      summary: '',
      notes: ['change: no complete previous day to compare with'],
    });
    const lines = notJudgedLines([
      day('2026-09-29', [notReady('rule:a', '2026-09-29'), notReady('rule:b', '2026-09-29')]),
      day('2026-09-30', [notReady('rule:a', '2026-09-30')]),
    ]);
    expect(lines).toEqual([
      '2026-09-29  not ready  rule:b: change: no complete previous day to compare with',
      '2026-09-30  not ready  rule:a: change: no complete previous day to compare with',
    ]);
  });

  it('prints the incidents opened, escalated and resolved in date order, as the backfill saw them happen', () => {
    expect(detectLines(summary)).toEqual([
      '2026-10-03  opened    rule:a',
      '2026-10-05  resolved  rule:a',
      '2026-10-05  opened    rule:b',
      '2026-10-06  escalated rule:b',
      '2026-10-07  opened    rule:a',
      '2 incidents open; 5 alert mails sent (copies in /tmp/outbox)',
    ]);
  });

  it('counts one incident and one mail in the singular', () => {
    const one = { ...summary, open: summary.open.slice(0, 1), alertsSent: 1 };

    expect(detectLines(one).at(-1)).toBe('1 incident open; 1 alert mail sent (copies in /tmp/outbox)');
    expect(detectLines({ ...one, alertsNotSent: 1 }).at(-1)).toBe('1 incident open; 1 alert mail not sent (--no-mail)');
  });
});

describe('detect --json for a day judged before', () => {
  it("moves a skipped subject's incident state under current, so it does not read as the asked day's result", () => {
    const latest = {
      incident: 'rule:conversion_floor:*:target_breach',
      title: 'Conversion rate',
      period: '2026-11-29',
      outcome: 'already_judged' as const,
      status: 'open' as const,
      summary: 'Conversion rate 1.18% below alarm floor 2.00%',
    };
    const judged = {
      ...latest,
      incident: 'rule:signups:*:deviation',
      outcome: 'normal' as const,
      period: '2026-11-20',
    };

    const [skipped, fresh] = skippedAsCurrent(day('2026-11-20', [latest, judged])).results;

    expect(skipped).toEqual({
      incident: 'rule:conversion_floor:*:target_breach',
      title: 'Conversion rate',
      outcome: 'already_judged',
      summary:
        "not judged again: already judged by an earlier run (through 2026-11-29); current is the incident's state now, not 2026-11-20's result",
      current: { period: '2026-11-29', status: 'open', summary: 'Conversion rate 1.18% below alarm floor 2.00%' },
    });
    expect(fresh).toEqual(judged);
  });
});

// The month and week the data begins in, in `nightshift kpis` and the printed scorecards (a new user's trial, data
// from 20 Apr: April's "New subscriptions 171 missed" against 30 x 12, a per-day target counting the 19 days before the
// data began). Such a period is shown with its values and targets, not judged, as its report already shows it; the
// next whole period is judged as before. Ingested and rolled up on the test run's DynamoDB Local.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import { periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  addDays,
  dateRange,
  type Granularity,
  type LocalDate,
  periodBounds,
  periodOf,
  zonedInstant,
} from '#shared/time/calendar.ts';
import type { CommandContext } from '../../cli/context.ts';
import { kpiRows } from '../../cli/kpis.ts';
import { scorecardLines } from '../../cli/print.ts';
import { closedOnSundays } from '../support/closed-business.ts';
import { freshStore } from '../support/dynamo.ts';

const TZ = 'Asia/Tokyo';

/** `orders` orders and 2 sign-ups by new users on `day`, a minute apart from `from` (HH:MM local). */
function day(date: LocalDate, from: string, orders: number) {
  const start = zonedInstant(date, from, TZ);
  const events = [...Array(orders).fill('Order Completed'), 'Signed Up', 'Signed Up'] as string[];
  return events.map((event, i) => {
    const id = `${date}-${i}`;
    const timestamp = new Date(start + i * 60_000).toISOString();
    return { id, body: JSON.stringify({ messageId: id, event, userId: `u-${id}`, timestamp }) };
  });
}

/**
 * Orders >= 3 a day and sign-ups >= 2 a day, by day, week and month; the data begins at `from` on `first`, then comes
 * every day at 00:10 through `last`, with `orders(day)` orders a day. Rolled up the morning after `last`.
 */
async function history(first: LocalDate, from: string, last: LocalDate, orders: (d: LocalDate) => number) {
  const config: NightshiftConfig = closedOnSundays({ holidays: [], timeZone: TZ });
  const { store } = await freshStore('partial-period');
  const messages = [
    ...day(first, from, orders(first)),
    ...dateRange(addDays(first, 1), last).flatMap((d) => day(d, '00:10', orders(d))),
  ];
  const now = () => zonedInstant(addDays(last, 1), '09:00', TZ);
  await ingestMessages(messages, { store, config, now: () => zonedInstant(last, '23:59', TZ) });
  await rollupPeriods(periodsForDays(dateRange(first, last), config), last, { store, config, now });
  return { store, config, ctx: { store, config, now } as unknown as CommandContext };
}

async function storedOrders(store: StateStore, g: Granularity, period: string) {
  const [v] = await readKpiValues(store, 'orders', g, period, period);
  return v!;
}

describe('nightshift kpis: the month the data begins in', () => {
  // 4 orders a day from Monday 20 Apr (11 days: 44 against 30 x 3 = 90), 2 a day in May (62 against 93). Read only
  // by the tests, so made once.
  let made: ReturnType<typeof history> | undefined;
  const trial = () => {
    made ??= history('2026-04-20', '00:10', '2026-05-31', (d) => (d < '2026-05-01' ? 4 : 2));
    return made;
  };

  it('is not missed against a whole month: shown with its target, partial, from when the data begins', async () => {
    const { ctx } = await trial();

    const rows = await kpiRows(ctx, ['orders'], 'month', '2026-04-01', '2026-04-30');

    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      period: '2026-04',
      value: 44,
      formatted: '44',
      status: 'partial',
      attainment: null,
      target: { min: 90 },
      dataFrom: new Date(zonedInstant('2026-04-20', '00:10', TZ)).toISOString(),
      reason: 'partial month (data from 20 Apr 00:10): targets are not judged',
    });
  });

  it('the next whole month is judged as before', async () => {
    const { ctx, store } = await trial();

    const rows = await kpiRows(ctx, ['orders', 'new_users'], 'month', '2026-05-01', '2026-05-31');

    expect(rows.map((r) => [r.kpi, r.value, r.status, r.target])).toEqual([
      ['orders', 62, 'missed', { min: 93 }],
      ['new_users', 62, 'met', { min: 62 }],
    ]);
    const stored = await storedOrders(store, 'month', '2026-05');
    expect(rows[0]!.attainment).toBe(stored.attainment);
    expect(rows[0]!.attainment).toBeCloseTo(62 / 93, 12);
  });

  it("the printed scorecard names the partial month, judges no KPI of it, and scores May's as before", async () => {
    const { ctx } = await trial();

    const month = (lines: string[]) => lines.slice(lines.findIndex((l) => l.startsWith('\nmonth'))).join('\n');
    const april = month(await scorecardLines(ctx, '2026-04-30'));
    const may = month(await scorecardLines(ctx, '2026-05-31'));

    expect(april).toMatch(/^\nmonth Apr 2026: partial month \(data from 20 Apr 00:10\), targets not judged\n/);
    expect(april).toMatch(/\n {2}Orders +44 {2}>= 90 +not judged\n/);
    expect(april).not.toMatch(/MISSED|score/);
    expect(may).toMatch(/^\nmonth May 2026: score 83.3 - 0 outstanding, 1 met, 1 missed, 0 without value\n/);
    expect(may).toMatch(/\n {2}Orders +62 {2}>= 93 +MISSED\n/);
  });
});

describe('nightshift kpis: a period is judged unless the data begins during it, after its first hour', () => {
  const start = fc.record({
    dayOfMonth: fc.integer({ min: 1, max: 28 }),
    minute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
  });

  test.prop([start], { numRuns: 8 })('whatever the day and time the data begins', async ({ dayOfMonth, minute }) => {
    const first = `2026-03-${String(dayOfMonth).padStart(2, '0')}`;
    const from = `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
    // 1 order on the first day, against >= 3: judged, it is missed.
    const { ctx, store } = await history(first, from, addDays(first, 1), () => 1);

    for (const g of ['day', 'week', 'month'] as const) {
      const period = periodOf(first, g);
      const [row] = await kpiRows(ctx, ['orders'], g, first, first);
      const whole = periodBounds(period).first === first && minute < 60;
      if (whole) {
        const stored = await storedOrders(store, g, period);
        expect(row).toMatchObject({ status: stored.status, attainment: stored.attainment });
        expect(row!.status).toBe('missed');
      } else {
        expect(row).toMatchObject({ status: 'partial', attainment: null });
        expect(row!.reason).toMatch(new RegExp(`^partial ${g} \\(data from `));
      }
    }
  });
});

// A new user's business closed on Sundays and holidays (a parts distributor, from a trial): orders and sign-ups with
// per-day targets, events from Monday 26 Oct 2026 on every day it opens, none on Sundays nor on its holiday,
// Wednesday 18 Nov. Ingested and rolled up on the test run's DynamoDB Local, as the nightly jobs would.
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import type { StateStore } from '#shared/store/store.ts';
import { dateRange, isoWeekday, type LocalDate, zonedInstant } from '#shared/time/calendar.ts';
import { exampleConfig } from './config.ts';

export const FIRST_DAY = '2026-10-26';
export const HOLIDAY = '2026-11-18';
/** Sunday of ISO week 2026-W47 (Mon 16 .. Sun 22 Nov). */
export const LAST_SUNDAY = '2026-11-22';
const TZ = 'Asia/Shanghai';

/** Orders >= 3 a day and sign-ups >= 2 a day, half the score each; orders below target is an incident. */
export function closedOnSundays(fields: Record<string, unknown> = {}): NightshiftConfig {
  const base = exampleConfig() as unknown as Record<string, unknown>;
  return validateConfig(
    {
      ...base,
      kpis: [
        {
          id: 'orders',
          name: 'Orders',
          formula: 'count("Order Completed")',
          target: { min: 3, per: 'day' },
          weight: 0.5,
        },
        {
          id: 'new_users',
          name: 'New users',
          formula: 'distinct(userId of "Signed Up")',
          target: { min: 2, per: 'day' },
          weight: 0.5,
        },
      ],
      responsePlans: (base.responsePlans as Array<Record<string, unknown>>).map((p) => ({ ...p, kpis: [] })),
      alerts: { rules: [{ id: 'orders_floor', kpi: 'orders', all: [{ breach: 'target' }], plan: 'outage' }] },
      holidays: [HOLIDAY],
      ...fields,
    },
    'closed on Sundays',
  );
}

/** Each open day: 4 orders and 2 sign-ups by new users, at 10:00-10:05 local time. Nothing on the `closed` days. */
export async function ingestOpenDays(
  store: StateStore,
  config: NightshiftConfig,
  from: LocalDate,
  to: LocalDate,
  closed: (day: LocalDate) => boolean,
): Promise<void> {
  const messages = dateRange(from, to)
    .filter((day) => !closed(day))
    .flatMap((day) =>
      ['Order Completed', 'Order Completed', 'Order Completed', 'Order Completed', 'Signed Up', 'Signed Up'].map(
        (event, i) => {
          const id = `${day}-${i}`;
          const timestamp = new Date(zonedInstant(day, `10:0${i}`, TZ)).toISOString();
          return { id, body: JSON.stringify({ messageId: id, event, userId: `u-${id}`, timestamp }) };
        },
      ),
    );
  await ingestMessages(messages, { store, config, now: () => zonedInstant(to, '23:59', TZ) });
}

/** Sundays and the holiday: the days the business is closed. */
export const sundaysAndHoliday = (day: LocalDate) => isoWeekday(day) === 7 || day === HOLIDAY;

/** Rolls up every day, week and month from FIRST_DAY to `to`, at 01:00 the night after `to`. */
export async function rollUpThrough(store: StateStore, config: NightshiftConfig, to: LocalDate): Promise<void> {
  const days = dateRange(FIRST_DAY, to);
  const now = () => zonedInstant(to, '23:59', TZ) + 3_660_000;
  await rollupPeriods(periodsForDays(days, config), to, { store, config, now });
}

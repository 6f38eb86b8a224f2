// Reports of the day the data begins in (a new-user trial: the first event at 10:42 on 1 Sep read "score 72, 3 KPIs
// missed", revenue "43% of target", while detection knew the day was partial and left it out). Such a day is shown as
// a closed one is: its figures, no target judged, and why. Ingested and rolled up on the test run's DynamoDB Local.
import { describe, expect, it } from 'vitest';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { renderReport } from '#shared/email/render.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import { loadReportModel } from '#shared/reporting/load.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dateRange, type LocalDate, zonedInstant } from '#shared/time/calendar.ts';
import { closedOnSundays } from '../support/closed-business.ts';
import { freshStore } from '../support/dynamo.ts';
import { visibleText } from './fixtures.ts';

const TZ = 'Asia/Shanghai';
/** A Tuesday: the first day of data. */
const FIRST = '2026-11-03';
const LAST = '2026-11-10';

/** Per day: `orders` orders and `signUps` sign-ups by new users, a minute apart from `from` (HH:MM local). */
function day(date: LocalDate, from: string, orders: number, signUps: number) {
  const start = zonedInstant(date, from, TZ);
  const events = [...Array(orders).fill('Order Completed'), ...Array(signUps).fill('Signed Up')] as string[];
  return events.map((event, i) => {
    const id = `${date}-${i}`;
    const timestamp = new Date(start + i * 60_000).toISOString();
    return { id, body: JSON.stringify({ messageId: id, event, userId: `u-${id}`, timestamp }) };
  });
}

/** Orders >= 3 and sign-ups >= 2 a day; the data begins at `firstEventAt` on FIRST with 1 order and 1 sign-up. */
async function firstWeek(firstEventAt: string) {
  const config = closedOnSundays({ holidays: [] });
  const { store } = await freshStore('partial-day');
  const messages = [
    ...day(FIRST, firstEventAt, 1, 1),
    ...dateRange(addDays(FIRST, 1), LAST).flatMap((d) => day(d, '00:10', 4, 2)),
  ];
  await ingestMessages(messages, { store, config, now: () => zonedInstant(LAST, '23:59', TZ) });
  const now = () => zonedInstant(addDays(LAST, 1), '01:00', TZ);
  await rollupPeriods(periodsForDays(dateRange(FIRST, LAST), config), LAST, { store, config, now });
  return { store, config };
}

async function report(store: StateStore, config: NightshiftConfig, id: string, period: string) {
  const r = config.reports.find((x) => x.id === id)!;
  const person = config.people.find((p) => p.id === 'ops_director')!;
  const now = () => zonedInstant(addDays(LAST, 1), '09:00', TZ);
  const model = await loadReportModel(r, period, person, { store, config, now });
  const out = renderReport(model);
  return { model, out, html: visibleText(out.html) };
}

describe('the daily report of the day the data begins in', () => {
  it('says the day is partial, from when the data begins, and counts no KPI as missed', async () => {
    const { store, config } = await firstWeek('10:42');

    const { model, out, html } = await report(store, config, 'daily', FIRST);

    expect(out.subject).toMatch(/^Daily report 3 Nov: partial day \(data from 10:42\)(,|$)/);
    const why =
      'Partial day: the data begins at 10:42 on Tuesday 3 Nov, so its figures count only a part of it; targets are not judged.';
    expect(out.text).toContain(`Weighted score: — (partial day)\n${why}\n`);
    expect(out.text).toContain('* Orders: 1 — Partial day (target ≥ 3, weight 50%)\n');
    expect(html).toContain(why);
    expect(model.scorecard).toMatchObject({ score: null, missed: 0, closed: 2 });
    expect(`${out.subject}\n${out.text}\n${html}`).not.toMatch(/missed|of target/i);
  });

  it('the next day is scored as ever, and not compared with the partial one', async () => {
    const { store, config } = await firstWeek('10:42');

    const { out } = await report(store, config, 'daily', addDays(FIRST, 1));

    expect(out.subject).toMatch(/^Daily report 4 Nov: score 100, all KPIs on target/);
    expect(out.text).toContain('* Orders: 4 — ★ Outstanding (target ≥ 3, 133% of target, weight 50%)\n  – vs 3 Nov');
  });

  it('data that begins in the first hour covers its day: that day is judged', async () => {
    const { store, config } = await firstWeek('00:20');

    const { out } = await report(store, config, 'daily', FIRST);

    expect(out.subject).toMatch(/^Daily report 3 Nov: score 42, 2 KPIs missed/);
  });

  it('the week the data begins in is partial too, as detection judges it', async () => {
    const { store, config } = await firstWeek('10:42');

    const { out } = await report(store, config, 'weekly', '2026-W45');

    expect(out.subject).toMatch(/^Weekly report week 45, 2026: partial week \(data from 3 Nov 10:42\)(,|$)/);
    expect(out.text).toContain('Partial week: the data begins at 10:42 on Tuesday 3 Nov');
  });
});

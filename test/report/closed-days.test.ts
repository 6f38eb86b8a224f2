// Reports of a business closed on Sundays and holidays (a new-user trial's parts distributor): the daily report of a
// closed day says it was closed instead of "score 0, 2 KPIs missed", and a weekly per-day target says the open days it
// counts. Rolled up from real events on the test run's DynamoDB Local.
import { describe, expect, it } from 'vitest';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { renderReport } from '#shared/email/render.ts';
import { loadReportModel } from '#shared/reporting/load.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, zonedInstant } from '#shared/time/calendar.ts';
import {
  closedOnSundays,
  FIRST_DAY,
  HOLIDAY,
  ingestOpenDays,
  LAST_SUNDAY,
  rollUpThrough,
  sundaysAndHoliday,
} from '../support/closed-business.ts';
import { freshStore } from '../support/dynamo.ts';
import { visibleText } from './fixtures.ts';

async function closedBusiness() {
  const config = closedOnSundays();
  const { store } = await freshStore('closed-report');
  await ingestOpenDays(store, config, FIRST_DAY, LAST_SUNDAY, sundaysAndHoliday);
  await rollUpThrough(store, config, LAST_SUNDAY);
  return { store, config };
}

async function report(store: StateStore, config: NightshiftConfig, id: string, period: string) {
  const r = config.reports.find((x) => x.id === id)!;
  const person = config.people.find((p) => p.id === 'ops_director')!;
  const now = () => zonedInstant(addDays(LAST_SUNDAY, 1), '09:00', config.timeZone);
  const model = await loadReportModel(r, period, person, { store, config, now });
  const out = renderReport(model);
  return { model, out, html: visibleText(out.html) };
}

describe('the daily report of a day the business was closed', () => {
  it('on a Sunday it keeps closed: "closed", not "score 0, 2 KPIs missed"', async () => {
    const { store, config } = await closedBusiness();

    const { out, html } = await report(store, config, 'daily', LAST_SUNDAY);

    expect(out.subject).toMatch(/^Daily report 22 Nov: closed(,|$)/);
    const why = 'Closed on Sunday 22 Nov: no events, as on most Sundays; targets are not judged.';
    expect(out.text).toContain(`Weighted score: — (closed)\n${why}\n`);
    expect(out.text).toContain('* Orders: 0 — Closed (target ≥ 3, weight 50%)\n');
    expect(html).toContain(why);
    expect(`${out.subject}\n${out.text}\n${html}`).not.toMatch(/missed|without data/i);
  });

  it('on a holiday: the subject and the scorecard say it was closed for it', async () => {
    const { store, config } = await closedBusiness();

    const { out } = await report(store, config, 'daily', HOLIDAY);

    expect(out.subject).toMatch(/^Daily report 18 Nov \(holiday\): closed(,|$)/);
    expect(out.text).toContain('Closed on Wednesday 18 Nov, a holiday: targets are not judged.\n');
    expect(out.text).toContain('* New users: 0 — Closed (target ≥ 2, weight 50%)\n');
  });

  it('an open day before it is scored as ever', async () => {
    const { store, config } = await closedBusiness();

    const { out } = await report(store, config, 'daily', addDays(LAST_SUNDAY, -1));

    expect(out.subject).toMatch(/^Daily report 21 Nov: score 100, all KPIs on target/);
    expect(out.text).toContain('* Orders: 4 — ★ Outstanding (target ≥ 3, 133% of target');
  });
});

describe('the weekly report of a week with closed days', () => {
  it('holds a per-day target against the open days, and says so', async () => {
    const { store, config } = await closedBusiness();

    const { out, html } = await report(store, config, 'weekly', '2026-W47');

    expect(out.subject).toMatch(/^Weekly report week 47, 2026: score 100, all KPIs on target/);
    expect(out.text).toContain('* Orders: 20 — ★ Outstanding (target ≥ 15 for 5 open days of 7, 133% of target');
    expect(html).toContain('Target ≥ 15 for 5 open days of 7 · 133% of target');
  });
});

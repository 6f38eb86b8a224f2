// A KPI with no value shows why, where the stored data tells: no events at all for the period, or the inputs of its
// formula that had nothing (visitors 0 for a conversion rate), in the mail's HTML and its text part alike.
import { describe, expect, it } from 'vitest';
import { renderReport } from '#shared/email/render.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { rollupPeriods } from '#shared/kpi/rollup.ts';
import { loadReportModel, noValueReason } from '#shared/reporting/load.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { visibleText } from './fixtures.ts';

const NOW = () => Date.parse('2026-11-23T06:00:00+08:00');
const DAY = '2026-11-22';

async function dailyReport(events: Array<{ event: string; properties?: Record<string, unknown> }>) {
  const { store } = await freshStore('no-data');
  const config = exampleConfig();
  const messages = events.map((e, i) => ({
    id: `m${i}`,
    body: JSON.stringify({ messageId: `nd${i}`, userId: `u${i}`, timestamp: `${DAY}T00:10:00+08:00`, ...e }),
  }));
  await ingestMessages(messages, { store, config, now: NOW });
  await rollupPeriods([DAY], DAY, { store, config, now: NOW });
  const report = config.reports.find((r) => r.id === 'daily')!;
  const person = config.people.find((p) => p.id === 'ops_director')!;
  return loadReportModel(report, DAY, person, { store, config, now: NOW });
}

describe('a KPI with no data says why', () => {
  it('a conversion rate with no visitors names the input that had nothing, in the HTML and the text', async () => {
    const model = await dailyReport([
      { event: 'Signed Up' },
      { event: 'Order Completed', properties: { revenue: 10, profit: 2, department: 'market' } },
    ]);

    const conversion = model.kpis.find((k) => k.id === 'conversion_rate')!;
    const out = renderReport(model);

    expect(conversion.status).toBe('no_value');
    expect(conversion.noValueReason).toBe(
      `Nothing to compute it from: distinct(userId of "Page Viewed") was 0; none of the period's 2 stored events is one it reads.`,
    );
    expect(visibleText(out.html)).toContain('distinct(userId of "Page Viewed") was 0; none of the period');
    expect(out.text).toContain('  Nothing to compute it from: distinct(userId of "Page Viewed") was 0');
  });

  it('a day with no events at all says so for each KPI with no value', async () => {
    const model = await dailyReport([]);

    const empty = model.kpis.filter((k) => k.status === 'no_value');

    expect(empty.length).toBeGreaterThan(0);
    for (const k of empty) {
      expect(k.noValueReason).toBe('No events were stored for this period, so there was nothing to compute it from.');
    }
  });

  it('a day with no events at all is no data for every KPI, a count or sum of nothing not "0, missed"', async () => {
    const model = await dailyReport([]);
    const out = renderReport(model);

    // Next-day retention waits for the next day as ever; every other KPI has no data.
    const known = model.kpis.filter((k) => k.status !== 'pending');
    expect(known.map((k) => [k.id, k.status, k.value])).toEqual(known.map((k) => [k.id, 'no_value', null]));
    expect(model.scorecard).toMatchObject({ score: null, missed: 0, noValue: known.length });
    expect(out.subject).toMatch(/^Daily report 22 Nov: \d+ KPIs without data/);
    expect(out.text).toContain(
      '* Daily new users: — — No data (target ≥ 500, weight 20%)\n  No events were stored for this period',
    );
    expect(out.text).not.toMatch(/Missed/);
  });

  it('the reason lists every input that had nothing, an average of no events as "had no value"', () => {
    expect(noValueReason(1234, { 'count("A")': 0, 'avg("B".x)': null, 'count("C")': 4 })).toBe(
      `Nothing to compute it from: count("A") was 0 and avg("B".x) had no value; none of the period's 1,234 stored events is one they read.`,
    );
  });
});

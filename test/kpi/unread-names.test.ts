// A formula that names an event or a property the data never had (a typo) reads as no events: a refund rate of
// count("Refund Isued") / count("Order Completed") was 0% and "met" every day, in reports and scorecards alike. Such a
// value is no data, with why; a rare event that did occur on some day still reads 0 on a quiet day, and is judged.
// On the test run's DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { evaluateRule } from '#shared/detection/rules.ts';
import { renderReport } from '#shared/email/render.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { readKpiValues, readScorecards } from '#shared/kpi/kpi-store.ts';
import { rollupRange } from '#shared/kpi/rollup.ts';
import { unreadNoteLines } from '#shared/kpi/unread-names.ts';
import { loadReportModel } from '#shared/reporting/load.ts';
import type { StateStore } from '#shared/store/store.ts';
import { dateRange } from '#shared/time/calendar.ts';
import type { CommandContext } from '../../cli/context.ts';
import { kpiRows } from '../../cli/kpis.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const FIRST = '2026-11-10';
const LAST = '2026-11-19';
const NOW = () => Date.parse('2026-11-20T09:00:00+08:00');
/** The only day with a refund. */
const REFUND_DAY = '2026-11-12';

function shopConfig(): NightshiftConfig {
  const base = exampleConfig();
  const kpi = (id: string, formula: string, target: Record<string, unknown>, weight?: string) => ({
    id,
    name: id,
    formula,
    target,
    granularities: ['day', 'week'],
    ...(weight ? { weight } : {}),
  });
  return validateConfig(
    {
      ...(base as unknown as Record<string, unknown>),
      kpis: [
        kpi('orders', 'count("Order Completed")', { min: 5, per: 'day' }, '50%'),
        kpi('refund_rate', 'count("Refund Isued") / count("Order Completed")', { max: 0.02 }, '50%'),
        kpi('real_refund_rate', 'count("Refund Issued") / count("Order Completed")', { max: 0.02 }),
        kpi('revenue', 'sum("Order Completed".revnue)', { min: 100, per: 'day' }),
      ],
      alerts: {
        rules: [{ id: 'refunds_up', kpi: 'refund_rate', all: [{ deviation: { direction: 'up' } }] }],
      },
      responsePlans: [],
      reports: [
        { id: 'daily', title: 'Daily report', schedule: { every: 'day', at: '05:00' }, recipients: ['ops_director'] },
      ],
      checks: {},
    },
    'test config',
  );
}

async function ingestShop(store: StateStore, config: NightshiftConfig): Promise<void> {
  const events: Record<string, unknown>[] = [];
  for (const day of dateRange(FIRST, LAST)) {
    for (let i = 0; i < 10; i++) {
      events.push({
        messageId: `${day}-o${i}`,
        event: 'Order Completed',
        userId: `u${i}`,
        timestamp: `${day}T10:0${i}:00+08:00`,
        properties: { revenue: 20 },
      });
    }
  }
  events.push({ messageId: 'refund', event: 'Refund Issued', userId: 'u1', timestamp: `${REFUND_DAY}T12:00:00+08:00` });
  const r = await ingestMessages(
    events.map((e, i) => ({ id: `m${i}`, body: JSON.stringify(e) })),
    { store, config, now: NOW },
  );
  expect(r.failed).toEqual([]);
}

describe('a KPI whose formula names an event or property the data never had', () => {
  const config = shopConfig();
  let store: StateStore;
  beforeAll(async () => {
    ({ store } = await freshStore('unread-names'));
    await ingestShop(store, config);
    await rollupRange({ from: FIRST, to: LAST }, { store, config, now: NOW });
  });

  it('is stored as no data with the name it most likely meant, neither met nor missed in the scorecard', async () => {
    const [value] = await readKpiValues(store, 'refund_rate', 'day', LAST, LAST);
    const [card] = await readScorecards(store, 'day', LAST, LAST);

    expect(value).toMatchObject({
      value: null,
      status: 'no_value',
      attainment: null,
      unread: [{ kind: 'event', event: 'Refund Isued', suggestion: 'Refund Issued', days: 10 }],
    });
    expect(card?.kpis.refund_rate).toBe('no_value');
    expect(card).toMatchObject({ unscored: ['refund_rate'], missed: 0 });
  });

  it('a rare event that did occur on another day reads 0 on a quiet day, and is judged', async () => {
    const quiet = await readKpiValues(store, 'real_refund_rate', 'day', LAST, LAST);
    const refundDay = await readKpiValues(store, 'real_refund_rate', 'day', REFUND_DAY, REFUND_DAY);

    expect(quiet[0]).toMatchObject({ value: 0, status: 'outstanding' });
    expect(quiet[0]?.unread).toBeUndefined();
    expect(refundDay[0]).toMatchObject({ value: 0.1, status: 'missed' });
  });

  it('a misspelt property reads no data, not a sum of 0 that missed its target', async () => {
    const [value] = await readKpiValues(store, 'revenue', 'week', '2026-W47', '2026-W47');

    expect(value).toMatchObject({
      value: null,
      status: 'no_value',
      unread: [{ kind: 'property', event: 'Order Completed', property: 'revnue', suggestion: 'revenue' }],
    });
  });

  it('nightshift kpis says no data and why', async () => {
    const ctx = { store, config, now: NOW } as unknown as CommandContext;

    const rows = await kpiRows(ctx, ['refund_rate', 'revenue'], 'day', LAST, LAST);

    expect(rows.map((r) => [r.kpi, r.formatted, r.status, r.reason])).toEqual([
      [
        'refund_rate',
        'no data',
        'no_value',
        'no "Refund Isued" event on any of the 10 days counted; did you mean "Refund Issued"?',
      ],
      [
        'revenue',
        'no data',
        'no_value',
        'no "Order Completed" event had the property revnue on any of the 10 days counted; did you mean revenue?',
      ],
    ]);
  });

  it('the daily report shows it as no data with the reason, and does not score it met', async () => {
    const report = config.reports[0]!;
    const person = config.people.find((p) => p.id === 'ops_director')!;

    const model = await loadReportModel(report, LAST, person, { store, config, now: NOW });
    const out = renderReport(model);

    const refund = model.kpis.find((k) => k.id === 'refund_rate')!;
    expect(refund).toMatchObject({ status: 'no_value', value: null });
    expect(refund.noValueReason).toBe(
      'No "Refund Isued" event on any of the 10 days counted; did you mean "Refund Issued"?',
    );
    expect(model.scorecard).toMatchObject({ met: 0, missed: 0, noValue: 2 });
    expect(out.text).toContain('No "Refund Isued" event on any of the 10 days counted; did you mean "Refund Issued"?');
  });

  it('an alert rule does not judge it: no value, not a deviation of 0', async () => {
    const judged = await evaluateRule(config.alerts.rules[0]!, LAST, { store, config });

    expect(judged.outcome).toBe('no_value');
  });

  it('a rollup of the last day alone still knows the name was never seen, from the days counted before', async () => {
    const summary = await rollupRange({ from: LAST, to: LAST }, { store, config, now: NOW });

    const [typo] = await readKpiValues(store, 'refund_rate', 'day', LAST, LAST);
    const [real] = await readKpiValues(store, 'real_refund_rate', 'day', LAST, LAST);

    expect(typo).toMatchObject({ status: 'no_value', unread: [{ event: 'Refund Isued' }] });
    expect(real).toMatchObject({ value: 0, status: 'outstanding' });
    // The day read had no look-alike, so the rollup's own notes are silent on it: the days counted before say it.
    expect(summary.eventNotes).toEqual([]);
    expect(unreadNoteLines(summary.unread, summary.eventNotes, summary.propertyNotes)).toEqual([
      'note: KPI refund_rate: no "Refund Isued" event on any of the 10 days counted; did you mean "Refund Issued"?; stored as no data, not judged',
    ]);
  });
});

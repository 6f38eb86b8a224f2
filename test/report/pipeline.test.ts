// The report's pipeline figures and pending values, from events ingested and rolled up for real (DynamoDB Local):
// the figures are the report's own business day, counted from what is stored, the same after kill -9 and a re-run.
import { describe, expect, it } from 'vitest';
import { renderReport } from '#shared/email/render.ts';
import { type IncomingMessage, type IngestResult, ingestMessages } from '#shared/events/ingest.ts';
import { periodsForDays, rollupPeriods } from '#shared/kpi/rollup.ts';
import { loadReportModel } from '#shared/reporting/load.ts';
import type { StateStore } from '#shared/store/store.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { killedAfter } from '../support/killable.ts';

const config = exampleConfig(); // Asia/Shanghai
const at = (date: string, time: string) => Date.parse(`${date}T${time}+08:00`);
const DAY = '2026-11-22';
const daily = config.reports.find((r) => r.id === 'daily')!;
const director = config.people.find((p) => p.id === 'ops_director')!;

/** An export of 22 Nov written at 23:30: 240 events, 12 of them again further down, and 7 bad lines (6 distinct). */
function exportOfTheDay(): IncomingMessage[] {
  const names = ['Page Viewed', 'Page Viewed', 'Signed Up', 'Order Completed', 'Marketing Spend', 'Survey Answered'];
  const events = Array.from({ length: 240 }, (_, i) =>
    JSON.stringify({
      messageId: `e-${i}`,
      event: names[i % names.length],
      userId: `u_${i % 60}`,
      // From 00:00: the data covers the day whole (a first day whose data begins later is partial, not scored).
      timestamp: `${DAY}T${String(i % 14).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00+08:00`,
      properties: { revenue: 100, profit: 20, amount: 50, score: i % 11, department: 'market' },
    }),
  );
  const bad = [
    'not json',
    '{"messageId":"no-time","event":"Page Viewed"}',
    `{"messageId":"inf","event":"Order Completed","timestamp":"${DAY}T10:00:00+08:00","properties":{"revenue":1e999}}`,
    `{"messageId":"deep","event":"Page Viewed","timestamp":"${DAY}T10:00:00+08:00","properties":{"x":${'['.repeat(40)}${']'.repeat(40)}}}`,
    `{"messageId":"later","event":"Page Viewed","timestamp":"9999-12-31T23:00:00Z"}`,
    '[1,2]',
    'not json',
  ];
  const bodies = [...events];
  for (let k = 0; k < 12; k++) bodies.push(events[k * 20]!);
  for (const [k, line] of bad.entries()) bodies.splice(k * 37 + 5, 0, line);
  const written = at(DAY, '23:30');
  return bodies.map((body, i) => ({ id: `export.jsonl:${i + 1}`, body, sentAt: written }));
}

/** `nightshift ingest export.jsonl`: batches of 50, duplicates counted across them. */
async function ingestFile(store: StateStore, lines: IncomingMessage[], now: number) {
  const seen = new Map<string, string>();
  const results: IngestResult[] = [];
  for (let i = 0; i < lines.length; i += 50) {
    results.push(await ingestMessages(lines.slice(i, i + 50), { store, config, now: () => now, seen }));
  }
  return {
    accepted: results.reduce((n, r) => n + r.accepted, 0),
    duplicates: results.reduce((n, r) => n + r.duplicates, 0),
    rejected: results.reduce((n, r) => n + r.rejected.length, 0),
    failed: results.reduce((n, r) => n + r.failed.length, 0),
  };
}

async function nightAndReport(store: StateStore) {
  await rollupPeriods(periodsForDays([DAY], config), DAY, { store, config, now: () => at('2026-11-23', '00:30') });
  return loadReportModel(daily, DAY, director, { store, config, now: () => at('2026-11-23', '05:00') });
}

describe('daily report pipeline figures', () => {
  it("show the report's own business day: events that arrived after midnight count for the day they happened", async () => {
    const { store } = await freshStore('pipeline');
    await ingestFile(store, exportOfTheDay(), at('2026-11-23', '00:10'));

    const model = await nightAndReport(store);

    expect(model.pipeline).toMatchObject({
      stored: 240,
      rejected: 6,
      rejectReasons: { not_json: 1, missing_timestamp: 1, unstorable_number: 1, too_deep: 1, future_timestamp: 1 },
    });
    expect(renderReport(model).text).toContain('Events stored: 240 · quarantined: 6 (2.4%)');
  });

  it('are the same after kill -9 and a re-run as after a clean run, wherever the kill falls', async () => {
    const lines = exportOfTheDay();
    const clean = (await freshStore('clean')).store;
    const cleanRun = await ingestFile(clean, lines, at('2026-11-23', '00:10'));
    const cleanModel = await nightAndReport(clean);
    expect(cleanRun).toEqual({ accepted: 240, duplicates: 12, rejected: 7, failed: 0 });

    for (const [writes, applyLast] of [
      [0, false],
      [1, true],
      [4, false],
      [9, true],
      [13, true],
    ] as const) {
      const crashed = (await freshStore('crash')).store;
      const k = killedAfter(crashed, writes, applyLast);
      await Promise.race([ingestFile(k.store, lines, at('2026-11-23', '00:10')), k.killed]);
      const rerun = await ingestFile(crashed, lines, at('2026-11-23', '00:20'));
      const model = await nightAndReport(crashed);

      expect(rerun).toEqual(cleanRun);
      expect(model.pipeline).toEqual(cleanModel.pipeline);
    }
  });

  it('say "not counted yet" rather than zero before the rollup has read the day', async () => {
    const { store } = await freshStore('pipeline');
    await ingestFile(store, exportOfTheDay(), at('2026-11-23', '00:10'));

    const model = await loadReportModel(daily, DAY, director, { store, config, now: () => at('2026-11-23', '05:00') });

    expect(model.pipeline).toMatchObject({ stored: null, rejected: null });
    expect(renderReport(model).text).toContain('Events stored and quarantined: not counted yet');
  });
});

describe('pending KPI values in the daily report', () => {
  it("yesterday's next-day retention is shown as pending, not as a KPI without data", async () => {
    const { store } = await freshStore('pending');
    await ingestFile(store, exportOfTheDay(), at('2026-11-23', '00:10'));

    const model = await nightAndReport(store);
    const retention = model.kpis.find((k) => k.id === 'next_day_retention');
    const text = renderReport(model).text;

    expect(retention).toMatchObject({ status: 'pending', value: null, attainment: null });
    expect(model.scorecard).toMatchObject({ pending: 1, noValue: 0 });
    expect(text).toMatch(/\* Next-day retention: pending — Pending/);
    expect(text).toContain('0 without data · 1 pending');
    expect(text).toContain('Pending until the days they need have ended: Next-day retention.');
    expect(text).not.toContain('without data.');
  });
});

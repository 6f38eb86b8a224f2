// `nightshift kpis` over days without a single stored event (a trial's history had ended: `revenue 0 missed`, where
// there was simply no data), on the test run's DynamoDB Local.
import { describe, expect, it } from 'vitest';
import { ingestMessages } from '#shared/events/ingest.ts';
import { rollupPeriods } from '#shared/kpi/rollup.ts';
import type { CommandContext } from '../../cli/context.ts';
import { kpiRows } from '../../cli/kpis.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const NOW = () => Date.parse('2026-11-25T09:00:00+08:00');

describe('nightshift kpis on days without events', () => {
  it('a day with no events at all reads "no data", not a count of 0 that missed its target', async () => {
    const { store } = await freshStore('kpis-no-data');
    const config = exampleConfig();
    const signUps = Array.from({ length: 3 }, (_, i) => ({
      id: `s${i}`,
      body: JSON.stringify({
        messageId: `s${i}`,
        event: 'Signed Up',
        userId: `u${i}`,
        timestamp: '2026-11-22T00:10:00+08:00',
      }),
    }));
    await ingestMessages(signUps, { store, config, now: NOW });
    await rollupPeriods(['2026-11-22'], '2026-11-22', { store, config, now: NOW });
    const ctx = { store, config, now: NOW } as unknown as CommandContext;

    // 23 and 24 Nov were never rolled up: kpis computes them first, as it does for any such day.
    const rows = await kpiRows(ctx, ['new_users'], 'day', '2026-11-22', '2026-11-24');

    expect(rows.map((r) => [r.period, r.formatted, r.status, r.value])).toEqual([
      ['2026-11-22', '3', 'missed', 3],
      ['2026-11-23', 'no data', 'no_value', null],
      ['2026-11-24', 'no data', 'no_value', null],
    ]);
  });
});

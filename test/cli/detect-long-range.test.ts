// `nightshift detect` over most of a year: the run is recorded whatever the range's length (a run record kept every
// day's results and passed DynamoDB's 400 KB after some 160 days), and every transition of the range is printed.
import { tmpdir } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import type { CommandContext } from '#cli/context.ts';
import { runDetect } from '#cli/detect.ts';
import { detectLines } from '#cli/main.ts';
import { recentRuns } from '#shared/jobs/runs.ts';
import { addDays } from '#shared/time/calendar.ts';
import { configWith, days, seedDaily } from '../alerts/support.ts';
import { freshArchive } from '../support/archive.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const LAST = '2026-11-23';
const DAYS = 300;

describe('nightshift detect over a long range', () => {
  it('records the run of 300 days and prints every transition of the range', async () => {
    // A long KPI name makes each day's results a few KB, as a real config's eight KPIs and six rules do.
    const kpis = exampleConfig().kpis.map((k) =>
      k.id === 'conversion_rate' ? { ...k, name: `Conversion rate ${'of the spring campaign '.repeat(20)}` } : k,
    );
    const config = configWith(
      [{ id: 'conv_floor', kpi: 'conversion_rate', all: [{ breach: 'alarm' }], plan: 'satisfaction' }],
      [],
      { kpis },
    );
    const { store, tables } = await freshStore('cli-detect-long');
    const now = Date.parse('2026-11-24T01:00:00+08:00');
    const ctx: CommandContext = {
      config,
      configFile: 'nightshift.config.yaml',
      dataDir: tmpdir(),
      store,
      tables,
      dynamoEndpoint: inject('dynamoEndpoint'),
      createdTables: [],
      openArchive: () => freshArchive('cli-detect-long'),
      now: () => now,
      mail: async () => ({
        mailer: { sendRaw: async () => ({ messageId: 'm' }) },
        inboxUrl: 'http://127.0.0.1/',
        outbox: '/tmp/outbox',
      }),
    };
    // Conversion at 3.5%, below its 2% alarm floor on the first two days of every fortnight.
    const values = Array.from({ length: DAYS }, (_, i) => (i % 14 < 2 ? 0.011 : 0.035));
    await seedDaily(store, config, 'conversion_rate', days(LAST, values));
    const dips = Math.ceil(DAYS / 14);

    const summary = await runDetect(ctx, addDays(LAST, 1 - DAYS), LAST);

    const lines = detectLines(summary);
    expect(lines.filter((l) => l.endsWith('opened    rule:conv_floor:*:target_breach'))).toHaveLength(dips);
    expect(lines.filter((l) => l.endsWith('resolved  rule:conv_floor:*:target_breach'))).toHaveLength(dips);
    const [run] = await recentRuns(store, 'detect-anomalies');
    expect(run).toMatchObject({ status: 'ok', manual: true });
    expect(run?.summary).toMatchObject({ days: DAYS, enqueued: summary.enqueued });
    expect(run?.summary?.opened).toHaveLength(dips);
  }, 120_000);
});

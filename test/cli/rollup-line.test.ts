// What `nightshift rollup` says it did: the range's own days first (a day without events says so), the other days
// ingest marked, then the periods it rolled up and what it read for them. A business closed on Sundays rolls up a
// Sunday with no events after loading its week: the week's days are read too, and their events are not that Sunday's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rollupLine } from '../../cli/main.ts';
import { runCli } from '../local/processes.ts';

describe('nightshift rollup of a Sunday on which no events arrived', () => {
  const root = mkdtempSync(join(tmpdir(), 'nightshift-rollup-line-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('says the Sunday had no events, and reads the days its ingest marked', { timeout: 120_000 }, async () => {
    const NOW = ['--now', '2026-11-09T01:00:00+08:00', '--data', join(root, 'data')];
    // Monday 2 .. Saturday 7 Nov 2026, three sign-ups a day; nothing on Sunday 8 Nov.
    const file = join(root, 'events.jsonl');
    const lines = [2, 3, 4, 5, 6, 7].flatMap((d) =>
      [0, 1, 2].map((i) =>
        JSON.stringify({
          messageId: `m-${d}-${i}`,
          event: 'Signed Up',
          userId: `u-${d}-${i}`,
          timestamp: `2026-11-0${d}T10:0${i}:00+08:00`,
        }),
      ),
    );
    writeFileSync(file, lines.join('\n'));
    expect((await runCli([...NOW, 'ingest', file], { timeoutMs: 60_000 })).code).toBe(0);

    const rollup = await runCli([...NOW, 'rollup', '--from', '2026-11-08', '--to', '2026-11-08'], {
      timeoutMs: 60_000,
    });

    expect(rollup.code).toBe(0);
    expect(rollup.stdout).toMatch(
      /^no events on Sun 8 Nov 2026; also read 6 days, 2026-11-02 … 2026-11-07, marked by ingest; rolled up \d+ KPI values for 8 days 2026-11-01..2026-11-08, weeks 2026-W44, 2026-W45 and month 2026-11 \(to date\) \(14 days read, 18 events\), as of 2026-11-08\n$/,
    );
  });
});

describe('the rollup line', () => {
  const summary = {
    values: 40,
    periods: ['2026-11', '2026-11-01', '2026-11-02', '2026-11-03', '2026-W44', '2026-W45'],
    daysRead: 8,
    eventsRead: 900,
    asOf: '2026-11-08',
  };

  it('a range counts its own days and names those without events, not the events its periods read', () => {
    const line = rollupLine({
      ...summary,
      from: '2026-11-01',
      to: '2026-11-03',
      eventsOnDays: { '2026-11-01': 0, '2026-11-02': 120, '2026-11-03': 95 },
    });

    expect(line).toBe(
      '215 events on the 3 days 2026-11-01..2026-11-03 (none on Sun 1 Nov 2026); rolled up 40 KPI values for days 2026-11-01, 2026-11-02, 2026-11-03, weeks 2026-W44, 2026-W45 and month 2026-11 (to date) (8 days read, 900 events), as of 2026-11-08',
    );
  });

  it('names the days ingest marked (late events) that it read besides the range, not those in it', () => {
    const line = rollupLine({
      ...summary,
      from: '2026-11-08',
      to: '2026-11-08',
      eventsOnDays: { '2026-11-08': 40 },
      lateDays: ['2026-11-03', '2026-11-08'],
    });

    expect(line).toMatch(/^40 events on Sun 8 Nov 2026; also read 2026-11-03, marked by ingest; rolled up /);
  });

  it('a day that has not ended yet is not called a day without events', () => {
    const line = rollupLine({ ...summary, from: '2026-11-08', to: '2026-11-09', eventsOnDays: { '2026-11-08': 0 } });

    expect(line).toMatch(/^no events on Sun 8 Nov 2026; 2026-11-09 not ended yet; rolled up /);
  });
});

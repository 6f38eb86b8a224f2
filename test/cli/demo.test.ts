import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run demo (the main job on a laptop)', () => {
  it('runs the night end to end: every unique event stored once, KPIs rolled up, one report mail per recipient', async () => {
    const data = mkdtempSync(join(tmpdir(), 'nightshift-demo-'));
    const { stdout } = await run('node', ['bin/nightshift.ts', '--data', data, 'demo', '--json'], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);

    expect(summary.ok).toBe(true);
    expect(summary.failed).toBe(0);
    expect(summary.rejected).toBe(7); // the planted malformed lines, and only those
    // Duplicate deliveries and late arrivals included, each unique event is stored exactly once.
    expect(summary.storedEvents).toBe(summary.uniqueEvents);
    expect(summary.kpiValues).toBeGreaterThan(100);
    // The planted problems come out as incidents on their first day, and no normal day opens one.
    const plantedDays: string[] = summary.planted.flatMap((p: { days: string[] }) => p.days);
    const openedOn: string[] = summary.incidentsOpened.map((o: { period: string }) => o.period);
    for (const p of summary.planted as Array<{ days: string[] }>) expect(openedOn).toContain(p.days[0]);
    for (const day of openedOn) expect(plantedDays).toContain(day);
    expect(summary.alertsSent).toBeGreaterThan(0);
    // The orders/payments reconciliation finds exactly its planted problems: 3 mismatches, 2 + 1 missing.
    const rec = summary.checks.find((c: { id: string }) => c.id === 'orders_payments');
    expect(rec).toMatchObject({ status: 'fail', figures: { mismatched: 3, missingRight: 2, missingLeft: 1 } });
    expect(summary.reportsSent).toBe(6);
    expect(readdirSync(join(data, 'demo', 'outbox')).filter((f) => f.endsWith('.eml'))).toHaveLength(
      6 + summary.alertsSent,
    );
  }, 300_000);
});

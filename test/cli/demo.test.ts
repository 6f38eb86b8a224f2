import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run demo (the main job on a laptop)', () => {
  it('runs last night end to end: every unique event stored once, KPIs rolled up, a skipped job caught, one report mail per recipient', async () => {
    const data = mkdtempSync(join(tmpdir(), 'nightshift-demo-'));
    // The demo plays the last night before "now": injected, so the run is the same on any date.
    const now = '2026-11-29T09:00:00+08:00';
    const { stdout } = await run('node', ['bin/nightshift.ts', '--data', data, '--now', now, 'demo', '--json'], {
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
    // The planted problems come out as incidents on their first day, and no normal day opens one; neither does the
    // live check of event streams in the night's hourly detection runs (their periods are hours, never planted days).
    const plantedDays: string[] = summary.planted.flatMap((p: { days: string[] }) => p.days);
    const openedOn: string[] = summary.incidentsOpened.map((o: { period: string }) => o.period);
    for (const p of summary.planted as Array<{ days: string[] }>) expect(openedOn).toContain(p.days[0]);
    for (const day of openedOn) expect(plantedDays).toContain(day);
    expect(summary.alertsSent).toBeGreaterThan(0);
    expect(summary.liveAccepted).toBe(summary.liveEvents);

    // The night skips its checks job; the watchdog's first check after the grace time opens a "missed" incident
    // and mails the outage plan's first responder and the people it also tells.
    expect(summary.skipped).toMatchObject({ job: 'check-backups' });
    expect(summary.watchdog).toMatchObject({
      opened: ['job:check-backups.schedule:*:job_failed'],
      findings: [
        {
          incident: 'job:check-backups.schedule:*:job_failed',
          problem: 'missed',
          summary: expect.stringMatching(/^Backup and data checks did not run: due 02:00 on /),
        },
      ],
      alertsSent: 2,
    });
    // Run by hand after the alert, the orders/payments reconciliation finds exactly its planted problems:
    // 3 mismatches, 2 + 1 missing.
    const rec = summary.checks.find((c: { id: string }) => c.id === 'orders_payments');
    expect(rec).toMatchObject({ status: 'fail', figures: { mismatched: 3, missingRight: 2, missingLeft: 1 } });
    expect(summary.checkIncidentsOpened).toEqual(['check:orders_payments:*:data_mismatch']);

    expect(summary.reportsSent).toBe(6);
    const outbox = join(data, 'demo', 'outbox');
    const emls = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    expect(emls).toHaveLength(6 + summary.alertsSent);
    // The daily report, sent at 05:00, shows the watchdog's incident and the checks job as late in pipeline health.
    const mine = emls.filter((f) => f.includes('chen.jie@example.com')); // the outage plan's first responder
    const mails = await Promise.all(mine.map(async (f) => simpleParser(readFileSync(join(outbox, f)))));
    const report = mails.find((m) => m.subject?.startsWith('Daily report'));
    expect(report?.subject).toMatch(/open incidents, 1 check failed, 1 job ran late$/);
    const text = report?.text ?? '';
    expect(text).toMatch(
      /\[Critical · Open\] Backup and data checks: missed or late\n {2}Backup and data checks did not run/,
    );
    const pipeline = text.slice(text.indexOf('PIPELINE HEALTH'));
    expect(pipeline).toMatch(/\* rollup-kpis: ✓ Ran \(\d+ \w+ 00:30\)/);
    expect(pipeline).toMatch(/\* detect-anomalies: ✓ Ran \(\d+ \w+ 04:00\)/);
    expect(pipeline).toMatch(
      /\* check-backups: ! Late \(\d+ \w+ 03:52\) — Backup and data checks ran late: due 02:00 on .*, started 03:52 on /,
    );
    expect(pipeline).toMatch(/\* plan-reports: ✓ Ran \(\d+ \w+ 05:00\)/);
  }, 300_000);
});

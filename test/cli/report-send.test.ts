// `nightshift report --send` as a user runs it locally: it does what the scheduled planning job does for the period
// that just ended, so it is recorded as that job's run (the report and the watchdog then do not say the planning
// never ran); a preview is not.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../local/processes.ts';

const root = mkdtempSync(join(tmpdir(), 'nightshift-report-send-'));
const NOW = ['--now', '2026-11-23T06:00:00+08:00', '--data', join(root, 'data')];

describe('nightshift report --send', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("is recorded as the planning job's run for that report; a preview is not", async () => {
    const preview = await runCli([...NOW, 'report', 'daily', '--out', join(root, 'daily.html')], { timeoutMs: 60_000 });
    expect(preview.code, preview.stderr).toBe(0);
    const sent = await runCli([...NOW, 'report', 'daily', '--send'], { timeoutMs: 60_000 });
    expect(sent.code, sent.stderr).toBe(0);

    const runs = await runCli([...NOW, '--json', 'runs', '--job', 'plan-reports'], { timeoutMs: 60_000 });
    const recorded = JSON.parse(runs.stdout.trim().split('\n').at(-1)!) as Array<{ key?: string; status: string }>;
    expect(recorded).toEqual([expect.objectContaining({ job: 'plan-reports', key: 'daily', status: 'ok' })]);
  }, 240_000);
});

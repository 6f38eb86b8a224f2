// A command refused for its arguments records no job run: a `detect` of a day not over yet was recorded as a failed
// detect-anomalies run, and the next report said "1 job failed" while the watchdog saw nothing wrong; a `rollup` of a
// future day recorded an ok run, stored "pending" values and then died on DynamoDB's BETWEEN bound.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { CommandContext } from '#cli/context.ts';
import { runDetect } from '#cli/detect.ts';
import { DetectError } from '#shared/detection/detect.ts';
import { recentRuns } from '#shared/jobs/runs.ts';
import { REPO, runCli } from '../local/processes.ts';
import { freshArchive } from '../support/archive.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const cwd = mkdtempSync(join(tmpdir(), 'nightshift-refused-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));
const configFile = join(cwd, 'refused.yaml');
writeFileSync(
  configFile,
  readFileSync(join(REPO, 'nightshift.config.yaml'), 'utf8').replace(
    /^name: .*$/m,
    `name: refused-${Math.random().toString(36).slice(2, 10)}`,
  ),
);
const cli = (args: string[]) =>
  runCli(['--config', configFile, '--data', join(cwd, 'data'), '--endpoint', inject('dynamoEndpoint'), ...args], {
    cwd,
    timeoutMs: 60_000,
  });

describe('a refused command records no run', () => {
  it('detect of a day not over yet is refused before a run is recorded', async () => {
    const config = exampleConfig();
    const { store, tables } = await freshStore('cli-refused-detect');
    // 16:27 on 30 Nov in the config's zone: the 30th has not ended.
    const now = Date.parse('2026-11-30T16:27:00+08:00');
    const ctx: CommandContext = {
      config,
      configFile: 'nightshift.config.yaml',
      dataDir: tmpdir(),
      store,
      tables,
      dynamoEndpoint: inject('dynamoEndpoint'),
      createdTables: [],
      openArchive: () => freshArchive('cli-refused-detect'),
      now: () => now,
      mail: async () => ({
        mailer: { sendRaw: async () => ({ messageId: 'm' }) },
        inboxUrl: 'http://127.0.0.1/',
        outbox: '/tmp/outbox',
      }),
    };

    await expect(runDetect(ctx, '2026-11-30', '2026-11-30', { mail: false })).rejects.toThrow(DetectError);
    expect(await recentRuns(store, 'detect-anomalies')).toEqual([]);
  });

  it('rollup of a day after today is refused with why, and records no run', async () => {
    const now = ['--now', '2026-11-30T16:27+08:00'];
    const run = await cli([...now, 'rollup', '--from', '2026-12-05', '--to', '2026-12-05']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      '--to 2026-12-05 is after today (2026-11-30 in Asia/Shanghai): there is nothing to roll up for it yet',
    );
    const runs = await cli([...now, '--json', 'runs']);
    expect(JSON.parse(runs.stdout.trim().split('\n').at(-1) as string)).not.toContainEqual(
      expect.objectContaining({ job: 'rollup-kpis' }),
    );
  }, 120_000);
});

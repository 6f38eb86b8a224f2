import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nabDataProblem } from '../../bench/lib/nab-data.ts';

const node = (args: string[]) => spawnSync(process.execPath, args, { encoding: 'utf8' });

describe('the anomaly benchmark without the NAB data (not in the repository)', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'nightshift-nab-')), 'nab');

  it('bench:anomaly says what is missing, where it comes from and how to pass it, without a stack trace, and exits 1', () => {
    const run = node(['bench/anomaly.ts', '--nab', missing]);

    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`no NAB data: ${missing} does not exist`);
    expect(run.stderr).toContain('https://github.com/numenta/NAB (MIT)');
    expect(run.stderr).toContain('npm run bench:anomaly -- --nab DIR');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });

  it('npm run bench skips it with that message, without failing', () => {
    const run = node(['bench/all.ts', '--only', 'anomaly', '--nab', missing, '--json']);

    expect(run.status).toBe(0);
    expect(run.stderr).toContain('=== anomaly: skipped');
    expect(run.stderr).toContain('npm run bench:anomaly -- --nab DIR');
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({
      anomaly: {
        ok: false,
        skipped: true,
        seconds: 0,
        error: `no NAB data at ${missing}: pass --nab DIR (the data comes from https://github.com/numenta/NAB (MIT))`,
      },
    });
  });

  it('a directory without series is not NAB data either; one with a category of CSVs is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nightshift-nab-'));
    mkdirSync(join(dir, 'data', 'realTraffic'), { recursive: true });

    expect(nabDataProblem(dir)).toMatch(/holds no <category>\/\*\.csv series/);
    writeFileSync(join(dir, 'data', 'realTraffic', 'speed.csv'), 'timestamp,value\n');
    expect(nabDataProblem(dir)).toBeUndefined();
  });
});

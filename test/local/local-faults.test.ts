// Local mode under faults, with real processes: two commands on one --data folder, a CLI that dies (SIGTERM,
// SIGKILL) while its DynamoDB Local runs, and `serve` stopped while its DynamoDB Local is still starting.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  descendants,
  type Ended,
  ended,
  eventually,
  type Holder,
  holdDataDir,
  isDynamoLocal,
  isRunning,
  type ProcessInfo,
  runCli,
  spawnCli,
} from './processes.ts';

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

function workspace(): { root: string; data: string } {
  const root = mkdtempSync(join(tmpdir(), 'nightshift-faults-'));
  return { root, data: join(root, 'data') };
}

/** The DynamoDB Local processes started under a CLI process. */
function dynamoLocalsUnder(pid: number): number[] {
  return descendants(pid)
    .filter(isDynamoLocal)
    .map((p) => p.pid);
}

/** Test hygiene: whatever a failing test left running. */
function killQuietly(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

describe('while a command holds a --data folder', () => {
  const { root, data } = workspace();
  let holder: Holder;
  let dynamo: number[] = [];
  beforeAll(async () => {
    holder = await holdDataDir(data, root);
    dynamo = dynamoLocalsUnder(holder.pid);
  });
  afterAll(async () => {
    await holder?.kill('SIGTERM');
    killQuietly(dynamo);
    rmSync(root, { recursive: true, force: true });
  });

  it('a second command on the folder fails at once, naming the folder and the pid holding it', async () => {
    const second = await runCli(['--data', data, 'runs']);

    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`nightshift: another nightshift command is using ${data} (pid ${holder.pid})`);
    expect(second.stderr).not.toMatch(STACK_LINE);
    expect(dynamo).toHaveLength(1);
    expect(dynamoLocalsUnder(holder.pid)).toEqual(dynamo);
  });

  it('a command with --endpoint (a running DynamoDB, no local one) runs beside it', async () => {
    const beside = await runCli(['--data', data, '--endpoint', inject('dynamoEndpoint'), '--json', 'runs']);

    expect(beside.stderr).toBe('');
    expect(beside.code).toBe(0);
    // The shared test DynamoDB may hold other files' runs: what matters is that the command read it and answered.
    expect(Array.isArray(JSON.parse(beside.stdout))).toBe(true);
  });

  it('commands that use no DynamoDB (validate) run beside it', async () => {
    const beside = await runCli(['--data', data, 'validate']);

    expect(beside.code).toBe(0);
  });
});

describe('a command ended by SIGTERM', () => {
  const { root, data } = workspace();
  let dynamo: number[] = [];
  let end: Ended;
  beforeAll(async () => {
    const holder = await holdDataDir(data, root);
    dynamo = dynamoLocalsUnder(holder.pid);
    end = await holder.kill('SIGTERM');
  });
  afterAll(() => {
    killQuietly(dynamo);
    rmSync(root, { recursive: true, force: true });
  });

  it('ends as SIGTERM ends a process, after releasing the folder', () => {
    expect(end.signal).toBe('SIGTERM');
    expect(readdirSync(data)).not.toContain('lock');
  });

  it('stops its DynamoDB Local', async () => {
    expect(dynamo).toHaveLength(1);
    expect(await eventually(() => !isRunning(dynamo[0]!))).toBe(true);
  });
});

describe('kill -9 of a command holding a --data folder', () => {
  const { root, data } = workspace();
  let holder: Holder;
  let dynamo: number[] = [];
  beforeAll(async () => {
    holder = await holdDataDir(data, root);
    dynamo = dynamoLocalsUnder(holder.pid);
    await holder.kill('SIGKILL');
  });
  afterAll(() => {
    killQuietly(dynamo);
    rmSync(root, { recursive: true, force: true });
  });

  it('stops its DynamoDB Local within seconds', async () => {
    expect(dynamo).toHaveLength(1);
    expect(await eventually(() => !isRunning(dynamo[0]!))).toBe(true);
  });

  // The next command starts its own DynamoDB Local: seconds when the machine is idle, far more when it is loaded.
  it('leaves a stale lock that the next command takes over, and releases when done', { timeout: 120_000 }, async () => {
    expect(readdirSync(join(data, 'lock')).join()).toMatch(new RegExp(`^${holder.pid}\\.`));

    const next = await runCli(['--data', data, '--json', 'runs'], { timeoutMs: 100_000 });

    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
    expect(existsSync(join(data, 'lock'))).toBe(false);
  });
});

describe('nightshift serve stopped while its DynamoDB Local starts', () => {
  /**
   * Starts `serve` on a fresh folder and sends `signal` as soon as DynamoDB Local's Java runs under it, before it
   * answers (a second or more): SIGTERM to the command alone, as a process manager does; SIGINT to its process group,
   * as Ctrl-C at a terminal does.
   */
  async function stopWhileStarting(signal: 'SIGTERM' | 'SIGINT') {
    const { root, data } = workspace();
    const child = spawnCli(['--data', data, 'serve', '--port', '0', '--write-key', 'k'], {
      detached: true,
      timeoutMs: 100_000,
    });
    const end = ended(child);
    let exited = false;
    void end.then(() => (exited = true));
    let started: ProcessInfo[] = descendants(child.pid!);
    while (!exited && !started.some(isDynamoLocal)) {
      await new Promise((r) => setTimeout(r, 20));
      started = descendants(child.pid!);
    }
    if (signal === 'SIGINT') process.kill(-child.pid!, 'SIGINT');
    else child.kill('SIGTERM');
    const result = await end;
    // What was running under the command when it was told to stop, still running the moment it has exited.
    const leftRunning = started.filter((p) => isRunning(p.pid));
    killQuietly(started.map((p) => p.pid));
    const folder = readdirSync(data);
    rmSync(root, { recursive: true, force: true });
    return { end: result, started, leftRunning, folder };
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: says what it was doing and that it stopped, exits 0 with nothing left running and the folder free`, {
      timeout: 120_000,
    }, async () => {
      const { end, started, leftRunning, folder } = await stopWhileStarting(signal);

      expect(started.some(isDynamoLocal)).toBe(true);
      expect(leftRunning).toEqual([]);
      expect(folder).not.toContain('lock');
      expect(end.stdout.split('\n')).toEqual([
        expect.stringMatching(/^starting local DynamoDB \(data in .+\)…$/),
        `${signal}: stopped during start-up, before serving anything`,
        '',
      ]);
      expect([end.code, end.signal, end.stderr]).toEqual([0, null, '']);
    });
  }
});

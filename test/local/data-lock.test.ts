// The data folder's lock: a live holder is named, a dead one's lock is taken over, and of many processes taking over
// one stale lock at the same moment exactly one wins (real processes).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from '#shared/local/data-lock.ts';
import { REPO } from './processes.ts';

const roots: string[] = [];
function dataDir(): string {
  const root = mkdtempSync(join(tmpdir(), 'nightshift-lock-'));
  roots.push(root);
  return join(root, 'data');
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A lock as a process with `pid` would have left it. */
function plantLock(dir: string, pid: number): void {
  mkdirSync(join(dir, 'lock'), { recursive: true });
  writeFileSync(join(dir, 'lock', `${pid}.planted`), `${pid}\n`);
}

const exited = (child: ChildProcess) =>
  new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(child.exitCode)));

/** The pid of a process that has ended. */
function deadPid(): number {
  const ended = spawnSync(process.execPath, ['-e', '']);
  return ended.pid!;
}

describe('lockDataDir', () => {
  it('names the live process that holds the folder', () => {
    const dir = dataDir();
    plantLock(dir, process.ppid);

    expect(() => lockDataDir(dir)).toThrow(
      expect.objectContaining({
        name: 'DataDirBusyError',
        pid: process.ppid,
        message: expect.stringContaining(`another nightshift command is using ${dir} (pid ${process.ppid})`),
      }),
    );
  });

  it('takes over the lock of a process that has ended, and removes it on release', () => {
    const dir = dataDir();
    const dead = deadPid();
    plantLock(dir, dead);

    const lock = lockDataDir(dir);

    expect(readdirSync(lock.path)).toEqual([expect.stringMatching(new RegExp(`^${process.pid}\\.`))]);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
  });

  it('takes over a lock with its own pid that it does not hold (a predecessor with the same pid, as in containers)', () => {
    const dir = dataDir();
    plantLock(dir, process.pid);

    const lock = lockDataDir(dir);

    expect(readdirSync(lock.path)).not.toContain(`${process.pid}.planted`);
    lock.release();
  });

  it('is shared by nested holders in one process and released by the outermost', () => {
    const dir = dataDir();
    const outer = lockDataDir(dir);
    const inner = lockDataDir(dir);

    inner.release();
    inner.release();
    expect(existsSync(outer.path)).toBe(true);
    outer.release();
    expect(existsSync(outer.path)).toBe(false);
  });

  it('leaves the files of the data folder alone', () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'outbox'), { recursive: true });

    lockDataDir(dir).release();

    expect(readdirSync(dir)).toEqual(['outbox']);
  });
});

describe('many processes taking over one stale lock at the same moment', () => {
  const CONTENDERS = 8;
  const contenderScript = (dir: string) => `
    import { DataDirBusyError, lockDataDir } from ${JSON.stringify(pathToFileURL(join(REPO, 'shared/local/data-lock.ts')).href)};
    let started = false;
    process.stdin.on('data', () => {
      if (started) return;
      started = true;
      try {
        lockDataDir(${JSON.stringify(dir)});
        console.log('locked');
      } catch (error) {
        console.log(error instanceof DataDirBusyError ? 'busy ' + error.pid : 'error ' + error.message);
        process.exit(0);
      }
    });
    process.stdin.on('end', () => process.exit(0));
    console.log('ready');`;

  function contender(dir: string): { child: ChildProcess; lines: AsyncIterator<string> } {
    const child = spawn(process.execPath, ['--input-type=module', '-e', contenderScript(dir)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    return { child, lines: createInterface({ input: child.stdout! })[Symbol.asyncIterator]() };
  }
  const nextLine = async (c: { lines: AsyncIterator<string> }) => (await c.lines.next()).value as string;

  it('exactly one gets it, and every other one names that one', async () => {
    const dir = dataDir();
    plantLock(dir, deadPid());
    const contenders = Array.from({ length: CONTENDERS }, () => contender(dir));
    try {
      for (const c of contenders) expect(await nextLine(c)).toBe('ready');

      for (const c of contenders) c.child.stdin!.write('go\n');
      const outcomes = await Promise.all(contenders.map(nextLine));

      const winners = contenders.filter((_, i) => outcomes[i] === 'locked');
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'locked')).toEqual(
        Array(CONTENDERS - 1).fill(`busy ${winners[0]!.child.pid}`),
      );
    } finally {
      for (const c of contenders) c.child.stdin!.end();
      await Promise.all(contenders.map((c) => exited(c.child)));
    }
  });
});

describe('a signal the holding process handles itself', () => {
  // As `serve` does: on SIGTERM it first stops the DynamoDB Local that has the folder's database open.
  const holderScript = (dir: string) => `
    import { existsSync } from 'node:fs';
    import { lockDataDir } from ${JSON.stringify(pathToFileURL(join(REPO, 'shared/local/data-lock.ts')).href)};
    const lock = lockDataDir(${JSON.stringify(dir)});
    const state = () => console.log(existsSync(lock.path) ? 'held' : 'released');
    process.once('SIGTERM', () => setTimeout(() => {
      state();
      lock.release();
      state();
      process.exit(0);
    }, 100));
    setInterval(() => {}, 1000);
    console.log('ready');`;

  it('leaves the lock held until the process releases it', async () => {
    const dir = dataDir();
    const child = spawn(process.execPath, ['--input-type=module', '-e', holderScript(dir)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const next = async () => (await lines.next()).value as string;
    expect(await next()).toBe('ready');

    child.kill('SIGTERM');

    expect([await next(), await next()]).toEqual(['held', 'released']);
    expect(await exited(child)).toBe(0);
  });
});

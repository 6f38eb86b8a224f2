// One nightshift command at a time per data folder: DynamoDB Local cannot share its database file between two
// processes, so a second command must fail at once with a clear message, not a minute later with an opaque one.
//
// The lock is a directory `<data>/lock` holding one file named `<pid>.<token>` of the holder. It only ever appears
// whole (a prepared directory renamed into place, which fails while a non-empty one is there), and a stale lock (its
// pid is dead) is removed by unlinking that exact file first, so two commands taking over the same stale lock at the
// same moment cannot both win.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError';
  readonly dataDir: string;
  readonly pid: number;
  constructor(dataDir: string, pid: number) {
    super(
      `another nightshift command is using ${dataDir} (pid ${pid}); wait for it to end (if pid ${pid} is not a nightshift command, delete ${join(dataDir, 'lock')})`,
    );
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

export interface DataDirLock {
  /** The lock directory (`<data>/lock`). */
  path: string;
  release(): void;
}

const held = new Map<string, { count: number; entry: string }>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The entry the lock takes in its data folder. */
export const LOCK_ENTRY = 'lock';

/**
 * Takes the lock on `dataDir` for this process, or throws `DataDirBusyError` naming the live holder. Nested calls in
 * one process share the lock. The lock is also released when this process is ended by SIGINT, SIGTERM or SIGHUP (a
 * command that listens for the signal itself releases it when it has stopped); after a SIGKILL it stays behind, and
 * the next command takes it over because its pid is dead.
 */

export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_ENTRY);
  const mine = held.get(path);
  if (mine) {
    mine.count++;
    return { path, release: once(() => releaseOne(path)) };
  }
  mkdirSync(dataDir, { recursive: true });
  const entry = `${process.pid}.${randomBytes(6).toString('hex')}`;
  const prepared = `${path}.${entry}.tmp`;
  mkdirSync(prepared);
  writeFileSync(join(prepared, entry), `${process.pid}\n`);
  try {
    // Each round either takes the lock, meets a live holder, or removes one stale holder; a few rounds suffice.
    for (let round = 0; round < 20; round++) {
      try {
        renameSync(prepared, path);
      } catch (error) {
        if (!isCode(error, 'ENOTEMPTY', 'EEXIST')) throw error;
        const holders = entries(path);
        const live = holders.find((h) => h.pid !== undefined && isAlive(h.pid));
        if (live) throw new DataDirBusyError(dataDir, live.pid!);
        for (const h of holders) removeQuietly(() => rmSync(join(path, h.name)));
        removeQuietly(() => rmdirSync(path));
        continue;
      }
      held.set(path, { count: 1, entry });
      watchSignals();
      return { path, release: once(() => releaseOne(path)) };
    }
    throw new Error(`cannot take the lock ${path}: it keeps changing; is something else writing there?`);
  } finally {
    rmSync(prepared, { recursive: true, force: true });
  }
}

function releaseOne(path: string): void {
  const mine = held.get(path);
  if (!mine) return;
  if (--mine.count > 0) return;
  held.delete(path);
  removeLock(path, mine.entry);
  if (held.size === 0) unwatchSignals();
}

function removeLock(path: string, entry: string): void {
  removeQuietly(() => rmSync(join(path, entry)));
  removeQuietly(() => rmdirSync(path));
}

// A signal that ends the process skips `finally` blocks: release every lock, then end as the signal would have. A
// signal the command listens for too does not end it: the command stops what runs on the folder (DynamoDB Local) and
// releases the lock after, so no other command takes the folder while its database is still open.
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  for (const [path, { entry }] of held) removeLock(path, entry);
  held.clear();
  unwatchSignals();
  process.kill(process.pid, signal);
}

let watching = false;
function watchSignals(): void {
  if (watching) return;
  watching = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}
function unwatchSignals(): void {
  if (!watching) return;
  watching = false;
  for (const s of SIGNALS) process.off(s, onSignal);
}

function entries(path: string): Array<{ name: string; pid: number | undefined }> {
  let names: string[];
  try {
    names = readdirSync(path);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return [];
    throw error;
  }
  return names.map((name) => {
    const match = /^(\d+)\./.exec(name);
    return { name, pid: match ? Number(match[1]) : undefined };
  });
}

/**
 * A pid that exists, even as another user's process (EPERM), counts as alive. Our own pid on a lock we do not hold is
 * a dead predecessor's (a container's CLI often has the same small pid every run).
 */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isCode(error, 'ESRCH');
  }
}

function removeQuietly(remove: () => void): void {
  try {
    remove();
  } catch (error) {
    // Gone already (someone else took over first) or not empty (someone else took the lock): the next round judges.
    if (!isCode(error, 'ENOENT', 'ENOTEMPTY', 'EEXIST')) throw error;
  }
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? '');
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

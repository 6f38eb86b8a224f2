// Real processes for the local-mode tests: the CLI run as a child, a CLI command that holds a data folder for as long
// as a test needs, and the process tree under a pid.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(REPO, 'bin', 'nightshift.ts');
const CONFIG = join(REPO, 'nightshift.config.yaml');

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `nightshift --config <the example config> ...args`; killed after `timeoutMs` so a hang fails the test, not the run. */
export function runCli(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Ended> {
  return ended(spawnCli(args, options));
}

/**
 * `nightshift --config <the example config> ...args` as a running child. `detached`: it leads its own process group,
 * as a command run at a terminal does, so `process.kill(-pid, 'SIGINT')` is a Ctrl-C.
 */
export function spawnCli(
  args: string[],
  options: { cwd?: string; timeoutMs?: number; detached?: boolean } = {},
): ChildProcess {
  return spawn(process.execPath, [CLI, '--config', CONFIG, ...args], {
    cwd: options.cwd ?? REPO,
    timeout: options.timeoutMs ?? 20_000,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
}

export function ended(child: ChildProcess): Promise<Ended> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export interface Holder {
  pid: number;
  /** Resolves when the command has ended. */
  ended: Promise<Ended>;
  kill(signal: NodeJS.Signals): Promise<Ended>;
}

/**
 * Runs `nightshift --data dataDir ingest <named pipe>`: the command takes the folder's lock, starts DynamoDB Local,
 * then waits to read the pipe, which nobody writes. Resolves once it reads (our open of the pipe for writing completes
 * when the command opens it for reading), so the folder is held from then until `kill`.
 */
export async function holdDataDir(dataDir: string, pipeDir: string): Promise<Holder> {
  const pipe = join(pipeDir, `hold-${randomUUID()}.jsonl`);
  execFileSync('mkfifo', [pipe]);
  const child = spawnCli(['--data', dataDir, 'ingest', pipe], { timeoutMs: 120_000 });
  const done = ended(child);
  const opening = open(pipe, 'w');
  const first = await Promise.race([opening, done]);
  if (!('fd' in first)) {
    // The command ended without reading: release our pending open by being a reader ourselves.
    closeSync(openSync(pipe, constants.O_RDONLY | constants.O_NONBLOCK));
    await (await opening).close();
    throw new Error(`the command holding ${dataDir} ended early (${first.code}): ${first.stderr}`);
  }
  const writer = first;
  void done.then(() => writer.close());
  return {
    pid: child.pid!,
    ended: done,
    kill(signal) {
      child.kill(signal);
      return done;
    },
  };
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  args: string;
}

/** Every process on the machine (`ps`, as on Linux and macOS). */
export function processes(): ProcessInfo[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), state: m[3]!, args: m[4]! }));
}

/** The processes below `pid`, children first. */
export function descendants(pid: number, all = processes()): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const parents = new Set([pid]);
  for (let grown = true; grown; ) {
    grown = false;
    for (const p of all) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid);
        out.push(p);
        grown = true;
      }
    }
  }
  return out;
}

/** Running (a zombie, ended but not yet reaped by its parent, does not count). */
export function isRunning(pid: number): boolean {
  const p = processes().find((x) => x.pid === pid);
  return p !== undefined && !p.state.startsWith('Z');
}

/** Checks `condition` up to `attempts` times, `intervalMs` apart; true as soon as it holds. */
export async function eventually(condition: () => boolean, attempts = 50, intervalMs = 200): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return condition();
}

export const isDynamoLocal = (p: ProcessInfo) => p.args.includes('DynamoDBLocal.jar');

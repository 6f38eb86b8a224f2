// How long `nightshift serve` takes to listen, and what it says on the way: runs the real command (a fresh data folder
// first, which creates the tables, then the same folder again), notes when each line it prints arrives, stops it with
// SIGTERM once it listens, and counts the processes left running on its data folder (there should be none).
//
//   node bench/serve-startup.ts [--runs N] [--config FILE] [--json]
//
// Figures, not a pass or fail: a loaded machine starts Java slower. Each run prints its lines with the milliseconds
// since the command was spawned, then a summary of the median time to listen.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const NIGHTSHIFT = fileURLToPath(new URL('../bin/nightshift.ts', import.meta.url));
const LISTENING = /API on http:\/\/127\.0\.0\.1:\d+/;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '4' },
    config: { type: 'string', default: 'nightshift.config.yaml' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number.parseInt(args.runs, 10);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got '${args.runs}'`);

interface Run {
  /** The first run has a new data folder (tables created); later ones reuse it. */
  dataFolder: 'new' | 'existing';
  lines: { ms: number; text: string }[];
  listeningMs: number | null;
  stopMs: number;
  exitCode: number | null;
  /** Processes still running on the data folder after the command exited. */
  leftRunning: string[];
}

async function runOnce(dataDir: string, dataFolder: Run['dataFolder']): Promise<Run> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [NIGHTSHIFT, '--config', args.config, '--data', dataDir, 'serve', '--port', '0', '--write-key', 'bench'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: Run['lines'] = [];
  let listeningMs: number | null = null;
  let stopAt = 0;
  const onLine = (text: string) => {
    const ms = Math.round(performance.now() - started);
    lines.push({ ms, text });
    if (listeningMs === null && LISTENING.test(text)) {
      listeningMs = ms;
      stopAt = performance.now();
      child.kill('SIGTERM');
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      for (const p of parts) onLine(p);
    });
  }
  const exitCode = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const stopMs = Math.round(performance.now() - (stopAt || started));
  return { dataFolder, lines, listeningMs, stopMs, exitCode, leftRunning: processesOn(dataDir) };
}

/** Command lines of running processes that name `dir` (DynamoDB Local's -dbPath, its supervisor's options). */
function processesOn(dir: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps
    .split('\n')
    .filter((l) => l.includes(dir))
    .map((l) => l.trim().slice(0, 160));
}

const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-serve-bench-'));
const results: Run[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const run = await runOnce(dataDir, i === 0 ? 'new' : 'existing');
    results.push(run);
    if (!args.json) {
      console.log(`run ${i + 1} (${run.dataFolder} data folder):`);
      for (const l of run.lines) console.log(`  ${String(l.ms).padStart(6)} ms  ${l.text}`);
      console.log(
        `  listening after ${run.listeningMs ?? 'never'} ms; stopped ${run.stopMs} ms after SIGTERM (exit ${run.exitCode}); ${run.leftRunning.length} processes left running`,
      );
      for (const p of run.leftRunning) console.log(`    left: ${p}`);
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.floor((s.length - 1) / 2)]!;
};
const existing = results
  .filter((r) => r.dataFolder === 'existing' && r.listeningMs !== null)
  .map((r) => r.listeningMs!);
const summary = {
  firstRunMs: results[0]?.listeningMs ?? null,
  existingFolderMedianMs: median(existing),
  stopMedianMs: median(results.map((r) => r.stopMs)),
  leftRunning: results.reduce((n, r) => n + r.leftRunning.length, 0),
};
if (args.json) console.log(JSON.stringify({ runs: results, ...summary }));
else
  console.log(
    `listening: ${summary.firstRunMs} ms with a new data folder, median ${summary.existingFolderMedianMs} ms with an existing one; stop median ${summary.stopMedianMs} ms; ${summary.leftRunning} processes left running in all`,
  );

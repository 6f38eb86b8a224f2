// Runs every benchmark, one after another, each in its own process with --json, and prints one table of their headline
// figures (--json: one JSON object keyed by benchmark, with each one's full result). Progress and the benchmarks' own
// stderr go to stderr. A benchmark that fails is reported with its error and the others still run; exit code 1 then.
//
//   node bench/all.ts [--only coldstart,ingest,anomaly,kpi,reconcile,report] [--quick] [--json] [--nab DIR]
//
// The anomaly benchmark needs the NAB data, which is not in the repository (--nab DIR, passed on to it; default the
// team's ../shared/benchmarks/nab): without it that benchmark is skipped, saying what is missing, and the rest run.
//
// --quick passes small sizes (a few minutes in all): coldstart 3 runs; ingest a 10,000-event day, 20,000 throughput
// and 2,000 write-unit events; reconcile 10,000 pairs, the reconcile and one plain-scan pass; report 10 renders.
// The anomaly benchmark has no size: it always scores the whole NAB corpus (a few seconds).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_NAB_DIR, NAB_SOURCE, nabDataProblem } from './lib/nab-data.ts';

interface Bench {
  /** Extra arguments for --quick. */
  quick: string[];
  /** The headline figures, from the benchmark's JSON result. */
  headline: (r: Result) => string;
}

// Only the fields the headlines read; each benchmark's JSON has many more (kept whole in --json).
interface Result {
  functions?: { name: string; bundleKB: number; overEmptyMs: number | null; pass: boolean }[];
  sdkBaseline?: { overEmptyMs: number | null };
  throughput?: { thisDesign: { cpuPerSecond: number } };
  writes?: { thisDesign: { wcuPer1000: number }; naiveOverThisDesign: number };
  rollup?: { events: number; readUnitsPer1000: number; cpuSeconds: number; peakRssMB: number };
  monthlyCost?: { thisDesign: { total: number } };
  pass?: Record<string, boolean>;
  files?: number;
  scores?: { standard?: number };
  totalSeconds?: number;
  pairs?: number;
  reconcile?: { pairsPerSecond: number; readUnitsPerPair: number; peakRssMB: number; plantedProblemsFound: boolean };
  throughputVsPlainScan?: number;
  renderMsMedian?: number;
  htmlBytes?: number;
  mimeBytes?: number;
  withinTargets?: boolean;
  precision?: number;
  recall?: number;
  chosenSensitivity?: number;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

const BENCHES: Record<string, Bench> = {
  coldstart: {
    quick: ['--runs=3'],
    headline: ({ functions = [], sdkBaseline }) => {
      const worst = functions.reduce((a, b) => ((b.overEmptyMs ?? 0) > (a.overEmptyMs ?? 0) ? b : a));
      const largest = functions.reduce((a, b) => (b.bundleKB > a.bundleKB ? b : a));
      return [
        `largest bundle ${largest.bundleKB} KB (${largest.name})`,
        `slowest load +${worst.overEmptyMs} ms over empty (${worst.name}; SDK alone +${sdkBaseline?.overEmptyMs} ms)`,
        `${functions.filter((f) => f.pass).length}/${functions.length} within budget`,
      ].join(', ');
    },
  },
  ingest: {
    quick: ['--events', '10000', '--throughput-events', '20000', '--ingest-events', '2000'],
    headline: ({ throughput, writes, rollup, monthlyCost, pass = {} }) => {
      const failed = Object.keys(pass).filter((k) => !pass[k]);
      return [
        `${n(throughput!.thisDesign.cpuPerSecond)} events/CPU-s`,
        `${writes!.thisDesign.wcuPer1000} WCU/1000 events (naive ${writes!.naiveOverThisDesign}x)`,
        `rollup of ${n(rollup!.events)}: ${rollup!.readUnitsPer1000} RCU/1000, ${rollup!.cpuSeconds} CPU-s, ${rollup!.peakRssMB} MB`,
        `$${monthlyCost!.thisDesign.total}/month at 1M/day`,
        failed.length ? `targets missed: ${failed.join(', ')}` : 'all targets met',
      ].join(', ');
    },
  },
  anomaly: {
    quick: [],
    headline: ({ scores, files, totalSeconds }) =>
      `NAB standard score ${scores?.standard ?? '- (no labels)'} over ${files} series in ${totalSeconds} s`,
  },
  kpi: {
    quick: ['--series', '60'],
    headline: ({ precision, recall, chosenSensitivity }) =>
      `KPI deviation rule on held-out seeds: precision ${precision}, recall ${recall} (sensitivity ${chosenSensitivity})`,
  },
  reconcile: {
    quick: ['--pairs', '10000', '--passes', 'reconcile,plain-scan'],
    headline: ({ pairs, reconcile, throughputVsPlainScan }) =>
      [
        `${n(pairs!)} pairs at ${n(reconcile!.pairsPerSecond)} pairs/s (${throughputVsPlainScan}x a plain scan)`,
        `${reconcile!.readUnitsPerPair} RU/pair, ${reconcile!.peakRssMB} MB peak RSS`,
        reconcile!.plantedProblemsFound ? 'all planted problems found' : 'PLANTED PROBLEMS MISSED',
      ].join(', '),
  },
  report: {
    quick: ['--runs=10'],
    headline: ({ renderMsMedian, htmlBytes, mimeBytes, withinTargets }) =>
      `render median ${renderMsMedian} ms, HTML ${kb(htmlBytes!)}, MIME ${kb(mimeBytes!)}, ${withinTargets ? 'within targets' : 'OVER TARGET'}`,
  },
};

type Outcome =
  | { ok: true; seconds: number; headline: string; result: Result }
  | { ok: false; seconds: number; error: string }
  /** Not run: an input it needs is not on this machine (not a failure). */
  | { ok: false; skipped: true; seconds: 0; error: string };

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    nab: { type: 'string', default: DEFAULT_NAB_DIR },
  },
});
const nabDir = resolve(args.nab);
const names = args.only ? args.only.split(',').map((s) => s.trim()) : Object.keys(BENCHES);
const unknown = names.filter((name) => !(name in BENCHES));
if (unknown.length > 0 || names.length === 0) {
  console.error(`--only: unknown benchmark ${unknown.join(', ')} (known: ${Object.keys(BENCHES).join(', ')})`);
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const outcomes: Record<string, Outcome> = {};
for (const name of names) {
  const bench = BENCHES[name]!;
  if (name === 'anomaly') {
    const missing = nabDataProblem(nabDir);
    if (missing !== undefined) {
      const error = `no NAB data at ${nabDir}: pass --nab DIR (the data comes from ${NAB_SOURCE})`;
      outcomes[name] = { ok: false, skipped: true, seconds: 0, error };
      console.error(`\n=== ${name}: skipped\n${missing}`);
      continue;
    }
  }
  const extra = name === 'anomaly' ? ['--nab', nabDir] : [];
  const argv = [`bench/${name}.ts`, '--json', ...extra, ...(args.quick ? bench.quick : [])];
  console.error(`\n=== ${name}: node ${argv.join(' ')}`);
  const started = performance.now();
  const { code, stdout, stderr } = await run(argv);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  let outcome: Outcome;
  try {
    if (code !== 0) throw new Error(`exit ${code}: ${errorLine(stderr)}`);
    if (!last.startsWith('{')) throw new Error('printed no JSON result');
    const result = JSON.parse(last) as Result;
    let headline: string;
    try {
      headline = bench.headline(result);
    } catch (error) {
      throw new Error(`its JSON result lacks a headline figure (${(error as Error).message})`);
    }
    outcome = { ok: true, seconds, headline, result };
  } catch (error) {
    outcome = { ok: false, seconds, error: (error as Error).message };
  }
  outcomes[name] = outcome;
  console.error(`=== ${name}: ${outcome.ok ? 'done' : `FAILED (${outcome.error})`} in ${seconds} s`);
}

if (args.json) {
  console.log(JSON.stringify(outcomes));
} else {
  const rows = Object.entries(outcomes).map(([name, o]) => [
    name,
    o.ok ? 'ok' : 'skipped' in o ? 'skipped' : 'FAILED',
    `${o.seconds} s`,
    o.ok ? o.headline : o.error,
  ]);
  const header = ['benchmark', 'status', 'time', 'headline figures'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  console.log(`\nbenchmarks${args.quick ? ' (--quick: small sizes, figures are indicative only)' : ''}`);
  for (const row of [header, ...rows])
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}
if (Object.values(outcomes).some((o) => !o.ok && !('skipped' in o))) process.exitCode = 1;

/** Runs one benchmark: its stdout is kept (the JSON is its last line), its stderr is passed on as progress. */
function run(argv: string[]): Promise<{ code: number | string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-20_000);
      process.stderr.write(chunk);
    });
    child.on('error', (error) => resolve({ code: -1, stdout, stderr: error.message }));
    child.on('close', (code, signal) => resolve({ code: signal ?? code, stdout, stderr }));
  });
}

/** The error in a failed benchmark's stderr: its first 'SomeError: message' line, else its last line. */
function errorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at ') && !l.startsWith('Node.js '));
  return lines.find((l) => /^(\S+: )?\w*Error: /.test(l)) ?? lines.at(-1) ?? 'no output';
}

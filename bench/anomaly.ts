// Runs the deviation engine over a NAB-layout corpus, writes per-row anomaly scores, and scores them with NAB's rules.
// Usage: node bench/anomaly.ts [--nab DIR] [--out OUTDIR] [--json] [--detail] [--detector engine|gaussian|null]

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createNullDetector, createWindowedGaussian, type PointScorer } from '#shared/anomaly/baselines.ts';
import { createDeviationDetector } from '#shared/anomaly/engine.ts';
import {
  NAB_PROFILE_NAMES,
  type NabFile,
  type NabProfileName,
  parseNabTimestamp,
  parseWindows,
  scoreNab,
} from '#shared/anomaly/nab.ts';

class BenchError extends Error {
  override name = 'BenchError';
}

interface Series {
  name: string;
  rawTimestamps: string[];
  timestamps: number[];
  values: number[];
}

function readSeries(path: string, name: string): Series {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const series: Series = { name, rawTimestamps: [], timestamps: [], values: [] };
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    if (comma < 0) throw new BenchError(`${name}: bad row "${line}"`);
    const raw = line.slice(0, comma);
    const value = Number(line.slice(comma + 1));
    if (!Number.isFinite(value)) throw new BenchError(`${name}: bad value in "${line}"`);
    series.rawTimestamps.push(raw);
    series.timestamps.push(parseNabTimestamp(raw));
    series.values.push(value);
  }
  return series;
}

/** `<category>/<file>.csv` names under DIR/data, sorted for stable output. */
function listSeries(dataDir: string): string[] {
  if (!existsSync(dataDir)) throw new BenchError(`no data directory at ${dataDir}`);
  const names: string[] = [];
  for (const category of readdirSync(dataDir, { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const file of readdirSync(join(dataDir, category.name))) {
      if (file.endsWith('.csv')) names.push(`${category.name}/${file}`);
    }
  }
  return names.sort();
}

function makeDetector(kind: string): PointScorer {
  if (kind === 'engine') return createDeviationDetector();
  if (kind === 'gaussian') return createWindowedGaussian();
  if (kind === 'null') return createNullDetector();
  throw new BenchError(`unknown detector ${kind} (engine, gaussian or null)`);
}

function main(): void {
  const { values: args } = parseArgs({
    options: {
      nab: { type: 'string', default: '../shared/benchmarks/nab' },
      out: { type: 'string', default: 'bench-output/anomaly' },
      json: { type: 'boolean', default: false },
      detail: { type: 'boolean', default: false },
      detector: { type: 'string', default: 'engine' },
    },
  });
  const nabDir = resolve(args.nab);
  const outDir = resolve(args.out);
  const names = listSeries(join(nabDir, 'data'));
  if (names.length === 0) throw new BenchError(`no series under ${nabDir}/data`);

  const started = performance.now();
  let detectMs = 0;
  let rows = 0;
  const scored: Array<{ series: Series; scores: number[] }> = [];
  for (const name of names) {
    const series = readSeries(join(nabDir, 'data', name), name);
    const detector = makeDetector(args.detector);
    const t0 = performance.now();
    const scores = series.values.map(
      (value, i) => detector.update({ timestamp: series.timestamps[i] as number, value }).score,
    );
    detectMs += performance.now() - t0;
    rows += scores.length;
    scored.push({ series, scores });
    const outPath = join(outDir, name);
    mkdirSync(dirname(outPath), { recursive: true });
    const body = series.values.map((v, i) => `${series.rawTimestamps[i]},${v},${scores[i]}`).join('\n');
    writeFileSync(outPath, `timestamp,value,anomaly_score\n${body}\n`);
  }

  const summary: Record<string, unknown> = {
    detector: args.detector,
    files: names.length,
    rows,
    detectSeconds: Number((detectMs / 1000).toFixed(3)),
  };
  const labelsPath = join(nabDir, 'labels', 'combined_windows.json');
  const lines: string[] = [];
  if (existsSync(labelsPath)) {
    const windows = parseWindows(JSON.parse(readFileSync(labelsPath, 'utf8')));
    const files: NabFile[] = scored.map(({ series, scores }) => ({
      name: series.name,
      timestamps: series.timestamps,
      scores,
      windows: windows.get(series.name) ?? [],
    }));
    const results = scoreNab(files);
    const scores: Partial<Record<NabProfileName, number>> = {};
    for (const profile of NAB_PROFILE_NAMES) {
      const r = results[profile];
      scores[profile] = Number(r.score.toFixed(2));
      lines.push(`${profile.padEnd(20)} ${r.score.toFixed(1).padStart(6)}   (threshold ${r.threshold})`);
    }
    summary.scores = scores;
    if (args.detail) {
      for (const f of results.standard.files) {
        lines.push(
          `  ${f.name.padEnd(58)} raw ${f.rawScore.toFixed(2).padStart(7)} tp ${f.truePositives} fn ${f.falseNegatives} fp ${f.falsePositives}`,
        );
      }
    }
  }
  summary.totalSeconds = Number(((performance.now() - started) / 1000).toFixed(3));
  console.log(`NAB (${args.detector}) over ${names.length} files, ${rows} rows`);
  for (const line of lines) console.log(line);
  console.log(`detection ${summary.detectSeconds}s, total ${summary.totalSeconds}s; scores in ${outDir}`);
  if (args.json) console.log(JSON.stringify(summary));
}

main();

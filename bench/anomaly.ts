// Scores the deviation engine on a NAB-layout corpus with NAB's rules, and reports what carries over: the whole set
// (one threshold per profile), each category at that threshold, and leave-one-category-out (LOCO): for each category,
// the engine tuning (from a small grid) and threshold that score best on the other categories, scored on it.
// Usage: node bench/anomaly.ts [--nab DIR] [--out OUTDIR] [--json] [--detail] [--no-loco]
//                              [--detector engine|gaussian|null]
// The NAB data is not in the repository (github.com/numenta/NAB, MIT): --nab DIR names it, default the team's
// ../shared/benchmarks/nab beside the checkout; without it the benchmark says so and exits 1.
// Detection time is measured for the default tuning alone, on one core; the grid runs on worker threads.

import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createNullDetector, createWindowedGaussian, type PointScorer } from '#shared/anomaly/baselines.ts';
import { DEFAULT_TUNING, type EngineTuning } from '#shared/anomaly/engine.ts';
import {
  bestThreshold,
  type LocoResult,
  leaveOneCategoryOut,
  type SweptCorpus,
  scoreSubsetAt,
  scoresByCategory,
  sweepCorpus,
} from '#shared/anomaly/loco.ts';
import { NAB_PROFILE_NAMES, type NabFile, type NabProfileName } from '#shared/anomaly/nab.ts';
import { type Corpus, CorpusError, readCorpus, scoreCorpusWith } from './lib/nab-corpus.ts';
import { DEFAULT_NAB_DIR, nabDataProblem } from './lib/nab-data.ts';

class BenchError extends Error {
  override name = 'BenchError';
}

/**
 * The grid LOCO chooses from: which coarser scales (none, blocks of 16, of 8 and 32, of 16 and 64 points), how many
 * points make a level shift, and how fast the peak surprise that discounts repeats fades (half-life half a day or a
 * day). Small on purpose, and the same for every category; the default tuning is one of its points.
 */
const LOCO_SCALES: ReadonlyArray<readonly number[]> = [[], [16], [8, 32], [16, 64]];
const LOCO_GRID: readonly EngineTuning[] = LOCO_SCALES.flatMap((scales) =>
  [0.5, 1].flatMap((peakHalfLifeDays) =>
    [6, 8].map((shiftSpan) => ({ ...DEFAULT_TUNING, scales, shiftSpan, peakHalfLifeDays })),
  ),
);

/** Published scores (standard / low FP / low FN) on exactly these 36 series, from the corpus README. */
const PUBLISHED: Array<[string, number, number, number]> = [
  ['ARTime', 76.8, 67.8, 82.2],
  ['Numenta HTM', 69.2, 62.4, 73.7],
  ['contextOSE', 69.5, 67.0, 72.5],
  ['KNN-CAD', 57.5, 40.9, 65.1],
];

const round1 = (x: number) => Math.round(x * 10) / 10;
const tuningText = (t: EngineTuning) =>
  `scales ${t.scales.length > 0 ? t.scales.join('+') : 'none'}, shift ${t.shiftSpan}, peak ${t.peakHalfLifeDays} d`;

function baselineScores(corpus: Corpus, kind: string): number[][] {
  const make = (): PointScorer => {
    if (kind === 'gaussian') return createWindowedGaussian();
    if (kind === 'null') return createNullDetector();
    throw new BenchError(`unknown detector ${kind} (engine, gaussian or null)`);
  };
  return corpus.series.map((s) => {
    const d = make();
    return s.values.map((value, i) => d.update({ timestamp: s.timestamps[i] as number, value }).score);
  });
}

function nabFiles(corpus: Corpus, scores: number[][]): NabFile[] {
  return corpus.series.map((s, i) => ({
    name: s.name,
    timestamps: s.timestamps,
    scores: scores[i] as number[],
    windows: s.windows,
  }));
}

/** Scores the corpus once per tuning, on worker threads. */
async function scoreGrid(nabDir: string, grid: readonly EngineTuning[]): Promise<number[][][]> {
  const size = Math.max(1, Math.min(availableParallelism(), grid.length));
  const workers = Array.from(
    { length: size },
    () => new Worker(new URL('./lib/anomaly-worker.ts', import.meta.url), { workerData: { nabDir } }),
  );
  const results: number[][][] = new Array(grid.length);
  let next = 0;
  try {
    await Promise.all(
      workers.map(async (worker) => {
        while (next < grid.length) {
          const id = next++;
          results[id] = await new Promise<number[][]>((resolveScores, reject) => {
            worker.once('message', (m: { id: number; scores: number[][] }) => resolveScores(m.scores));
            worker.once('error', reject);
            worker.postMessage({ id, tuning: grid[id] });
          });
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

function writeScores(outDir: string, corpus: Corpus, scores: number[][]): void {
  corpus.series.forEach((s, i) => {
    const outPath = join(outDir, s.name);
    mkdirSync(dirname(outPath), { recursive: true });
    const row = scores[i] as number[];
    const body = s.values.map((v, k) => `${s.rawTimestamps[k]},${v},${row[k]}`).join('\n');
    writeFileSync(outPath, `timestamp,value,anomaly_score\n${body}\n`);
  });
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      nab: { type: 'string', default: DEFAULT_NAB_DIR },
      out: { type: 'string', default: 'bench-output/anomaly' },
      json: { type: 'boolean', default: false },
      detail: { type: 'boolean', default: false },
      'no-loco': { type: 'boolean', default: false },
      detector: { type: 'string', default: 'engine' },
    },
  });
  const nabDir = resolve(args.nab);
  const missing = nabDataProblem(nabDir);
  if (missing !== undefined) throw new BenchError(missing);
  const started = performance.now();
  const corpus = readCorpus(nabDir);
  const engine = args.detector === 'engine';

  let scores: number[][];
  let detectMs = 0;
  if (engine) {
    const run = scoreCorpusWith(corpus, DEFAULT_TUNING);
    scores = run.scores;
    detectMs = run.ms;
  } else {
    const t0 = performance.now();
    scores = baselineScores(corpus, args.detector);
    detectMs = performance.now() - t0;
  }
  writeScores(resolve(args.out), corpus, scores);

  const lines: string[] = [
    `NAB (${engine ? 'deviation engine, default tuning' : args.detector}) over ${corpus.series.length} series, ` +
      `${corpus.rows.toLocaleString('en-US')} rows: detection ${(detectMs / 1000).toFixed(2)} s on one core`,
  ];
  const summary: Record<string, unknown> = {
    detector: args.detector,
    files: corpus.series.length,
    rows: corpus.rows,
    detectSeconds: Math.round(detectMs / 10) / 100,
  };

  if (corpus.labelled) {
    const swept = Object.fromEntries(
      NAB_PROFILE_NAMES.map((p) => [p, sweepCorpus(nabFiles(corpus, scores), p)]),
    ) as Record<NabProfileName, SweptCorpus>;
    const whole: Partial<Record<NabProfileName, number>> = {};
    const thresholds: Partial<Record<NabProfileName, number>> = {};
    for (const p of NAB_PROFILE_NAMES) {
      const threshold = bestThreshold(swept[p], () => true);
      thresholds[p] = threshold;
      whole[p] = round1(scoreSubsetAt(swept[p], () => true, threshold).score);
    }
    summary.scores = whole;
    summary.thresholds = thresholds;
    lines.push('', 'whole set (one threshold per profile)           standard  low FP  low FN');
    const row = (name: string, s: number, f: number, n: number) =>
      `  ${name.padEnd(46)}${s.toFixed(1).padStart(8)}${f.toFixed(1).padStart(8)}${n.toFixed(1).padStart(8)}`;
    lines.push(
      row(`Nightshift (${args.detector})`, whole.standard!, whole.reward_low_FP_rate!, whole.reward_low_FN_rate!),
    );
    for (const [name, s, f, n] of PUBLISHED) lines.push(row(`${name} (published)`, s, f, n));

    const byCategory: Record<string, Record<string, number>> = {};
    for (const p of NAB_PROFILE_NAMES) {
      for (const [category, r] of Object.entries(scoresByCategory(swept[p], thresholds[p]!))) {
        byCategory[category] ??= {};
        (byCategory[category] as Record<string, number>)[p] = round1(r.score);
      }
    }
    summary.byCategory = byCategory;
    lines.push('', 'per category (at the whole-set threshold)       standard  low FP  low FN');
    for (const [category, s] of Object.entries(byCategory)) {
      lines.push(row(category, s.standard!, s.reward_low_FP_rate!, s.reward_low_FN_rate!));
    }

    if (args.detail) {
      lines.push('', `per series (standard, threshold ${thresholds.standard})`);
      for (const f of swept.standard.files) {
        const r = scoreSubsetAt(swept.standard, (x) => x === f, thresholds.standard!);
        lines.push(
          `  ${f.name.padEnd(58)} raw ${r.rawScore.toFixed(2).padStart(6)} tp ${r.truePositives}/${r.windows} fp ${r.falsePositives}`,
        );
      }
    }

    if (engine && !args['no-loco']) {
      const gridScores = await scoreGrid(nabDir, LOCO_GRID);
      const loco: Partial<Record<NabProfileName, LocoResult>> = {};
      for (const p of NAB_PROFILE_NAMES) {
        loco[p] = leaveOneCategoryOut(gridScores.map((s) => sweepCorpus(nabFiles(corpus, s), p)));
      }
      summary.loco = Object.fromEntries(
        NAB_PROFILE_NAMES.map((p) => [
          p,
          {
            mean: round1(loco[p]!.mean),
            folds: loco[p]!.folds.map((f) => ({
              category: f.category,
              tuning: LOCO_GRID[f.chosen],
              threshold: f.threshold,
              trainScore: round1(f.trainScore),
              score: round1(f.score),
            })),
          },
        ]),
      );
      summary.locoGrid = LOCO_GRID;
      lines.push(
        '',
        `leave one category out: tuning (grid of ${LOCO_GRID.length}: scales none/16/8+32/16+64 x peak half-life 0.5/1 d x shift span 6/8) and`,
        'threshold chosen on the other categories, then scored on the left-out one',
      );
      lines.push(`  ${'left out'.padEnd(24)}${'chosen (standard)'.padEnd(36)}train  standard  low FP  low FN`);
      const folds = loco.standard!.folds;
      folds.forEach((f, i) => {
        const other = (p: NabProfileName) => loco[p]!.folds[i]!.score.toFixed(1).padStart(8);
        lines.push(
          `  ${f.category.padEnd(24)}${tuningText(LOCO_GRID[f.chosen]!).padEnd(36)}${f.trainScore.toFixed(1).padStart(5)}` +
            `${f.score.toFixed(1).padStart(10)}${other('reward_low_FP_rate')}${other('reward_low_FN_rate')}`,
        );
      });
      lines.push(
        `  ${'mean'.padEnd(65)}${loco.standard!.mean.toFixed(1).padStart(10)}` +
          `${loco.reward_low_FP_rate!.mean.toFixed(1).padStart(8)}${loco.reward_low_FN_rate!.mean.toFixed(1).padStart(8)}`,
      );
    }
  }
  summary.totalSeconds = Math.round((performance.now() - started) / 100) / 10;
  lines.push('', `total ${summary.totalSeconds} s; scores in ${resolve(args.out)}`);
  console.log(lines.join('\n'));
  if (args.json) console.log(JSON.stringify(summary));
}

try {
  await main();
} catch (error) {
  // A missing or malformed corpus is the user's to fix: said plainly, without a stack trace.
  if (!(error instanceof BenchError || error instanceof CorpusError)) throw error;
  console.error(`bench:anomaly: ${error.message}`);
  process.exitCode = 1;
}

// Reads a NAB-layout corpus (DIR/data/<category>/<file>.csv, DIR/labels/combined_windows.json) into memory, for the
// anomaly benchmark and its leave-one-category-out loop.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDeviationDetector, type EngineTuning } from '#shared/anomaly/engine.ts';
import { type NabWindow, parseNabTimestamp, parseWindows } from '#shared/anomaly/nab.ts';

export class CorpusError extends Error {
  override name = 'CorpusError';
}

export interface Series {
  /** `<category>/<file>.csv`. */
  name: string;
  category: string;
  rawTimestamps: string[];
  timestamps: number[];
  values: number[];
  /** Labelled windows; empty when the corpus has no labels. */
  windows: NabWindow[];
}

export interface Corpus {
  series: Series[];
  labelled: boolean;
  rows: number;
}

function readSeries(path: string, name: string, windows: NabWindow[]): Series {
  const series: Series = {
    name,
    category: name.split('/')[0] as string,
    rawTimestamps: [],
    timestamps: [],
    values: [],
    windows,
  };
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/).slice(1)) {
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    if (comma < 0) throw new CorpusError(`${name}: bad row "${line}"`);
    const raw = line.slice(0, comma);
    const value = Number(line.slice(comma + 1));
    if (!Number.isFinite(value)) throw new CorpusError(`${name}: bad value in "${line}"`);
    series.rawTimestamps.push(raw);
    series.timestamps.push(parseNabTimestamp(raw));
    series.values.push(value);
  }
  return series;
}

/** `<category>/<file>.csv` names under DIR/data, sorted for stable output. */
function listSeries(dataDir: string): string[] {
  if (!existsSync(dataDir)) throw new CorpusError(`no data directory at ${dataDir}`);
  const names: string[] = [];
  for (const category of readdirSync(dataDir, { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const file of readdirSync(join(dataDir, category.name))) {
      if (file.endsWith('.csv')) names.push(`${category.name}/${file}`);
    }
  }
  return names.sort();
}

export function readCorpus(dir: string): Corpus {
  const names = listSeries(join(dir, 'data'));
  if (names.length === 0) throw new CorpusError(`no series under ${dir}/data`);
  const labelsPath = join(dir, 'labels', 'combined_windows.json');
  const labelled = existsSync(labelsPath);
  const windows = labelled ? parseWindows(JSON.parse(readFileSync(labelsPath, 'utf8'))) : new Map<string, never[]>();
  const series = names.map((name) => readSeries(join(dir, 'data', name), name, windows.get(name) ?? []));
  return { series, labelled, rows: series.reduce((n, s) => n + s.values.length, 0) };
}

/** Runs the deviation engine with one tuning over every series, each from a fresh detector. */
export function scoreCorpusWith(corpus: Corpus, tuning: Partial<EngineTuning>): { scores: number[][]; ms: number } {
  const started = performance.now();
  const scores = corpus.series.map((s) => {
    const detector = createDeviationDetector({ tuning });
    return s.values.map((value, i) => detector.update({ timestamp: s.timestamps[i] as number, value }).score);
  });
  return { scores, ms: performance.now() - started };
}

// Where the anomaly benchmark finds the Numenta Anomaly Benchmark's data, and what to say when it is not there: the
// data is not part of this repository (see README, "Benchmarks").
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Looked at without --nab: the team's shared folder beside a checkout of this repository. */
export const DEFAULT_NAB_DIR = '../shared/benchmarks/nab';

export const NAB_SOURCE = 'https://github.com/numenta/NAB (MIT)';

/**
 * What is missing when `dir` holds no NAB-layout corpus (`data/<category>/*.csv`), with where to get one and how to
 * pass it; undefined when it holds one. Labels (`labels/combined_windows.json`) are optional: without them the
 * benchmark scores nothing but still times detection.
 */
export function nabDataProblem(dir: string): string | undefined {
  const data = join(dir, 'data');
  const categories = existsSync(data)
    ? readdirSync(data, { withFileTypes: true }).filter((entry) => entry.isDirectory())
    : [];
  if (categories.some((c) => readdirSync(join(data, c.name)).some((file) => file.endsWith('.csv')))) return undefined;
  const found = existsSync(dir) ? `${data} holds no <category>/*.csv series` : `${dir} does not exist`;
  return [
    `no NAB data: ${found}.`,
    `The Numenta Anomaly Benchmark's data is not part of this repository; it comes from ${NAB_SOURCE}.`,
    'Pass a directory with its data/<category>/*.csv series and labels/combined_windows.json:',
    '  npm run bench:anomaly -- --nab DIR',
  ].join('\n');
}

// Scores anomaly detectors the way the Numenta Anomaly Benchmark (NAB) does: windowed, time-weighted credit,
// per-profile costs, one threshold swept over the whole corpus, normalised so never-firing = 0 and perfect = 100.

export type NabProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** Cost matrices from NAB's config/profiles.json. */
export const NAB_PROFILES: Readonly<Record<NabProfileName, CostMatrix>> = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

export const NAB_PROFILE_NAMES: readonly NabProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** One labelled anomaly window, inclusive, as epoch milliseconds. */
export interface NabWindow {
  start: number;
  end: number;
}

/** One data file as the scorer sees it: row timestamps, the detector's score per row, and its labelled windows. */
export interface NabFile {
  name: string;
  timestamps: readonly number[];
  scores: readonly number[];
  windows: readonly NabWindow[];
}

export interface NabFileResult {
  name: string;
  rawScore: number;
  truePositives: number;
  falseNegatives: number;
  falsePositives: number;
}

export interface NabProfileResult {
  profile: NabProfileName;
  threshold: number;
  rawScore: number;
  nullScore: number;
  perfectScore: number;
  /** 100 * (raw - null) / (perfect - null). */
  score: number;
  files: NabFileResult[];
}

export class NabScoringError extends Error {
  override name = 'NabScoringError';
}

const PROBATION_PERCENT = 0.15;
/** NAB caps the probationary period at 15% of 5000 rows. */
const PROBATION_CAP = PROBATION_PERCENT * 5000;

/** Rows at the start of a file whose detections are ignored while the detector learns. */
export function probationaryLength(rows: number): number {
  return Math.min(Math.floor(PROBATION_PERCENT * rows), PROBATION_CAP);
}

/**
 * NAB's scaled sigmoid: +0.987 at a window's left edge (y = -1), 0 at its right edge, falling to -1 for false
 * positives far behind a window (y >= 3).
 */
export function scaledSigmoid(y: number): number {
  if (y >= 3) return -1;
  return 2 / (1 + Math.exp(5 * y)) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/** A scorable row: its detector score, what detecting it is worth, and which window (if any) it falls in. */
export interface SweepRow {
  anomalyScore: number;
  sweepScore: number;
  /** Window key `file|index`, or null when the row lies outside every window. */
  window: string | null;
}

/** Row index of the first timestamp >= t (timestamps ascending). */
function lowerBound(timestamps: readonly number[], t: number): number {
  let lo = 0;
  let hi = timestamps.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((timestamps[mid] as number) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Window boundaries as inclusive row indices; windows that cover no row are dropped. */
export function windowIndices(timestamps: readonly number[], windows: readonly NabWindow[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const w of [...windows].sort((a, b) => a.start - b.start)) {
    const left = lowerBound(timestamps, w.start);
    const right = lowerBound(timestamps, w.end + 1) - 1;
    if (right >= left) out.push([left, right]);
  }
  return out;
}

/**
 * What a detection at each row would be worth, following NAB's sweeper: inside a window the scaled sigmoid of the
 * relative position (earlier is worth more), outside it a false-positive cost that is small just after a window
 * and full elsewhere. Probationary rows are dropped.
 */
export function sweepFile(file: NabFile, costs: CostMatrix): SweepRow[] {
  const { timestamps, scores } = file;
  if (timestamps.length !== scores.length) {
    throw new NabScoringError(`${file.name}: ${timestamps.length} timestamps but ${scores.length} scores`);
  }
  const windows = windowIndices(timestamps, file.windows);
  const probation = probationaryLength(timestamps.length);
  const rows: SweepRow[] = [];
  let next = 0; // next window not yet passed
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < timestamps.length; i++) {
    const w = windows[next];
    let sweepScore: number;
    let window: string | null = null;
    if (w && i >= w[0]) {
      const width = w[1] - w[0] + 1;
      sweepScore = (scaledSigmoid(-(w[1] - i + 1) / width) * costs.tpWeight) / MAX_TP;
      window = `${file.name}|${next}`;
      if (i === w[1]) {
        prevRight = w[1];
        prevWidth = width;
        next++;
      }
    } else {
      // A one-row window would divide by zero; NAB never has one, so treat it as "far behind".
      const y = prevRight < 0 || prevWidth <= 1 ? 3 : Math.abs(i - prevRight) / (prevWidth - 1);
      sweepScore = scaledSigmoid(y) * costs.fpWeight;
    }
    if (i >= probation) rows.push({ anomalyScore: scores[i] as number, sweepScore, window });
  }
  return rows;
}

export interface ThresholdScore {
  /** Detections are rows with anomalyScore >= threshold. */
  threshold: number;
  score: number;
}

/**
 * Raw score at every distinct threshold, highest first, over rows from any number of files. Only the most valuable
 * (earliest) detection in a window counts; every detected row outside windows adds its (negative) cost.
 */
export function scoresByThreshold(rows: readonly SweepRow[], costs: CostMatrix): ThresholdScore[] {
  const sorted = [...rows].sort((a, b) => b.anomalyScore - a.anomalyScore);
  const best = new Map<string, number>();
  for (const r of sorted) if (r.window !== null) best.set(r.window, -costs.fnWeight);
  let windowsPart = -costs.fnWeight * best.size;
  let fpPart = 0;
  // Above every score nothing fires: all windows are misses.
  const out: ThresholdScore[] = [{ threshold: Number.POSITIVE_INFINITY, score: windowsPart }];
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i] as SweepRow;
    if (r.window === null) fpPart += r.sweepScore;
    else {
      const prev = best.get(r.window) as number;
      if (r.sweepScore > prev) {
        windowsPart += r.sweepScore - prev;
        best.set(r.window, r.sweepScore);
      }
    }
    const nextRow = sorted[i + 1];
    if (!nextRow || nextRow.anomalyScore !== r.anomalyScore) {
      out.push({ threshold: r.anomalyScore, score: windowsPart + fpPart });
    }
  }
  return out;
}

/** The threshold with the best summed raw score; ties go to the higher threshold (fewer detections). */
export function optimiseThreshold(rows: readonly SweepRow[], costs: CostMatrix): ThresholdScore {
  let best: ThresholdScore | undefined;
  for (const t of scoresByThreshold(rows, costs)) if (!best || t.score > best.score) best = t;
  return best as ThresholdScore;
}

/** Raw score and counts of one file's rows at a fixed threshold. */
export function scoreRowsAt(name: string, rows: readonly SweepRow[], costs: CostMatrix, threshold: number) {
  const best = new Map<string, number>();
  for (const r of rows) if (r.window !== null) best.set(r.window, -costs.fnWeight);
  let falsePositives = 0;
  let fpPart = 0;
  for (const r of rows) {
    if (r.anomalyScore < threshold) continue;
    if (r.window === null) {
      falsePositives++;
      fpPart += r.sweepScore;
    } else if (r.sweepScore > (best.get(r.window) as number)) best.set(r.window, r.sweepScore);
  }
  let windowsPart = 0;
  let truePositives = 0;
  for (const v of best.values()) {
    windowsPart += v;
    if (v !== -costs.fnWeight) truePositives++;
  }
  return {
    name,
    rawScore: windowsPart + fpPart,
    truePositives,
    falseNegatives: best.size - truePositives,
    falsePositives,
    windows: best.size,
  };
}

/** Scores a corpus for one profile: sweeps one threshold over all files, then normalises against null and perfect. */
export function scoreCorpus(files: readonly NabFile[], profile: NabProfileName): NabProfileResult {
  const costs = NAB_PROFILES[profile];
  const perFile = files.map((f) => ({ name: f.name, rows: sweepFile(f, costs) }));
  const { threshold, score: rawScore } = optimiseThreshold(
    perFile.flatMap((f) => f.rows),
    costs,
  );
  const results = perFile.map((f) => scoreRowsAt(f.name, f.rows, costs, threshold));
  const windows = results.reduce((n, r) => n + r.windows, 0);
  const nullScore = -costs.fnWeight * windows;
  const perfectScore = costs.tpWeight * windows;
  if (perfectScore === nullScore) throw new NabScoringError('the corpus has no scorable anomaly window');
  return {
    profile,
    threshold,
    rawScore,
    nullScore,
    perfectScore,
    score: (100 * (rawScore - nullScore)) / (perfectScore - nullScore),
    files: results.map(({ windows: _w, ...r }) => r),
  };
}

/** Scores a corpus under all three NAB profiles. */
export function scoreNab(files: readonly NabFile[]): Record<NabProfileName, NabProfileResult> {
  return {
    standard: scoreCorpus(files, 'standard'),
    reward_low_FP_rate: scoreCorpus(files, 'reward_low_FP_rate'),
    reward_low_FN_rate: scoreCorpus(files, 'reward_low_FN_rate'),
  };
}

/** NAB timestamps ('2014-04-10 07:15:00' or with '.000000') are zone-less; read them as UTC. */
export function parseNabTimestamp(text: string): number {
  const iso = `${text
    .trim()
    .replace(' ', 'T')
    .replace(/\.\d+$/, '')}Z`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new NabScoringError(`bad NAB timestamp: ${text}`);
  return t;
}

/** Reads combined_windows.json content into windows per `<category>/<file>.csv`. */
export function parseWindows(json: unknown): Map<string, NabWindow[]> {
  if (typeof json !== 'object' || json === null) throw new NabScoringError('windows file is not an object');
  const out = new Map<string, NabWindow[]>();
  for (const [name, list] of Object.entries(json)) {
    if (!Array.isArray(list)) throw new NabScoringError(`windows of ${name} are not a list`);
    out.set(
      name,
      list.map((pair: unknown) => {
        if (!Array.isArray(pair) || pair.length !== 2) throw new NabScoringError(`bad window in ${name}`);
        return { start: parseNabTimestamp(String(pair[0])), end: parseNabTimestamp(String(pair[1])) };
      }),
    );
  }
  return out;
}

// What carries over: NAB scores per category at the corpus threshold, and leave-one-category-out (LOCO) selection,
// where each category is scored with the settings and threshold chosen on the other categories only.
import {
  type CostMatrix,
  NAB_PROFILES,
  type NabFile,
  type NabProfileName,
  NabScoringError,
  optimiseThreshold,
  type SweepRow,
  scoreRowsAt,
  sweepFile,
} from './nab.ts';

/** `realTweets/Twitter_volume_AAPL.csv` -> `realTweets`. */
export function categoryOf(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/** A corpus swept once per profile, so thresholds and subsets can be scored without sweeping again. */
export interface SweptCorpus {
  profile: NabProfileName;
  costs: CostMatrix;
  files: Array<{ name: string; category: string; rows: SweptRows }>;
}

type SweptRows = SweepRow[];

export function sweepCorpus(files: readonly NabFile[], profile: NabProfileName): SweptCorpus {
  const costs = NAB_PROFILES[profile];
  return {
    profile,
    costs,
    files: files.map((f) => ({ name: f.name, category: categoryOf(f.name), rows: sweepFile(f, costs) })),
  };
}

export interface SubsetScore {
  /** Normalised: 100 * (raw - null) / (perfect - null). */
  score: number;
  rawScore: number;
  windows: number;
  truePositives: number;
  falsePositives: number;
}

/** Normalised score of some files of a swept corpus at a fixed threshold. */
export function scoreSubsetAt(
  corpus: SweptCorpus,
  keep: (file: { name: string; category: string }) => boolean,
  threshold: number,
): SubsetScore {
  let rawScore = 0;
  let windows = 0;
  let truePositives = 0;
  let falsePositives = 0;
  for (const f of corpus.files) {
    if (!keep(f)) continue;
    const r = scoreRowsAt(f.name, f.rows, corpus.costs, threshold);
    rawScore += r.rawScore;
    windows += r.windows;
    truePositives += r.truePositives;
    falsePositives += r.falsePositives;
  }
  if (windows === 0) throw new NabScoringError('no scorable anomaly window in the subset');
  const nullScore = -corpus.costs.fnWeight * windows;
  const perfectScore = corpus.costs.tpWeight * windows;
  return {
    score: (100 * (rawScore - nullScore)) / (perfectScore - nullScore),
    rawScore,
    windows,
    truePositives,
    falsePositives,
  };
}

/** The threshold that maximises the summed raw score of some files (ties go to the higher threshold). */
export function bestThreshold(corpus: SweptCorpus, keep: (file: { category: string }) => boolean): number {
  return optimiseThreshold(
    corpus.files.filter(keep).flatMap((f) => f.rows),
    corpus.costs,
  ).threshold;
}

export function categoriesOf(corpus: SweptCorpus): string[] {
  return [...new Set(corpus.files.map((f) => f.category))].sort();
}

/** Score of each category at one threshold (the corpus-wide one, for the per-category table). */
export function scoresByCategory(corpus: SweptCorpus, threshold: number): Record<string, SubsetScore> {
  const out: Record<string, SubsetScore> = {};
  for (const category of categoriesOf(corpus)) {
    out[category] = scoreSubsetAt(corpus, (f) => f.category === category, threshold);
  }
  return out;
}

export interface LocoFold {
  /** The category left out. */
  category: string;
  /** Index of the candidate chosen on the other categories. */
  chosen: number;
  /** Threshold chosen on the other categories with the chosen candidate. */
  threshold: number;
  /** The chosen candidate's normalised score on the other categories. */
  trainScore: number;
  /** Its score on the left-out category, at that threshold. */
  score: number;
}

export interface LocoResult {
  profile: NabProfileName;
  folds: LocoFold[];
  /** Mean of the left-out scores. */
  mean: number;
}

/**
 * Leave-one-category-out: for each category, the candidate (one swept corpus per setting of a grid) and threshold
 * that score best on the other categories are chosen, then scored on the left-out category. Every candidate must
 * hold the same files.
 */
export function leaveOneCategoryOut(candidates: readonly SweptCorpus[]): LocoResult {
  const first = candidates[0];
  if (!first) throw new NabScoringError('no candidate settings to choose from');
  const folds: LocoFold[] = [];
  for (const category of categoriesOf(first)) {
    const train = (f: { category: string }) => f.category !== category;
    let best: { chosen: number; threshold: number; trainScore: number } | undefined;
    candidates.forEach((c, i) => {
      const threshold = bestThreshold(c, train);
      const trainScore = scoreSubsetAt(c, train, threshold).score;
      if (!best || trainScore > best.trainScore) best = { chosen: i, threshold, trainScore };
    });
    const chosen = best as NonNullable<typeof best>;
    const corpus = candidates[chosen.chosen] as SweptCorpus;
    const score = scoreSubsetAt(corpus, (f) => f.category === category, chosen.threshold).score;
    folds.push({ category, ...chosen, score });
  }
  return { profile: first.profile, folds, mean: folds.reduce((s, f) => s + f.score, 0) / folds.length };
}

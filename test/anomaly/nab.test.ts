import { describe, expect, it } from 'vitest';
import {
  NAB_PROFILES,
  type NabFile,
  NabScoringError,
  parseNabTimestamp,
  parseWindows,
  probationaryLength,
  scaledSigmoid,
  scoreCorpus,
  scoreNab,
  sweepFile,
} from '#shared/anomaly/nab.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** A 1000-row, one-minute file with one window over rows 500..599 (probation = 150 rows). */
function file(detections: Record<number, number>, name = 'cat/a.csv', rows = 1000): NabFile {
  const timestamps = Array.from({ length: rows }, (_, i) => T0 + i * MINUTE);
  const scores = timestamps.map((_, i) => detections[i] ?? 0);
  return { name, timestamps, scores, windows: [{ start: T0 + 500 * MINUTE, end: T0 + 599 * MINUTE }] };
}

describe('NAB scoring rules', () => {
  it('computes the probationary period as 15% of the rows, capped at 750', () => {
    expect(probationaryLength(1000)).toBe(150);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(22695)).toBe(750);
  });

  it('scales the sigmoid from about +1 at a window start through 0 at its end to -1 far behind it', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('scores a perfect detector 100 and the null detector 0 under every profile', () => {
    const perfect = scoreNab([file({ 500: 1 })]);
    const nothing = scoreNab([file({})]);
    for (const profile of ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const) {
      expect(perfect[profile].score).toBeCloseTo(100, 9);
      expect(nothing[profile].score).toBeCloseTo(0, 9);
    }
  });

  it('rewards a detection at the window start more than one at its end', () => {
    const early = scoreCorpus([file({ 505: 1 })], 'standard');
    const late = scoreCorpus([file({ 595: 1 })], 'standard');
    expect(early.rawScore).toBeGreaterThan(late.rawScore);
    expect(late.rawScore).toBeGreaterThan(0);
    expect(early.files[0]?.truePositives).toBe(1);
  });

  it('counts only the earliest detection in a window', () => {
    const once = scoreCorpus([file({ 520: 1 })], 'standard');
    const many = scoreCorpus([file({ 520: 1, 530: 1, 560: 1, 590: 1 })], 'standard');
    expect(many.rawScore).toBeCloseTo(once.rawScore, 12);
  });

  it('ignores detections in the probationary period', () => {
    const result = scoreCorpus([file({ 10: 1, 100: 1, 149: 1, 500: 1 })], 'standard');
    expect(result.score).toBeCloseTo(100, 9);
    expect(result.files[0]?.falsePositives).toBe(0);
  });

  it('charges each false positive by profile weight, less just after a window', () => {
    const standard = scoreCorpus([file({ 200: 1, 500: 1 })], 'standard');
    const lowFp = scoreCorpus([file({ 200: 1, 500: 1 })], 'reward_low_FP_rate');
    // Before the first window a false positive costs its full weight.
    expect(standard.rawScore).toBeCloseTo(1 - NAB_PROFILES.standard.fpWeight, 12);
    expect(lowFp.rawScore).toBeCloseTo(1 - NAB_PROFILES.reward_low_FP_rate.fpWeight, 12);
    expect(standard.files[0]?.falsePositives).toBe(1);
    const rows = sweepFile(file({}), NAB_PROFILES.standard);
    const justAfter = rows.find((_, k) => k === 610 - 150)?.sweepScore ?? 0;
    const farAfter = rows.find((_, k) => k === 990 - 150)?.sweepScore ?? 0;
    expect(justAfter).toBeLessThan(0);
    expect(justAfter).toBeGreaterThan(farAfter);
    expect(farAfter).toBeCloseTo(-NAB_PROFILES.standard.fpWeight, 12);
  });

  it('weighs missed windows double under reward_low_FN_rate', () => {
    const result = scoreCorpus([file({ 500: 1 }, 'a.csv'), file({}, 'b.csv')], 'reward_low_FN_rate');
    expect(result.nullScore).toBe(-4);
    expect(result.perfectScore).toBe(2);
    expect(result.rawScore).toBeCloseTo(1 - 2, 12);
  });

  it('picks one threshold for the whole corpus', () => {
    // File a: its window scores 0.6 but noise scores 0.7 on many rows; file b: a clean 0.8 detection.
    const noisy: Record<number, number> = { 520: 0.6 };
    for (let i = 200; i < 260; i++) noisy[i] = 0.7;
    const result = scoreCorpus([file(noisy, 'a.csv'), file({ 510: 0.8 }, 'b.csv')], 'standard');
    // Going down to 0.6 would pay for 60 false positives to catch a's window: the best threshold stops at 0.8.
    expect(result.threshold).toBe(0.8);
    expect(result.files.map((f) => f.truePositives)).toEqual([0, 1]);
  });

  it('reads NAB timestamps and windows as UTC', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    expect(parseNabTimestamp('2014-04-10 07:15:00')).toBe(Date.UTC(2014, 3, 10, 7, 15));
    const windows = parseWindows({ 'c/f.csv': [['2014-04-10 07:15:00.000000', '2014-04-11 16:45:00.000000']] });
    expect(windows.get('c/f.csv')).toEqual([
      { start: Date.UTC(2014, 3, 10, 7, 15), end: Date.UTC(2014, 3, 11, 16, 45) },
    ]);
    expect(() => parseNabTimestamp('yesterday')).toThrow(NabScoringError);
    expect(() => parseWindows({ 'c/f.csv': [['2014-04-10']] })).toThrow(NabScoringError);
  });

  it('refuses mismatched lengths', () => {
    const bad = { ...file({}), scores: [1, 2, 3] };
    expect(() => scoreCorpus([bad], 'standard')).toThrow(NabScoringError);
  });
});

import { describe, expect, it } from 'vitest';
import { assessSeries, type DataPoint } from '#shared/anomaly/engine.ts';

// Behaviour of the engine on series whose truth is known: how often it fires on pure noise, and that it catches
// planted spikes and level shifts, on minute-level metrics as well as daily KPIs.

function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** Standard normal noise (Box-Muller). */
function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

const T0 = Date.UTC(2026, 0, 5);
const FIVE_MIN = 5 * 60_000;

function noise(n: number, seed: number, sigma = 1, level = 100): DataPoint[] {
  const rand = seeded(seed);
  return Array.from({ length: n }, (_, i) => ({ timestamp: T0 + i * FIVE_MIN, value: level + sigma * normal(rand) }));
}

const fired = (scores: number[], threshold = 0.5) => scores.filter((s) => s >= threshold).length;

describe('deviation engine calibration', () => {
  it('fires on few points of stationary noise: under 1 in 500 at the alert threshold', () => {
    let detections = 0;
    let points = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const out = assessSeries(noise(3000, seed));
      detections += fired(out.map((a) => a.score));
      points += out.length;
    }
    expect(detections / points).toBeLessThan(1 / 500);
  });

  it('judges a series by its own noise: the same relative blip fires on a smooth series, not on a rough one', () => {
    const smooth = noise(2000, 7, 1);
    const rough = noise(2000, 7, 8);
    const blip = (s: DataPoint[]) => s.map((p, i) => (i === 1500 ? { ...p, value: p.value + 8 } : p));
    expect(assessSeries(blip(smooth))[1500]?.score).toBeGreaterThan(0.5);
    expect(assessSeries(blip(rough))[1500]?.score).toBeLessThan(0.5);
  });

  it('catches a planted spike of 8 sigma at once', () => {
    for (const seed of [11, 12, 13]) {
      const series = noise(2000, seed).map((p, i) => (i === 1200 ? { ...p, value: p.value + 8 } : p));
      const out = assessSeries(series);
      expect(out[1200]?.score).toBeGreaterThan(0.5);
      expect(out[1200]?.detector).toBe('spike');
    }
  });

  it('catches a planted level shift of 3 sigma within a few points, with no alert in the stretch before it', () => {
    for (const seed of [21, 22, 23]) {
      const series = noise(2000, seed).map((p, i) => (i >= 1200 ? { ...p, value: p.value + 3 } : p));
      const out = assessSeries(series);
      const first = out.findIndex((a, i) => i >= 1200 && a.score >= 0.5);
      expect(first).toBeGreaterThanOrEqual(1200);
      expect(first).toBeLessThan(1210);
      expect(fired(out.slice(1000, 1200).map((a) => a.score))).toBe(0);
    }
  });

  it('catches a doubling of the noise without a change of level', () => {
    const series = noise(3000, 31).map((p, i) => (i >= 2000 ? { ...p, value: 100 + (p.value - 100) * 3 } : p));
    const out = assessSeries(series);
    const first = out.findIndex((a, i) => i >= 2000 && a.score >= 0.5);
    expect(first).toBeGreaterThanOrEqual(2000);
    expect(first).toBeLessThan(2060);
  });

  it('keeps every score within [0, 1], and 0 until it is ready', () => {
    const out = assessSeries(noise(500, 41, 3));
    for (const a of out) {
      expect(a.score).toBeGreaterThanOrEqual(0);
      expect(a.score).toBeLessThanOrEqual(1);
      if (!a.ready) expect(a.score).toBe(0);
    }
  });

  it('stays quiet on a flat line and on a perfectly repeating daily shape', () => {
    const flat = Array.from({ length: 2000 }, (_, i) => ({ timestamp: T0 + i * FIVE_MIN, value: 42 }));
    expect(fired(assessSeries(flat).map((a) => a.score))).toBe(0);
    const wave = Array.from({ length: 288 * 10 }, (_, i) => ({
      timestamp: T0 + i * FIVE_MIN,
      value: i % 288 < 144 ? 10 : 80,
    }));
    const out = assessSeries(wave);
    expect(fired(out.slice(288 * 3).map((a) => a.score))).toBe(0);
  });
});

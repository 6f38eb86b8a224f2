// Reference detectors for checking the NAB scorer: NAB's windowed Gaussian, and detectors that never fire.
// They are yardsticks for the benchmark, not for production use.

import { erfc } from './student-t.ts';

/** Anything that scores a stream one point at a time. */
export interface PointScorer {
  update(point: { timestamp: number; value: number }): { score: number };
}

/**
 * NAB's "windowed Gaussian" detector: mean and standard deviation of the last 6400 values, refreshed every 100
 * values once the window is full; the score is one minus the upper-tail probability of |x - mean|.
 */
export function createWindowedGaussian(windowSize = 6400, stepSize = 100): PointScorer {
  let window: number[] = [];
  let step: number[] = [];
  let mean = 0;
  let std = 1;
  const refresh = () => {
    mean = window.reduce((a, b) => a + b, 0) / window.length;
    const variance = window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length;
    std = Math.sqrt(variance) || 0.000001;
  };
  return {
    update({ value }) {
      // Q(z) of the value folded onto the upper side of the mean, as NAB's normalProbability does.
      const score = window.length > 0 ? 1 - 0.5 * erfc(Math.abs(value - mean) / std / Math.SQRT2) : 0;
      if (window.length < windowSize) {
        window.push(value);
        refresh();
      } else {
        step.push(value);
        if (step.length === stepSize) {
          window = window.slice(stepSize).concat(step);
          step = [];
          refresh();
        }
      }
      return { score };
    },
  };
}

/** A detector that never fires: NAB's null baseline. */
export function createNullDetector(): PointScorer {
  return { update: () => ({ score: 0 }) };
}

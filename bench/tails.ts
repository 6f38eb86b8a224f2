// Calibration of the KPI deviation baseline on simulated noise: how often values fall outside the 1-in-100 band and how
// often a value alone alerts (sensitivity 0.55), on Gaussian noise, Gaussian noise with outages in the history, and
// Student-t noise with 4 and 3 degrees of freedom (heavy tails), for 16 weeks of history (the baseline's own), 32 weeks
// and a year (what the rule reads: the baseline the last 16 weeks, the older weeks only for the tails); and on the
// nights the heavy-tail model was learnt, the same figures there. Daily KPIs with a weekday pattern and 5% noise,
// judged night by night (judgeRecent, split as the deviation rule splits its history), with the time a night takes.
// Usage: node bench/tails.ts [--series N] [--json]

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DataPoint } from '#shared/anomaly/engine.ts';
import { judgeRecent } from '#shared/anomaly/recent-baseline.ts';
import { DEVIATION_HISTORY, DEVIATION_TAIL_HISTORY } from '#shared/detection/rules.ts';
import { normal, seeded, studentT } from './lib/random.ts';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 5);
/** Weekday profile, Sunday first. */
const PROFILE = [0.6, 1.06, 1.02, 1, 0.99, 0.95, 0.64];
const NOISE = 0.05;
const NIGHTS = 100;
const SENSITIVITY = 0.55;

/** Student's t with `nu` degrees of freedom, scaled to unit variance. */
const heavy = (nu: number) => (rand: () => number) => studentT(rand, nu);

interface Noise {
  name: string;
  draw: (rand: () => number) => number;
  /** Every this many days a value at 40% of usual (an outage nobody flagged), not judged itself. */
  outageEvery?: number;
}

const NOISES: readonly Noise[] = [
  { name: 'Gaussian', draw: normal },
  { name: 'Gaussian, an outage every 40 days', draw: normal, outageEvery: 40 },
  { name: 'Student t, 4 df', draw: heavy(4) },
  { name: 'Student t, 3 df', draw: heavy(3) },
];

interface Row {
  noise: string;
  history: number;
  judged: number;
  outside: number;
  alerts: number;
  learnt: number;
  outsideWhereLearnt: number;
  alertsWhereLearnt: number;
  /** Milliseconds judging took, over all judged nights. */
  ms: number;
}

function calibrate(noise: Noise, history: number, series: number): Row {
  const row: Row = {
    noise: noise.name,
    history,
    judged: 0,
    outside: 0,
    alerts: 0,
    learnt: 0,
    outsideWhereLearnt: 0,
    alertsWhereLearnt: 0,
    ms: 0,
  };
  for (let seed = 1; seed <= series; seed++) {
    const rand = seeded(seed * 7919 + 13);
    const days = history + NIGHTS;
    const values: DataPoint[] = Array.from({ length: days }, (_, i) => ({
      timestamp: START + i * DAY,
      value: 1000 * (1 + 0.001 * i) * (PROFILE[(1 + i) % 7] as number) * Math.max(0.01, 1 + NOISE * noise.draw(rand)),
    }));
    const outage = (i: number) => noise.outageEvery !== undefined && i % noise.outageEvery === 5;
    for (let i = 0; i < days; i++) if (outage(i)) (values[i] as DataPoint).value *= 0.4;
    for (let d = history; d < days; d++) {
      if (outage(d)) continue;
      const point = values[d] as DataPoint;
      const baseline = Math.min(history, DEVIATION_HISTORY.day);
      const tailHistory = values.slice(d - history, d - baseline);
      const before = performance.now();
      const a = judgeRecent(values.slice(d - baseline, d), point, {
        sensitivity: SENSITIVITY,
        ...(tailHistory.length ? { tailHistory } : {}),
      });
      row.ms += performance.now() - before;
      const outside = point.value < (a.lower as number) || point.value > (a.upper as number);
      const alerts = point.value < (a.alertLower as number) || point.value > (a.alertUpper as number);
      row.judged++;
      row.outside += Number(outside);
      row.alerts += Number(alerts);
      if (a.tails) {
        row.learnt++;
        row.outsideWhereLearnt += Number(outside);
        row.alertsWhereLearnt += Number(alerts);
      }
    }
  }
  return row;
}

const { values: args } = parseArgs({
  options: { series: { type: 'string', default: '40' }, json: { type: 'boolean', default: false } },
});
const series = Number(args.series);
if (!Number.isInteger(series) || series < 1) throw new Error(`--series must be a positive integer, got ${args.series}`);
const started = performance.now();
const histories = [DEVIATION_HISTORY.day, 2 * DEVIATION_HISTORY.day, DEVIATION_TAIL_HISTORY.day];
const rows = NOISES.flatMap((noise) => histories.map((history) => calibrate(noise, history, series)));

if (args.json) {
  console.log(JSON.stringify({ series, nights: NIGHTS, sensitivity: SENSITIVITY, rows }, null, 2));
} else {
  const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(2)}%` : '-');
  const per10k = (n: number, of: number) => (of ? ((1e4 * n) / of).toFixed(1) : '-');
  console.log(
    `Calibration on simulated daily KPIs: ${series} series, ${NIGHTS} nights each, ${NOISE * 100}% noise, sensitivity ${SENSITIVITY} (a value alone alerts at about 1.4 per 10,000 nominal)`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.noise.padEnd(36)} ${String(r.history).padStart(3)} days read back: outside the 1-in-100 band ${pct(r.outside, r.judged)}, ` +
        `alone alerting ${per10k(r.alerts, r.judged)} per 10,000; heavy tails learnt on ${pct(r.learnt, r.judged)} of nights ` +
        `(there: ${pct(r.outsideWhereLearnt, r.learnt)} outside, ${per10k(r.alertsWhereLearnt, r.learnt)} per 10,000); ` +
        `${(r.ms / r.judged).toFixed(2)} ms a night`,
    );
  }
  console.log(`${((performance.now() - started) / 1000).toFixed(1)} s`);
}

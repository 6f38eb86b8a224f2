// A realistic report model for the example config's daily report (7 KPIs, 30 days of history, incidents, checks),
// for the benchmark, the tests and the README screenshot. Deterministic: the same options give the same model.

import type { KpiStatus, ReportKpi, ReportModel, ReportSection } from '#shared/reporting/model.ts';
import { REPORT_SECTIONS } from '#shared/reporting/model.ts';
import { addDays, periodLabel } from '#shared/time/calendar.ts';
import { mulberry32 } from './generate.ts';

export interface SampleOptions {
  /** The day reported on; default '2026-11-22'. */
  date?: string;
  /** Days of history per KPI; default 30. */
  historyDays?: number;
  /** False gives the report of a night whose rollup did not run. */
  dataReady?: boolean;
  recipient?: ReportModel['recipient'];
  sections?: ReportSection[];
  seed?: number;
}

interface KpiSpec {
  id: string;
  name: string;
  unit: ReportKpi['unit'];
  decimals?: number;
  target?: { min?: number; max?: number };
  weight?: number;
  /** Typical level, day-to-day noise (relative) and the last three days as multiples of the level. */
  level: number;
  noise: number;
  weekly: number;
  last: [number, number, number];
}

// The example config's KPIs (nightshift.config.yaml); conversion fell through its alarm floor last night.
const SPECS: KpiSpec[] = [
  {
    id: 'new_users',
    name: 'Daily new users',
    unit: 'count',
    target: { min: 500 },
    weight: 0.2,
    level: 540,
    noise: 0.05,
    weekly: 0.08,
    last: [1.02, 0.95, 0.985],
  },
  {
    id: 'dau',
    name: 'Daily active users',
    unit: 'count',
    level: 18_200,
    noise: 0.02,
    weekly: 0.06,
    last: [1.0, 0.99, 1.012],
  },
  {
    id: 'conversion_rate',
    name: 'Conversion rate',
    unit: 'percent',
    decimals: 2,
    target: { min: 0.03 },
    weight: 0.3,
    level: 0.0312,
    noise: 0.04,
    weekly: 0.03,
    last: [1.0, 0.949, 0.548],
  },
  {
    id: 'roi',
    name: 'ROI',
    unit: 'ratio',
    decimals: 2,
    target: { min: 4 },
    weight: 0.25,
    level: 4.5,
    noise: 0.05,
    weekly: 0.02,
    last: [1.03, 1.0, 1.073],
  },
  {
    id: 'next_day_retention',
    name: 'Next-day retention',
    unit: 'percent',
    decimals: 1,
    target: { min: 0.3 },
    weight: 0.25,
    level: 0.312,
    noise: 0.03,
    weekly: 0.01,
    last: [0.99, 0.978, 1.019],
  },
  {
    id: 'nps',
    name: 'Net promoter score',
    unit: 'score',
    decimals: 0,
    target: { min: 30 },
    level: 38,
    noise: 0.06,
    weekly: 0,
    last: [1.05, 1.0, 1.079],
  },
  {
    id: 'content_reads',
    name: 'Content reads',
    unit: 'count',
    target: { min: 2000 },
    level: 2150,
    noise: 0.05,
    weekly: 0.1,
    last: [0.97, 0.954, 1.016],
  },
];

/** Seeded, so samples are the same on every run. */
const random = mulberry32;

function round(value: number, spec: KpiSpec): number {
  const places = spec.unit === 'percent' ? (spec.decimals ?? 1) + 2 : spec.unit === 'count' ? 0 : (spec.decimals ?? 2);
  return Number(value.toFixed(places));
}

function judge(value: number | null, target: KpiSpec['target']): { attainment: number | null; status: KpiStatus } {
  if (value === null) return { attainment: null, status: 'no_value' };
  if (!target) return { attainment: null, status: 'no_target' };
  const attainment = target.min !== undefined ? value / target.min : target.max! / value;
  return { attainment, status: attainment >= 1.15 ? 'outstanding' : attainment >= 1 ? 'met' : 'missed' };
}

/** The example config's daily report for one recipient, with realistic figures. */
export function sampleReportModel(options: SampleOptions = {}): ReportModel {
  const date = options.date ?? '2026-11-22';
  const days = options.historyDays ?? 30;
  const rand = random(options.seed ?? 47);
  const dataReady = options.dataReady ?? true;
  const dates = Array.from({ length: days }, (_, i) => addDays(date, i - days + 1));

  const kpis: ReportKpi[] = SPECS.map((spec) => {
    const values = dates.map((d, i) => {
      const weekday = new Date(`${d}T00:00:00Z`).getUTCDay();
      const weekend = weekday === 0 || weekday === 6 ? -spec.weekly : spec.weekly / 2;
      const fromEnd = days - 1 - i;
      const base = fromEnd < 3 ? spec.last[2 - fromEnd]! : 1 + spec.noise * (rand() * 2 - 1) + weekend;
      return round(spec.level * base * (1 + 0.0015 * (i - days)), spec);
    });
    const value = values[days - 1] ?? null;
    return {
      id: spec.id,
      name: spec.name,
      unit: spec.unit,
      ...(spec.decimals !== undefined ? { decimals: spec.decimals } : {}),
      ...(spec.target ? { target: spec.target } : {}),
      ...(spec.weight !== undefined ? { weight: spec.weight } : {}),
      value,
      ...judge(value, spec.target),
      previous: values[days - 2] ?? null,
      samePeriodLastWeek: values[days - 8] ?? null,
      history: dates.map((d, i) => ({ period: d, value: values[i] ?? null })),
    };
  });

  // Weighted score: each weighted KPI counts up to its full weight when on target.
  const weighted = kpis.filter((k) => k.weight !== undefined && k.attainment !== null);
  const totalWeight = weighted.reduce((s, k) => s + k.weight!, 0);
  const score = totalWeight
    ? (100 * weighted.reduce((s, k) => s + k.weight! * Math.min(1, k.attainment!), 0)) / totalWeight
    : null;
  const count = (status: KpiStatus) => kpis.filter((k) => k.status === status).length;

  return {
    report: { id: 'daily', title: 'Daily report', period: date, periodLabel: periodLabel(date), granularity: 'day' },
    recipient: options.recipient ?? { name: 'Sun Mei', email: 'sun.mei@example.com', role: 'administrator' },
    generatedAt: `${date}T21:00:04Z`,
    timeZone: 'Asia/Shanghai',
    dataReady,
    ...(dataReady
      ? {}
      : { notReadyReason: `The KPI rollup for ${periodLabel(date)} did not run (rollup-kpis failed at 00:31).` }),
    ...(dataReady
      ? {
          scorecard: {
            score: score === null ? null : Math.round(score * 10) / 10,
            met: count('met'),
            missed: count('missed'),
            outstanding: count('outstanding'),
            noValue: count('no_value'),
          },
        }
      : {}),
    kpis: dataReady ? kpis : [],
    incidents: [
      {
        title: 'Conversion rate below its 2% alarm floor',
        kpi: 'Conversion rate',
        state: 'escalated',
        severity: 'critical',
        openedAt: `${date}T16:40:00Z`,
        firstPeriod: date,
        openedPeriod: date,
        firstResponder: 'Li Na',
        summary:
          'Conversion was 1.71% on 22 Nov against a floor of 2.00% (target 3.00%). Orders fell 41% while page views held steady; checkout errors are the first suspect.',
      },
      {
        title: 'Page Viewed events stopped arriving',
        kpi: 'Daily active users',
        state: 'resolved',
        severity: 'warning',
        openedAt: `${date}T06:10:00Z`,
        firstPeriod: `${date}T14`,
        openedPeriod: `${date}T14`,
        resolvedPeriod: `${date}T16`,
        firstResponder: 'Chen Jie',
        summary:
          'No Page Viewed events from 14:10 to 16:50. The web tracker’s queue credentials had expired; they were rotated and the gap backfilled with nightshift ingest.',
      },
    ],
    checks: [
      {
        id: 'orders_payments',
        kind: 'reconciliation',
        status: 'fail',
        summary:
          '2 of 8,931 orders differ from their payment: order 7f3a9c1e (129.00 vs 119.00), order 91c24b7d (58.50 vs 0.00).',
      },
      {
        id: 'payments_vault',
        kind: 'aws_backup',
        status: 'warn',
        summary: 'Recovery point at 02:20 is complete, but is kept 5 days (at least 7 required).',
      },
      {
        id: 'orders_vault',
        kind: 'aws_backup',
        status: 'pass',
        summary: 'Recovery point at 02:14, 412 MB, kept 35 days; the restore test finished in 6 min.',
      },
      {
        id: 'orders_pitr',
        kind: 'dynamodb_pitr',
        status: 'pass',
        summary: 'Point-in-time recovery is on; latest restorable time 4 min before the check.',
      },
    ],
    pipeline: {
      stored: 48_213,
      rejected: 37,
      rejectReasons: { timestamp_without_offset: 21, missing_message_id: 12, too_large: 4 },
      jobs: dataReady
        ? [
            { job: 'rollup-kpis', status: 'ok', at: `${date}T16:31:12Z` },
            { job: 'detect-anomalies', status: 'ok', at: `${date}T16:40:03Z` },
            { job: 'check-backups', status: 'ok', at: `${date}T18:06:41Z` },
            { job: 'plan-reports', status: 'ok', at: `${date}T21:00:01Z` },
          ]
        : [
            {
              job: 'rollup-kpis',
              status: 'failed',
              at: `${date}T16:31:12Z`,
              note: `Nightly rollup failed: the error is in its run record (due 00:30 on ${periodLabel(addDays(date, 1))})`,
            },
            {
              job: 'detect-anomalies',
              status: 'missed',
              at: `${addDays(date, -1)}T17:00:02Z`,
              note: `Anomaly detection did not run: due 01:00 on ${periodLabel(addDays(date, 1))}, nothing started within the 60-minute grace time`,
            },
            { job: 'check-backups', status: 'ok', at: `${date}T18:06:41Z` },
            { job: 'plan-reports', status: 'ok', at: `${date}T21:00:01Z` },
          ],
    },
    sections: options.sections ?? [...REPORT_SECTIONS],
  };
}

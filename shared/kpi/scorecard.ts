// Holds KPI values against their targets: attainment, status (missed / met / outstanding) and the weighted score.
import type { Bounds, Kpi } from '#shared/config/schema.ts';

/** `closed`: the business was closed on every day of the period (shared/events/closed-days.ts): nothing is judged. */
export type KpiStatus = 'outstanding' | 'met' | 'missed' | 'no_target' | 'no_value' | 'closed';

/** 15% or more better than target is "outstanding" (the handbook's rule). */
export const OUTSTANDING_MARGIN = 0.15;

export interface Assessment {
  status: KpiStatus;
  /** value relative to target: 1 = exactly on target, 1.2 = 20% better, 0.8 = 20% short; null without one. */
  attainment: number | null;
  /** Target bounds for this period (scaled by its open days for per-day targets). */
  target?: { min?: number; max?: number };
}

/** Bounds for a period of `days` days (the days the business was open): per-day bounds of counts scale with them. */
export function boundsFor(bounds: Bounds | undefined, days: number): { min?: number; max?: number } | undefined {
  if (!bounds) return undefined;
  const k = bounds.per === 'day' ? days : 1;
  const out: { min?: number; max?: number } = {};
  if (bounds.min !== undefined) out.min = bounds.min * k;
  if (bounds.max !== undefined) out.max = bounds.max * k;
  return out;
}

export function assess(value: number | null, target: { min?: number; max?: number } | undefined): Assessment {
  if (value === null)
    return target ? { status: 'no_value', attainment: null, target } : { status: 'no_value', attainment: null };
  if (!target) return { status: 'no_target', attainment: null };
  const { min, max } = target;
  let attainment: number;
  if (min !== undefined && max !== undefined) {
    // A range: on target anywhere inside, measured against the nearer bound outside.
    if (value < min) attainment = atLeast(value, min);
    else if (value > max) attainment = atMost(value, max);
    else attainment = 1;
    return { status: attainment >= 1 ? 'met' : 'missed', attainment, target };
  }
  attainment = min !== undefined ? atLeast(value, min) : atMost(value, max!);
  const status = attainment < 1 ? 'missed' : attainment >= 1 + OUTSTANDING_MARGIN ? 'outstanding' : 'met';
  return { status, attainment, target };
}

/** A KPI of a period the business was closed all of: its target is shown, not judged, and it is not scored. */
export function closedAssessment(target: { min?: number; max?: number } | undefined): Assessment {
  return target ? { status: 'closed', attainment: null, target } : { status: 'closed', attainment: null };
}

/**
 * Attainment of an "at least" target, rising with the value: value / min for a positive floor; for a floor at or
 * below zero, the signed distance relative to 1 (so 1 = on target).
 */
function atLeast(value: number, min: number): number {
  if (min > 0) return value / min;
  return 1 + (value - min) / Math.max(1, Math.abs(min));
}

/**
 * Attainment of an "at most" target, falling as the value rises, so a lower value never scores worse. Under a positive
 * ceiling, 1 plus the share of it left unused: 4% against 5% is 120%, 0% is 200% (max / value would make 0 infinite;
 * a zero divisor once read as 105%, below 4%'s 125%); over it, max / value, as a floor's value / min. For a ceiling at
 * or below zero, the signed distance relative to 1.
 */
function atMost(value: number, max: number): number {
  if (max > 0) return value <= max ? 2 - value / max : max / value;
  return 1 + (max - value) / Math.max(1, Math.abs(max));
}

export interface ScoreInput {
  kpi: Pick<Kpi, 'id' | 'weight'>;
  assessment: Assessment;
}

export interface Scorecard {
  /** 0-100: weighted mean of attainment (capped at 100% so one outstanding KPI cannot hide a missed one). */
  score: number | null;
  met: number;
  missed: number;
  outstanding: number;
  noValue: number;
  /** KPIs of a period the business was closed: neither missed nor without data, and left out of the score. */
  closed: number;
  /** Weighted KPIs left out of the score because they had no value. */
  unscored: string[];
}

export function scorecard(inputs: readonly ScoreInput[]): Scorecard {
  const card: Scorecard = { score: null, met: 0, missed: 0, outstanding: 0, noValue: 0, closed: 0, unscored: [] };
  let weighted = 0;
  let weights = 0;
  for (const { kpi, assessment } of inputs) {
    if (assessment.status === 'met') card.met++;
    else if (assessment.status === 'missed') card.missed++;
    else if (assessment.status === 'outstanding') card.outstanding++;
    else if (assessment.status === 'no_value') card.noValue++;
    else if (assessment.status === 'closed') card.closed++;
    if (kpi.weight === undefined || kpi.weight === 0 || assessment.status === 'closed') continue;
    if (assessment.attainment === null) {
      card.unscored.push(kpi.id);
      continue;
    }
    weighted += kpi.weight * Math.max(0, Math.min(1, assessment.attainment));
    weights += kpi.weight;
  }
  if (weights > 0) card.score = Math.round((1000 * weighted) / weights) / 10;
  return card;
}

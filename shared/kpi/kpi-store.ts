// Stored KPI values and scorecards, one item per (KPI, granularity, period), so reports and alerts read them back
// without recomputing, and a range of periods is one query.
import type { ClosedReason } from '#shared/events/closed-days.ts';
import type { StateStore } from '#shared/store/store.ts';
import type { Granularity, PeriodId } from '#shared/time/calendar.ts';
import type { Assessment, Scorecard } from './scorecard.ts';
import type { UnreadName } from './unread-names.ts';

export interface ScopeValue extends Assessment {
  value: number | null;
  inputs: Record<string, number | null>;
  /**
   * Names the formula reads that no counted day had (most often a typo): the value is no data (status no_value), not
   * the 0 its terms computed.
   */
  unread?: UnreadName[];
}

export interface StoredKpiValue extends ScopeValue {
  kpi: string;
  granularity: Granularity;
  period: PeriodId;
  /** Per value of the KPI's scopeBy property (e.g. department), when it has one. */
  byScope?: Record<string, ScopeValue>;
  /** Days of the period the value covers (fewer than the period's while it is still running). */
  days: number;
  /**
   * Of `days`, those the business was open, when it was closed on some but not all of them: a per-day target counts
   * these only. Absent when it was open on every day (or closed on all: `closed`).
   */
  openDays?: number;
  /**
   * The business was closed on every day the value covers (status 'closed'): 'holiday' when each was a holiday, else
   * 'weekday'.
   */
  closed?: ClosedReason;
  /** The period has ended and every day it needs (retention: the return day too) has been counted. */
  complete: boolean;
  /** null: the value cannot be known yet (e.g. next-day retention of yesterday). */
  pending: boolean;
  /** Last local day whose events are included. */
  asOf: string;
  computedAt: string;
}

export interface StoredScorecard extends Scorecard {
  granularity: Granularity;
  period: PeriodId;
  kpis: Record<string, Assessment['status']>;
  /** KPIs whose value cannot be known yet (also counted in `noValue`; not those of a closed period). */
  pending?: number;
  complete: boolean;
  asOf: string;
  computedAt: string;
}

const kpiPartition = (granularity: Granularity, kpi: string) => `KPI#${granularity}#${kpi}`;
const scorePartition = (granularity: Granularity) => `SCORE#${granularity}`;

export async function saveKpiValues(
  store: StateStore,
  values: readonly StoredKpiValue[],
  cards: readonly StoredScorecard[],
): Promise<void> {
  await store.putMany('state', [
    ...values.map((v) => ({ pk: kpiPartition(v.granularity, v.kpi), sk: v.period, ...v })),
    ...cards.map((c) => ({ pk: scorePartition(c.granularity), sk: c.period, ...c })),
  ]);
}

/** Stored values of one KPI for periods from..to (period ids of that granularity), oldest first. */
export async function readKpiValues(
  store: StateStore,
  kpi: string,
  granularity: Granularity,
  from: PeriodId,
  to: PeriodId,
): Promise<StoredKpiValue[]> {
  const out: StoredKpiValue[] = [];
  for await (const item of store.query('state', kpiPartition(granularity, kpi), { from, to })) {
    const { pk: _pk, sk: _sk, ...value } = item;
    out.push(value as unknown as StoredKpiValue);
  }
  return out;
}

export async function readScorecards(
  store: StateStore,
  granularity: Granularity,
  from: PeriodId,
  to: PeriodId,
): Promise<StoredScorecard[]> {
  const out: StoredScorecard[] = [];
  for await (const item of store.query('state', scorePartition(granularity), { from, to })) {
    const { pk: _pk, sk: _sk, ...card } = item;
    out.push(card as unknown as StoredScorecard);
  }
  return out;
}

// Helpers for the alert tests: stored KPI values written directly (no events needed), an in-memory delivery queue,
// configs with just the rules under test, and realistic daily series.

import { mulberry32 } from '#cli/demo/generate.ts';
import { validateConfig } from '#shared/config/load.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { type StoredKpiValue, saveKpiValues } from '#shared/kpi/kpi-store.ts';
import { assess } from '#shared/kpi/scorecard.ts';
import type { DeliveryMessage, DeliveryQueue } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import { addDays, dateRange, isoWeekday } from '#shared/time/calendar.ts';
import { exampleConfig } from '../support/config.ts';

/** The delivery queue port in memory: what a run enqueued, in order. */
export function memoryQueue(): DeliveryQueue & { messages: DeliveryMessage[] } {
  const messages: DeliveryMessage[] = [];
  return {
    messages,
    async enqueue(batch) {
      messages.push(...batch);
    },
  };
}

/** The example config with the given alert rules and expected events (none unless given), and other fields set. */
/** A rule on the example config: conversion below its alarm floor (2%), critical, to the satisfaction plan. */
export const conversionFloor = {
  id: 'conversion_floor',
  kpi: 'conversion_rate',
  all: [{ breach: 'alarm' }],
  plan: 'satisfaction',
  severity: 'critical',
};

export function configWith(
  rules: unknown[],
  expectedEvents: unknown[] = [],
  fields: Record<string, unknown> = {},
): NightshiftConfig {
  const base = exampleConfig() as unknown as Record<string, unknown>;
  return validateConfig({ ...base, ...fields, alerts: { rules, expectedEvents } }, 'test config');
}

export interface SeedValue {
  period: string;
  value: number | null;
  pending?: boolean;
  byScope?: Record<string, number | null>;
}

/** Stores daily values of a KPI as the rollup would (target assessment included). */
export async function seedDaily(
  store: StateStore,
  config: NightshiftConfig,
  kpiId: string,
  values: readonly SeedValue[],
): Promise<void> {
  const kpi = config.kpis.find((k) => k.id === kpiId)!;
  const target = kpi.target ? { ...(kpi.target.min === undefined ? {} : { min: kpi.target.min }) } : undefined;
  const stored: StoredKpiValue[] = values.map((v) => ({
    kpi: kpiId,
    granularity: 'day',
    period: v.period,
    value: v.pending ? null : v.value,
    inputs: {},
    ...assess(v.pending ? null : v.value, target),
    ...(v.byScope
      ? {
          byScope: Object.fromEntries(
            Object.entries(v.byScope).map(([s, x]) => [s, { value: x, inputs: {}, ...assess(x, target) }]),
          ),
        }
      : {}),
    days: 1,
    complete: !v.pending,
    pending: v.pending ?? false,
    asOf: v.period,
    computedAt: '2026-11-23T00:30:00.000Z',
  }));
  await saveKpiValues(store, stored, []);
}

/** Consecutive days ending on `last` with the given values (oldest first). */
export function days(last: string, values: ReadonlyArray<number | null>): SeedValue[] {
  const list = dateRange(addDays(last, 1 - values.length), last);
  return list.map((period, i) => ({ period, value: values[i] ?? null }));
}

/**
 * A realistic daily KPI: weekday level `weekday`, weekends `weekend`, slow growth (per day), +-7% noise (seeded), like the
 * demo's sign-ups and active users.
 */
export function realisticSeries(
  last: string,
  count: number,
  { weekday, weekend, seed = 7, growth = 0.004 }: { weekday: number; weekend: number; seed?: number; growth?: number },
): Array<{ period: string; value: number }> {
  const rand = mulberry32(seed);
  return dateRange(addDays(last, 1 - count), last).map((period, i) => {
    const base = isoWeekday(period) >= 6 ? weekend : weekday;
    return { period, value: Math.round(base * (1 + i * growth) * (0.93 + rand() * 0.14)) };
  });
}

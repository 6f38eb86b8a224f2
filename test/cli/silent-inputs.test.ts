import { describe, expect, it } from 'vitest';
import type { StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { silentInputs } from '../../cli/kpis.ts';

const day = (kpi: string, i: number, inputs: Record<string, number | null>): StoredKpiValue =>
  ({
    kpi,
    granularity: 'day',
    period: addDays('2026-10-01', i),
    value: 0,
    inputs,
    status: 'no_target',
    attainment: null,
    days: 1,
    complete: true,
    pending: false,
    asOf: addDays('2026-10-01', i),
    computedAt: '2026-11-01T00:00:00Z',
  }) as StoredKpiValue;

describe('rollup notes on formula inputs that never counted anything', () => {
  it('names an input that was 0 on every day while the others counted (a misspelt event name)', () => {
    const values = Array.from({ length: 10 }, (_, i) => [
      day('signups', i, { 'count(Signed Up)': 100 + i }),
      day('cancellations', i, { 'count(Subscription Canceled)': 0 }),
      day('refunds', i, { 'count(Refund Issued)': i === 4 ? 1 : 0 }),
    ]).flat();

    expect(silentInputs(values)).toEqual([{ kpi: 'cancellations', input: 'count(Subscription Canceled)', days: 10 }]);
  });

  it('says nothing about a short range, or days with no events at all', () => {
    const few = Array.from({ length: 6 }, (_, i) => [
      day('signups', i, { 'count(Signed Up)': 5 }),
      day('cancellations', i, { 'count(Subscription Canceled)': 0 }),
    ]).flat();
    const empty = Array.from({ length: 10 }, (_, i) => day('signups', i, { 'count(Signed Up)': 0 }));

    expect(silentInputs(few)).toEqual([]);
    expect(silentInputs(empty)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { addDays } from '#shared/time/calendar.ts';
import { silentInputLine, silentInputs, unexplained } from '../../cli/kpis.ts';

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

    expect(silentInputs(values)).toEqual([
      { kpi: 'cancellations', input: 'count(Subscription Canceled)', days: 10, noValue: false },
    ]);
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

describe('the silent-input line', () => {
  it('an input with no value on any day (avg of no events) says so and why, not "was 0"', () => {
    const values = Array.from({ length: 8 }, (_, i) => [
      day('orders', i, { 'count("Order Completed")': 10 }),
      day('basket', i, { 'avg("Order Complete".revenue)': null }),
    ]).flat();

    const [silent] = silentInputs(values);

    expect(silent).toEqual({ kpi: 'basket', input: 'avg("Order Complete".revenue)', days: 8, noValue: true });
    expect(silentInputLine(silent!)).toBe(
      'note: KPI basket: avg("Order Complete".revenue) had no value on any of the 8 days rolled up: no event it reads matched (an average, minimum or maximum of no values is none, not 0); check the event and property names (matched exactly, case included)',
    );
  });

  it('a count of 0 still reads "was 0"', () => {
    expect(silentInputLine({ kpi: 'k', input: 'count("X")', days: 9, noValue: false })).toContain(
      'count("X") was 0 on all 9 days rolled up',
    );
  });

  it('an input an event note already explains is left out', () => {
    const silent = [
      { kpi: 'k', input: 'count("X")', days: 9, noValue: false },
      { kpi: 'r', input: 'cohort of retention("X" -> "Y", 1 day)', days: 9, noValue: false },
      { kpi: 'k', input: 'count("Z")', days: 9, noValue: false },
    ];
    const note = { event: 'X', kpis: ['k', 'r'], expected: false, days: 9, daysWithEvents: 9, events: 90 };

    expect(
      unexplained(silent, [{ ...note, terms: ['count("X")', 'retention("X" -> "Y", 1 day)'] }]).map((s) => s.input),
    ).toEqual(['count("Z")']);
  });
});

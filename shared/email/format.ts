// How figures and dates read in reports: one place, so the HTML, the text part and the subject agree.

import type { KpiUnit, ReportKpi, ReportModel } from '#shared/reporting/model.ts';
import {
  addDays,
  clockTime,
  isoWeekday,
  isValidTimeZone,
  localDate,
  localParts,
  MONTH_ABBREVIATIONS,
  MONTH_NAMES,
  periodBounds,
  shiftPeriod,
} from '#shared/time/calendar.ts';
import { clip, oneLine } from './escape.ts';

const DEFAULT_DECIMALS: Record<KpiUnit, number> = { count: 0, percent: 1, ratio: 2, currency: 2, score: 0 };
const numberFormats = new Map<number, Intl.NumberFormat>();

function grouped(value: number, decimals: number): string {
  let f = numberFormats.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    numberFormats.set(decimals, f);
  }
  return f.format(value);
}

/** A KPI value as shown: '12,345', '3.12%', '4.20', '—' for no value. */
export function formatValue(value: number | null | undefined, unit: KpiUnit, decimals?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const d = decimals ?? DEFAULT_DECIMALS[unit];
  if (unit === 'percent') return `${grouped(value * 100, d)}%`;
  return grouped(value, d);
}

export function formatKpiValue(kpi: Pick<ReportKpi, 'unit' | 'decimals'>, value: number | null | undefined): string {
  return formatValue(value, kpi.unit, kpi.decimals);
}

/** '≥ 500', '≤ 2%', '500–800', or undefined without a target. */
export function formatTarget(kpi: Pick<ReportKpi, 'unit' | 'decimals' | 'target'>): string | undefined {
  const { min, max } = kpi.target ?? {};
  if (min !== undefined && max !== undefined) return `${formatKpiValue(kpi, min)}–${formatKpiValue(kpi, max)}`;
  if (min !== undefined) return `≥ ${formatKpiValue(kpi, min)}`;
  if (max !== undefined) return `≤ ${formatKpiValue(kpi, max)}`;
  return undefined;
}

/** '106%' of target. */
export function formatAttainment(attainment: number | null): string | undefined {
  if (attainment === null || !Number.isFinite(attainment)) return undefined;
  // A miss never reads 100% (39.96% against a floor of 40%): it keeps a decimal, 99.9%.
  if (attainment < 1 && Math.round(attainment * 100) >= 100) return `${Math.floor(attainment * 1000) / 10}%`;
  return `${grouped(attainment * 100, 0)}%`;
}

export function formatWeight(weight: number | undefined): string | undefined {
  if (weight === undefined || !Number.isFinite(weight)) return undefined;
  return `${+(weight * 100).toFixed(1)}%`;
}

/** Which way is good for a KPI: up with only a floor, down with only a ceiling, neither otherwise. */
export type Direction = 'up' | 'down' | 'none';

export function goodDirection(kpi: Pick<ReportKpi, 'target'>): Direction {
  const { min, max } = kpi.target ?? {};
  if (min !== undefined && max === undefined) return 'up';
  if (max !== undefined && min === undefined) return 'down';
  return 'none';
}

export interface Change {
  /** '▲ 4.2%', '▼ 1.1%', '→ 0.0%', 'new' (from zero) */
  text: string;
  /** Relative change, e.g. 0.042; undefined when it cannot be computed. */
  ratio?: number;
  tone: 'good' | 'bad' | 'neutral';
}

/** Relative change from `before` to `now`, or undefined when either is missing. */
export function change(
  now: number | null,
  before: number | null | undefined,
  direction: Direction,
): Change | undefined {
  if (now === null || before === null || before === undefined || !Number.isFinite(now) || !Number.isFinite(before)) {
    return undefined;
  }
  if (before === 0) return now === 0 ? { text: '→ 0.0%', ratio: 0, tone: 'neutral' } : { text: 'new', tone: 'neutral' };
  const ratio = (now - before) / Math.abs(before);
  const pct = grouped(Math.abs(ratio) * 100, 1);
  if (pct === '0.0') return { text: '→ 0.0%', ratio, tone: 'neutral' };
  const up = ratio > 0;
  const tone = direction === 'none' ? 'neutral' : (direction === 'up') === up ? 'good' : 'bad';
  return { text: `${up ? '▲ +' : '▼ −'}${pct}%`, ratio, tone };
}

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** 'Sunday' for a local date. */
export function weekdayName(date: string): string {
  return WEEKDAYS[isoWeekday(date) - 1] ?? '';
}

function dayMonth(date: string): string {
  return `${Number(date.slice(8, 10))} ${MONTH_ABBREVIATIONS[Number(date.slice(5, 7)) - 1]}`;
}

/** A short label of any period: '22 Nov', 'W47', 'Nov', '22 Nov 14:00', with the year when it differs from `thisYear`. */
export function shortPeriod(period: string, thisYear?: string): string {
  const year = period.slice(0, 4);
  const suffix = thisYear && year !== thisYear ? ` ${year}` : '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(period)) return `${dayMonth(period)}${suffix}`;
  if (/^\d{4}-W\d{2}$/.test(period)) return `W${Number(period.slice(6))}${suffix}`;
  if (/^\d{4}-\d{2}$/.test(period)) return `${MONTH_ABBREVIATIONS[Number(period.slice(5, 7)) - 1]}${suffix}`;
  // A live check's hour or a check run's minute: '22 Nov 14:00'.
  const at = /^(\d{4}-\d{2}-\d{2})T(\d{2})(?::(\d{2}))?$/.exec(period);
  if (at) return `${dayMonth(at[1]!)}${suffix} ${at[2]}:${at[3] ?? '00'}`;
  return clip(oneLine(period), 40);
}

/** The periods an incident concerns: '25 Nov', '22 Nov 14:00 – 16:00', '20 Nov – 22 Nov'. */
export function periodSpan(first: string, last: string | undefined, thisYear?: string): string {
  const from = shortPeriod(first, thisYear);
  if (last === undefined || last === first) return from;
  const sameDay = /T\d{2}/.test(first) && /T\d{2}/.test(last) && first.slice(0, 10) === last.slice(0, 10);
  return `${from} – ${sameDay ? shortPeriod(last, thisYear).split(' ').at(-1) : shortPeriod(last, thisYear)}`;
}

/**
 * Whether an incident was opened later than the night after the period that opened it (a catch-up run days later):
 * only then does the instant it was opened tell the reader something the period does not.
 */
export function openedLate(openedAt: string, openedPeriod: string, timeZone: string): boolean {
  const ms = Date.parse(openedAt);
  if (Number.isNaN(ms)) return false;
  try {
    const hour = /^(\d{4}-\d{2}-\d{2})T\d{2}(:\d{2})?$/.exec(openedPeriod);
    const end = hour ? hour[1]! : periodBounds(openedPeriod).last;
    return localDate(ms, timeZone) > addDays(end, 1);
  } catch {
    return false;
  }
}

/** The long heading of a report period: 'Sunday 22 November 2026', 'Week 47 · 16–22 Nov 2026', 'November 2026'. */
export function longPeriod(model: ReportModel): string {
  const { period } = model.report;
  try {
    const { first, last } = periodBounds(period);
    if (model.report.granularity === 'day') {
      return `${WEEKDAYS[isoWeekday(first) - 1]} ${Number(first.slice(8, 10))} ${MONTH_NAMES[Number(first.slice(5, 7)) - 1]} ${first.slice(0, 4)}`;
    }
    if (model.report.granularity === 'week') {
      const range =
        first.slice(5, 7) === last.slice(5, 7)
          ? `${Number(first.slice(8, 10))}–${dayMonth(last)}`
          : `${dayMonth(first)} – ${dayMonth(last)}`;
      return `Week ${Number(period.slice(6))} · ${range} ${last.slice(0, 4)}`;
    }
    return `${MONTH_NAMES[Number(period.slice(5, 7)) - 1]} ${period.slice(0, 4)}`;
  } catch {
    return model.report.periodLabel;
  }
}

/** Labels of the two comparisons: 'vs 21 Nov' and 'vs 15 Nov' (days), 'vs W46' and 'vs W47 2025' (weeks). */
export function comparisonLabels(model: ReportModel): { previous: string; earlier: string } {
  const { period, granularity } = model.report;
  try {
    const year = period.slice(0, 4);
    const previous = shiftPeriod(period, -1);
    const earlier =
      granularity === 'day'
        ? shiftPeriod(period, -7)
        : granularity === 'week'
          ? `${Number(year) - 1}-${period.slice(5)}`
          : `${Number(year) - 1}-${period.slice(5, 7)}`;
    return { previous: `vs ${shortPeriod(previous, year)}`, earlier: `vs ${shortPeriod(earlier, year)}` };
  } catch {
    return { previous: 'vs previous', earlier: granularity === 'day' ? 'vs a week earlier' : 'vs a year earlier' };
  }
}

/**
 * An instant as local time in the report's zone: '22 Nov 05:00'; the input string if it is not a date. The month is the
 * calendar's own abbreviation: Intl's en-GB writes 'Sept' in newer ICU, where every other date in a report says 'Sep'.
 */
/** '10:42 on Tuesday 1 Sep': an instant in the report's zone, with its weekday. */
export function instantOnDay(iso: string, timeZone: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const local = localParts(ms, isValidTimeZone(timeZone) ? timeZone : 'UTC');
  return `${clockTime(local)} on ${weekdayName(local.date)} ${dayMonth(local.date)}`;
}

export function formatInstant(iso: string | undefined, timeZone: string, withDate = true): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  const local = isValidTimeZone(timeZone) ? localParts(ms, timeZone) : localParts(ms, 'UTC');
  const time = clockTime(local);
  return withDate ? `${dayMonth(local.date)} ${time}` : time;
}

/** The pipeline figures of a period whose days the nightly rollup has not all counted yet. */
export const NOT_COUNTED =
  'Events stored and quarantined: not counted yet (the nightly rollup has not read every day).';

/** Quarantined lines as a share of all lines: '0.08%'. */
export function rejectRate(stored: number, rejected: number): string {
  const total = stored + rejected;
  if (total === 0) return '0%';
  const share = rejected / total;
  return `${(share * 100).toFixed(share < 0.01 ? 2 : 1)}%`;
}

/** 'KPI' or 'KPIs'. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A unicode sparkline for the text part: '▁▂▄▆█', with '·' for missing values. */
export function sparkline(values: Array<number | null>): string {
  const bars = '▁▂▃▄▅▆▇█';
  const seen = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (seen.length === 0) return '';
  const lo = Math.min(...seen);
  const hi = Math.max(...seen);
  return values
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return '·';
      return bars[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)]!;
    })
    .join('');
}

// How KPI values read to people: 3.12%, 4.21, 1,234, "no value".
import type { Kpi } from '#shared/config/schema.ts';

const DEFAULT_DECIMALS: Record<Kpi['unit'], number> = { count: 0, percent: 1, ratio: 2, currency: 2, score: 0 };

export function formatKpiValue(value: number | null | undefined, kpi: Pick<Kpi, 'unit' | 'decimals'>): string {
  if (value === null || value === undefined) return 'no value';
  const decimals = kpi.decimals ?? DEFAULT_DECIMALS[kpi.unit];
  const shown = kpi.unit === 'percent' ? value * 100 : value;
  const text = shown.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return kpi.unit === 'percent' ? `${text}%` : text;
}

export function formatTarget(
  target: { min?: number; max?: number } | undefined,
  kpi: Pick<Kpi, 'unit' | 'decimals'>,
): string {
  if (!target) return '';
  const f = (v: number) => formatKpiValue(v, kpi);
  if (target.min !== undefined && target.max !== undefined) return `${f(target.min)}..${f(target.max)}`;
  return target.min !== undefined ? `>= ${f(target.min)}` : `<= ${f(target.max!)}`;
}

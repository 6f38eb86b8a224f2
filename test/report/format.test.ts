import { describe, expect, it } from 'vitest';
import { REPORT_SECTIONS as CONFIG_SECTIONS } from '#shared/config/schema.ts';
import { change, formatAttainment, formatTarget, formatValue, sparkline } from '#shared/email/format.ts';
import { REPORT_SECTIONS } from '#shared/reporting/model.ts';

describe('figures', () => {
  it('shows each unit the way the config describes it', () => {
    expect(formatValue(18391, 'count')).toBe('18,391');
    expect(formatValue(0.0171, 'percent', 2)).toBe('1.71%');
    expect(formatValue(0.317, 'percent')).toBe('31.7%');
    expect(formatValue(4.8249, 'ratio')).toBe('4.82');
    expect(formatValue(1234.5, 'currency')).toBe('1,234.50');
    expect(formatValue(41.4, 'score')).toBe('41');
    expect(formatValue(null, 'count')).toBe('—');
    expect(formatValue(Number.NaN, 'count')).toBe('—');
  });

  it('writes targets as bounds and attainment as a share of target', () => {
    expect(formatTarget({ unit: 'count', target: { min: 500 } })).toBe('≥ 500');
    expect(formatTarget({ unit: 'percent', decimals: 0, target: { max: 0.02 } })).toBe('≤ 2%');
    expect(formatTarget({ unit: 'score', target: { min: 30, max: 60 } })).toBe('30–60');
    expect(formatTarget({ unit: 'count' })).toBeUndefined();
    expect(formatAttainment(1.0625)).toBe('106%');
    expect(formatAttainment(null)).toBeUndefined();
  });

  it('a missed target never reads 100% of target', () => {
    // 39.96% against a floor of 40%: a trial's report said "Missed ... 100% of target".
    expect(formatAttainment(0.999)).toBe('99.9%');
    expect(formatAttainment(0.9999)).toBe('99.9%');
    expect(formatAttainment(0.994)).toBe('99%');
    expect(formatAttainment(1)).toBe('100%');
  });
});

describe('changes', () => {
  it('are relative, with an arrow and a sign, coloured by which way is good', () => {
    expect(change(531, 511, 'up')).toMatchObject({ text: '▲ +3.9%', tone: 'good' });
    expect(change(0.0171, 0.0295, 'up')).toMatchObject({ text: '▼ −42.0%', tone: 'bad' });
    expect(change(0.05, 0.04, 'down')).toMatchObject({ text: '▲ +25.0%', tone: 'bad' });
    expect(change(120, 100, 'none')).toMatchObject({ text: '▲ +20.0%', tone: 'neutral' });
  });

  it('are flat, new or absent when they cannot be a percentage', () => {
    expect(change(100, 100, 'up')).toMatchObject({ text: '→ 0.0%', tone: 'neutral' });
    expect(change(5, 0, 'up')).toMatchObject({ text: 'new' });
    expect(change(5, null, 'up')).toBeUndefined();
    expect(change(null, 5, 'up')).toBeUndefined();
    expect(change(-5, -10, 'up')).toMatchObject({ text: '▲ +50.0%', tone: 'good' });
  });
});

describe('text sparkline', () => {
  it('spans the bars from lowest to highest and marks gaps', () => {
    expect(sparkline([1, 2, null, 8])).toBe('▁▂·█');
    expect(sparkline([])).toBe('');
  });
});

describe('sections', () => {
  it('are the ones the config schema allows', () => {
    expect([...REPORT_SECTIONS]).toEqual([...CONFIG_SECTIONS]);
  });
});

// Terminal output of stored KPI values and scorecards.
import { formatInstant } from '#shared/email/format.ts';
import { readPartialPeriods } from '#shared/events/closed-days.ts';
import { formatKpiValue, formatTarget } from '#shared/kpi/format.ts';
import { readKpiValues, readScorecards } from '#shared/kpi/kpi-store.ts';
import { type Granularity, type LocalDate, periodLabel, periodOf } from '#shared/time/calendar.ts';
import type { CommandContext } from './context.ts';

const BADGE: Record<string, string> = {
  outstanding: 'OUTSTANDING',
  met: 'met',
  missed: 'MISSED',
  no_target: '-',
  no_value: 'no value',
};

/** 'day 29 Nov', 'week 48, 2026', 'month Nov 2026': the granularity once, though a week's label already names it. */
export function scorecardHeading(granularity: Granularity, period: string): string {
  const label = periodLabel(period);
  return label.startsWith(`${granularity} `) ? label : `${granularity} ${label}`;
}

/**
 * 'partial month (data from 20 Apr 00:22)', 'partial day (data from 10:42)': the period the data begins in, after its
 * first hour, as the report's subject names it.
 */
export function partialLabel(granularity: Granularity, dataFrom: number, timeZone: string): string {
  const from = formatInstant(new Date(dataFrom).toISOString(), timeZone, granularity !== 'day');
  return `partial ${granularity} (data from ${from})`;
}

export async function printScorecard(ctx: CommandContext, day: LocalDate): Promise<void> {
  for (const line of await scorecardLines(ctx, day)) console.log(line);
}

/** The day's, week's and month's stored scorecards of `day`, each KPI a line under its heading. */
export async function scorecardLines(ctx: Pick<CommandContext, 'store' | 'config'>, day: LocalDate): Promise<string[]> {
  const lines: string[] = [];
  const partial = await readPartialPeriods(ctx.store, ctx.config.timeZone);
  for (const granularity of ['day', 'week', 'month'] as const) {
    const period = periodOf(day, granularity);
    const [card] = await readScorecards(ctx.store, granularity, period, period);
    if (!card) continue;
    const to = card.complete ? '' : ` (to date, through ${card.asOf})`;
    // The stored card judges the period the data begins in against a whole period's targets: it is not judged.
    const unjudged = partial.has(period) && partial.dataFrom !== undefined;
    const summary = unjudged
      ? `${partialLabel(granularity, partial.dataFrom!, ctx.config.timeZone)}, targets not judged`
      : `score ${card.score ?? 'n/a'} - ${card.outstanding} outstanding, ${card.met} met, ${card.missed} missed, ${card.noValue} without value`;
    lines.push(`\n${scorecardHeading(granularity, period)}${to}: ${summary}`);
    for (const kpi of ctx.config.kpis) {
      if (!kpi.granularities.includes(granularity)) continue;
      const [v] = await readKpiValues(ctx.store, kpi.id, granularity, period, period);
      if (!v) continue;
      const value = v.pending ? 'pending' : formatKpiValue(v.value, kpi);
      const scopes = v.byScope
        ? `  [${Object.entries(v.byScope)
            .map(([s, x]) => `${s} ${formatKpiValue(x.value, kpi)}`)
            .join(', ')}]`
        : '';
      const judged = v.status === 'met' || v.status === 'missed' || v.status === 'outstanding';
      const badge = unjudged && judged ? 'not judged' : (BADGE[v.status] ?? v.status);
      lines.push(
        `  ${kpi.name.padEnd(22)} ${value.padStart(10)}  ${formatTarget(v.target, kpi).padEnd(10)} ${badge}${scopes}`,
      );
    }
  }
  return lines;
}

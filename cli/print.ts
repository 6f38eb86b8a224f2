// Terminal output of stored KPI values and scorecards.
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

export async function printScorecard(ctx: CommandContext, day: LocalDate): Promise<void> {
  for (const granularity of ['day', 'week', 'month'] as const) {
    const period = periodOf(day, granularity);
    const [card] = await readScorecards(ctx.store, granularity, period, period);
    if (!card) continue;
    const to = card.complete ? '' : ` (to date, through ${card.asOf})`;
    console.log(
      `\n${scorecardHeading(granularity, period)}${to}: score ${card.score ?? 'n/a'} - ${card.outstanding} outstanding, ${card.met} met, ${card.missed} missed, ${card.noValue} without value`,
    );
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
      console.log(
        `  ${kpi.name.padEnd(22)} ${value.padStart(10)}  ${formatTarget(v.target, kpi).padEnd(10)} ${BADGE[v.status] ?? v.status}${scopes}`,
      );
    }
  }
}

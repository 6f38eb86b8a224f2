// Fills a report model for one recipient from stored state: KPI values and history, scorecard, pipeline health.
// Role scoping happens here, before rendering: a specialist's model holds only their department's KPIs.
import type { Kpi, NightshiftConfig, Person, Report } from '#shared/config/schema.ts';
import { readIngestStats } from '#shared/events/events-store.ts';
import { JOBS, recentRuns } from '#shared/jobs/runs.ts';
import { readKpiValues, readScorecards, type ScopeValue, type StoredKpiValue } from '#shared/kpi/kpi-store.ts';
import { scorecard } from '#shared/kpi/scorecard.ts';
import type { StateStore } from '#shared/store/store.ts';
import {
  type Granularity,
  type PeriodId,
  periodBounds,
  periodDays,
  periodLabel,
  shiftPeriod,
} from '#shared/time/calendar.ts';
import type { ReportCheck, ReportIncident, ReportKpi, ReportModel } from './model.ts';

export interface ReportDeps {
  store: StateStore;
  config: NightshiftConfig;
  now: () => number;
  /** Incidents to show for the period (from the alerts module), already in report form. */
  incidents?: (period: PeriodId) => Promise<ReportIncident[]>;
  /** The night's backup and data checks (from the checks module). */
  checks?: (period: PeriodId) => Promise<ReportCheck[]>;
}

const HISTORY: Record<Granularity, number> = { day: 30, week: 12, month: 12 };
/** Same period a week earlier for days; a year earlier for weeks and months. */
const EARLIER: Record<Granularity, number> = { day: -7, week: -52, month: -12 };

export function reportGranularity(report: Report): Granularity {
  return report.period ?? report.schedule.every;
}

/** KPIs a person may see in a report: specialists their own department's, analysts and administrators all. */
export function visibleKpis(report: Report, person: Person, config: NightshiftConfig): Kpi[] {
  const listed = report.kpis === 'all' ? config.kpis : config.kpis.filter((k) => report.kpis.includes(k.id));
  const g = reportGranularity(report);
  return listed.filter(
    (k) => k.granularities.includes(g) && (person.role !== 'specialist' || k.department === person.department),
  );
}

export async function loadReportModel(
  report: Report,
  period: PeriodId,
  person: Person,
  deps: ReportDeps,
): Promise<ReportModel> {
  const { store, config } = deps;
  const granularity = reportGranularity(report);
  const kpis = visibleKpis(report, person, config);
  const from = shiftPeriod(period, Math.min(-HISTORY[granularity] + 1, EARLIER[granularity]));
  const stored = await Promise.all(kpis.map((k) => readKpiValues(store, k.id, granularity, from, period)));
  const { last } = periodBounds(period);

  const current = stored.map((values) => values.find((v) => v.period === period));
  const ready = current.length > 0 && current.every((v) => v !== undefined && v.asOf >= last);
  const model: ReportModel = {
    report: { id: report.id, title: report.title, period, periodLabel: periodLabel(period), granularity },
    recipient: {
      name: person.name,
      email: person.email,
      role: person.role,
      ...(person.department ? { department: person.department } : {}),
    },
    generatedAt: new Date(deps.now()).toISOString(),
    timeZone: config.timeZone,
    dataReady: ready,
    kpis: [],
    incidents: deps.incidents ? await deps.incidents(period) : [],
    checks: deps.checks && report.sections.includes('checks') ? await deps.checks(period) : [],
    pipeline: await pipelineHealth(store, period),
    sections: report.sections,
  };
  if (!ready) {
    const asOf = current.find((v) => v !== undefined)?.asOf;
    model.notReadyReason = asOf
      ? `KPIs for ${periodLabel(period)} were last rolled up with data through ${asOf}; the rollup for the period has not run yet.`
      : `No KPI rollup has run for ${periodLabel(period)} yet.`;
    return model;
  }

  const scope = (k: Kpi, v: StoredKpiValue | undefined): ScopeValue | undefined => {
    // A specialist sees the department's own slice of a KPI that is split by department.
    if (v && person.role === 'specialist' && k.scopeBy && person.department) return v.byScope?.[person.department] ?? v;
    return v;
  };
  model.kpis = kpis.map((k, i) => {
    const values = stored[i]!;
    const byPeriod = new Map(values.map((v) => [v.period, scope(k, v)]));
    const v = byPeriod.get(period)!;
    const row: ReportKpi = {
      id: k.id,
      name: k.name,
      unit: k.unit,
      value: v.value,
      attainment: v.attainment,
      status: v.status,
      previous: byPeriod.get(shiftPeriod(period, -1))?.value ?? null,
      samePeriodLastWeek: byPeriod.get(shiftPeriod(period, EARLIER[granularity]))?.value ?? null,
      history: historyOf(period, granularity, byPeriod),
    };
    if (k.decimals !== undefined) row.decimals = k.decimals;
    if (v.target) row.target = v.target;
    if (k.weight !== undefined) row.weight = k.weight;
    return row;
  });

  if (person.role === 'specialist') {
    const card = scorecard(kpis.map((k, i) => ({ kpi: k, assessment: model.kpis[i]! })));
    model.scorecard = {
      score: card.score,
      met: card.met,
      missed: card.missed,
      outstanding: card.outstanding,
      noValue: card.noValue,
    };
  } else {
    const [card] = await readScorecards(store, granularity, period, period);
    if (card) {
      model.scorecard = {
        score: card.score,
        met: card.met,
        missed: card.missed,
        outstanding: card.outstanding,
        noValue: card.noValue,
      };
    }
  }
  return model;
}

function historyOf(
  period: PeriodId,
  granularity: Granularity,
  byPeriod: Map<PeriodId, ScopeValue | undefined>,
): ReportKpi['history'] {
  const out: ReportKpi['history'] = [];
  for (let i = HISTORY[granularity] - 1; i >= 0; i--) {
    const p = shiftPeriod(period, -i);
    out.push({ period: p, value: byPeriod.get(p)?.value ?? null });
  }
  return out;
}

/** Events accepted and rejected on the period's days, and how each nightly job last ran. */
async function pipelineHealth(store: StateStore, period: PeriodId): Promise<ReportModel['pipeline']> {
  const stats = await Promise.all(periodDays(period).map((d) => readIngestStats(store, d)));
  const rejectReasons: Record<string, number> = {};
  for (const s of stats) {
    for (const [reason, n] of Object.entries(s.byReason))
      rejectReasons[reason] = (rejectReasons[reason] ?? 0) + (n ?? 0);
  }
  const jobs = await Promise.all(
    JOBS.map(async (job) => {
      const [run] = await recentRuns(store, job, 1);
      if (!run) return { job, status: 'missing' as const };
      return { job, status: run.status === 'failed' ? ('failed' as const) : ('ok' as const), at: run.startedAt };
    }),
  );
  return {
    accepted: stats.reduce((s, x) => s + x.accepted, 0),
    rejected: stats.reduce((s, x) => s + x.rejected, 0),
    rejectReasons,
    jobs,
  };
}

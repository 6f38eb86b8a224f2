// The report model: everything one recipient's email shows, already scoped to their role and masked.
// The loader fills it from the store; the renderer turns it into subject, HTML, text and chart images.
import type { ClosedReason } from '#shared/events/closed-days.ts';
import type { Granularity } from '#shared/time/calendar.ts';

export type { ClosedReason };

/**
 * Why no target of the period is judged: the business was closed on every day of it (a ClosedReason), or 'partial':
 * the data begins during it, after its first hour, so its figures count only a part of it (partialPeriod).
 */
export type NotJudgedReason = ClosedReason | 'partial';

export const REPORT_SECTIONS = ['scorecard', 'kpis', 'trends', 'incidents', 'checks', 'pipeline'] as const;
export type ReportSection = (typeof REPORT_SECTIONS)[number];

export type Role = 'specialist' | 'analyst' | 'administrator';
export type KpiUnit = 'count' | 'percent' | 'ratio' | 'currency' | 'score';
/**
 * `pending`: the value cannot be known yet (next-day retention of a day whose next day has not ended); `closed`: the
 * business was closed on every day of the period (a holiday, a Sunday it keeps closed), or the data begins during it
 * (`ReportModel.closed` says which), so its target is not judged.
 */
export type KpiStatus = 'outstanding' | 'met' | 'missed' | 'no_target' | 'no_value' | 'pending' | 'closed';

export interface ReportKpi {
  id: string;
  name: string;
  /** `percent` values are fractions: 0.031 is shown as 3.1% (as in the config). */
  unit: KpiUnit;
  /** Decimals shown; default by unit (count 0, percent 1, ratio 2, currency 2, score 0). */
  decimals?: number;
  value: number | null;
  target?: { min?: number; max?: number };
  /**
   * A per-day target of a week or month the business was closed on some days of: the target counts its `open` days
   * of the `days` the value covers.
   */
  targetDays?: { open: number; days: number };
  /** 1.0 = exactly on target. */
  attainment: number | null;
  status: KpiStatus;
  /** Share of the weighted scorecard, a fraction (0.2 = 20%). */
  weight?: number;
  /** Value of the previous period (the day, week or month before). */
  previous: number | null;
  /** The same period a week earlier (days), or a year earlier (weeks and months). */
  samePeriodLastWeek?: number | null;
  /** For the trend chart, oldest first, ~14-30 points; the last one is normally this period. */
  history: Array<{ period: string; value: number | null }>;
  /**
   * The department whose slice of a KPI split by department every figure of the row is (a specialist's report);
   * no value then means no data for that department, never the company-wide value instead.
   */
  department?: string;
  /**
   * Why a row with no value has none, where the stored data tells: no events at all for the period, or the inputs of
   * its formula that had nothing ('count("Page Viewed") was 0'). A report not rolled up yet says so once
   * (`notReadyReason`), a department's slice by its badge.
   */
  noValueReason?: string;
}

export interface ReportIncident {
  title: string;
  /** KPI name (or id) the incident is about. */
  kpi?: string;
  state: 'open' | 'escalated' | 'resolved';
  severity: 'warning' | 'critical';
  /**
   * ISO 8601 instant the incident was opened: when detection ran, which may be days after the period it is about
   * (a catch-up run). The report dates an incident by `firstPeriod`.
   */
  openedAt: string;
  /**
   * The first unusual period the incident is about ('2026-11-25', '2026-W47', '2026-11', or an hour '2026-11-25T14'),
   * which may precede the one that opened it.
   */
  firstPeriod?: string;
  /** The period whose judgement opened it (after `firstPeriod` when a rule needs several unusual periods). */
  openedPeriod?: string;
  /** The period that resolved it, when resolved. */
  resolvedPeriod?: string;
  /**
   * How it resolved, when resolved: the ISO 8601 instant detection (or the check, or the watchdog) resolved it, and
   * its judgement of the period that did, as it wrote it ('Orders 512'), when the incident store keeps it.
   */
  resolution?: { at: string; summary?: string };
  /** Name of the person who acts first. */
  firstResponder: string;
  /** What it is about: the latest judgement of an open incident; the worst of a resolved one (see `resolution`). */
  summary: string;
}

export interface ReportCheck {
  id: string;
  kind: string;
  status: 'pass' | 'warn' | 'fail';
  summary: string;
}

/**
 * How a nightly job stands, as the watchdog judges it: its latest due run started on time and its last attempt
 * succeeded ('ok'), started after the grace time ('late'), did not start at all ('missed'), or failed ('failed');
 * 'missing' when no run of the job is recorded at all; 'not_needed' when the config gives it nothing to do (no checks
 * configured): never counted as a job that did not run.
 */
export type JobStatus = 'ok' | 'late' | 'missed' | 'failed' | 'missing' | 'not_needed';

export interface ReportJob {
  job: string;
  status: JobStatus;
  /** ISO 8601 instant the job last ran. */
  at?: string;
  /**
   * What is wrong, when something is: 'Backup and data checks did not run: due 02:00 on 23 Nov, ...'; for a job not
   * needed, why: 'No checks configured'.
   */
  note?: string;
}

export interface ReportModel {
  report: {
    id: string;
    title: string;
    /** '2026-11-22' | '2026-W47' | '2026-11' */
    period: string;
    /** '22 Nov', '1 Oct (holiday)' */
    periodLabel: string;
    granularity: Granularity;
    /** A daily report of one of the config's holidays: its figures are unusual, and the report says why. */
    holiday?: true;
  };
  recipient: { name: string; email: string; role: Role; department?: string };
  /** ISO 8601 instant. */
  generatedAt: string;
  /** IANA zone the report's days and times are in. */
  timeZone: string;
  /** False when the rollup did not run: the report says so and shows no KPI figures. */
  dataReady: boolean;
  notReadyReason?: string;
  /** `noValue` leaves out the `pending` KPIs. */
  scorecard?: {
    score: number | null;
    met: number;
    missed: number;
    outstanding: number;
    noValue: number;
    pending?: number;
    /** KPIs not judged because the business was closed. */
    closed?: number;
  };
  /**
   * No target is judged, and the report says why: the business was closed on every day of the period, or the data
   * begins during it ('partial', from `dataFrom`).
   */
  closed?: NotJudgedReason;
  /** ISO 8601 instant of the earliest event stored, when the period is the partial one the data begins in. */
  dataFrom?: string;
  kpis: ReportKpi[];
  incidents: ReportIncident[];
  checks: ReportCheck[];
  /**
   * Figures counted from what is stored, the same after any retry or redelivery: `stored` unique events whose KPI day
   * is in the period, `rejected` distinct lines quarantined on its days (by the day each was first sent), as the
   * nightly rollup last counted them; null while a day of the period has not been counted.
   */
  pipeline: {
    stored: number | null;
    rejected: number | null;
    rejectReasons: Record<string, number>;
    jobs: ReportJob[];
    /**
     * Bounces and complaints SES reported on the period's days, and the config ids of the recipients concerned
     * (absent when the pipeline is not read).
     */
    mail?: { bounces: number; complaints: number; recipients: string[] };
  };
  /** Sections to show, in this order. */
  sections: ReportSection[];
}

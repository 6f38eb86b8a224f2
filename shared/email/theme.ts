// Colours and type shared by the HTML and the charts, so a status looks the same in both.
import type { JobStatus, KpiStatus } from '#shared/reporting/model.ts';

export const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif";

export const COLOUR = {
  page: '#f1f3f7',
  card: '#ffffff',
  border: '#e3e7ee',
  rule: '#eef1f5',
  ink: '#111827',
  body: '#374151',
  muted: '#6b7280',
  faint: '#9ca3af',
  brand: '#4f46e5',
  brandSoft: '#eef2ff',
  good: '#15803d',
  bad: '#b91c1c',
  warn: '#b45309',
  neutral: '#6b7280',
} as const;

/** Badge colours: text on a light fill, readable without colour because the badge also carries a word. */
export const BADGE = {
  outstanding: { fg: '#5b21b6', bg: '#ede9fe', label: '★ Outstanding' },
  met: { fg: '#166534', bg: '#dcfce7', label: '✓ Met' },
  missed: { fg: '#991b1b', bg: '#fee2e2', label: '✗ Missed' },
  no_target: { fg: '#4b5563', bg: '#f3f4f6', label: 'No target' },
  no_value: { fg: '#4b5563', bg: '#f3f4f6', label: 'No data' },
  pending: { fg: '#1e40af', bg: '#eff6ff', label: 'Pending' },
  closed: { fg: '#4b5563', bg: '#f3f4f6', label: 'Closed' },
  critical: { fg: '#991b1b', bg: '#fee2e2', label: 'Critical' },
  warning: { fg: '#92400e', bg: '#fef3c7', label: 'Warning' },
  open: { fg: '#1e40af', bg: '#dbeafe', label: 'Open' },
  escalated: { fg: '#991b1b', bg: '#fee2e2', label: 'Escalated' },
  resolved: { fg: '#166534', bg: '#dcfce7', label: 'Resolved' },
  pass: { fg: '#166534', bg: '#dcfce7', label: '✓ Pass' },
  warn: { fg: '#92400e', bg: '#fef3c7', label: '! Warn' },
  fail: { fg: '#991b1b', bg: '#fee2e2', label: '✗ Fail' },
  ok: { fg: '#166534', bg: '#dcfce7', label: '✓ Ran' },
  failed: { fg: '#991b1b', bg: '#fee2e2', label: '✗ Failed' },
  missing: { fg: '#92400e', bg: '#fef3c7', label: '! Never ran' },
  not_needed: { fg: '#4b5563', bg: '#f3f4f6', label: 'Not needed' },
} as const;
export type BadgeKind = keyof typeof BADGE;

/** A nightly job's status as a badge: the colours of a badge kind, with the job's own word. */
export const JOB_BADGE: Record<JobStatus, { kind: BadgeKind; label: string }> = {
  ok: { kind: 'ok', label: BADGE.ok.label },
  late: { kind: 'warn', label: '! Late' },
  missed: { kind: 'failed', label: '✗ Did not run' },
  failed: { kind: 'failed', label: BADGE.failed.label },
  missing: { kind: 'missing', label: BADGE.missing.label },
  not_needed: { kind: 'not_needed', label: BADGE.not_needed.label },
};

/** Chart colour of the latest point, by KPI status. */
export const STATUS_DOT: Record<KpiStatus, string> = {
  outstanding: '#7c3aed',
  met: '#16a34a',
  missed: '#dc2626',
  no_target: '#4f46e5',
  no_value: '#9ca3af',
  pending: '#9ca3af',
  closed: '#9ca3af',
};

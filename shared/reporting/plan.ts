// The report planner: when a report's schedule fires, one delivery message per recipient for the period that just
// ended (yesterday, last ISO week, last month) in the config's time zone.
import type { NightshiftConfig, Report } from '#shared/config/schema.ts';
import type { DeliveryMessage, DeliveryQueue } from '#shared/queue/messages.ts';
import { localDate, type PeriodId, periodOf, shiftPeriod } from '#shared/time/calendar.ts';
import { reportGranularity } from './load.ts';

export class PlanError extends Error {
  override name = 'PlanError';
}

/** The last complete period of the report's granularity at the local date the schedule fired. */
export function reportPeriodFor(report: Report, firedAt: number, timeZone: string): PeriodId {
  const today = localDate(firedAt, timeZone);
  return shiftPeriod(periodOf(today, reportGranularity(report)), -1);
}

export function reportMessages(report: Report, period: PeriodId): DeliveryMessage[] {
  return report.recipients.map((recipientId) => ({ kind: 'report', reportId: report.id, period, recipientId }));
}

export async function planReport(
  reportId: string,
  firedAt: number,
  deps: { config: NightshiftConfig; queue: DeliveryQueue },
): Promise<{ reportId: string; period: PeriodId; messages: number }> {
  const report = deps.config.reports.find((r) => r.id === reportId);
  if (!report)
    throw new PlanError(`unknown report '${reportId}' (known: ${deps.config.reports.map((r) => r.id).join(', ')})`);
  const period = reportPeriodFor(report, firedAt, deps.config.timeZone);
  const messages = reportMessages(report, period);
  await deps.queue.enqueue(messages);
  return { reportId, period, messages: messages.length };
}

// `nightshift report`: preview a report as one HTML file, or send it through the local SES like the night would.
import { writeFileSync } from 'node:fs';
import type { Report } from '#shared/config/schema.ts';
import { type SendOutcome, sendDelivery } from '#shared/delivery/send.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import { previewHtml, renderReport } from '#shared/email/render.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { createInlineQueue } from '#shared/queue/sqs-queue.ts';
import { loadReportModel, reportGranularity } from '#shared/reporting/load.ts';
import { reportMessages, reportPeriodFor } from '#shared/reporting/plan.ts';
import { type PeriodId, parseLocalDate, periodOf } from '#shared/time/calendar.ts';
import type { CommandContext } from './context.ts';

export interface ReportOptions {
  date?: string;
  out?: string;
  to?: string;
  send?: boolean;
}

export function findReport(ctx: CommandContext, name: string): Report {
  const report = ctx.config.reports.find((r) => r.id === name);
  if (!report) throw new Error(`unknown report '${name}' (known: ${ctx.config.reports.map((r) => r.id).join(', ')})`);
  return report;
}

/**
 * `report --send` for the period that just ended is what the scheduled planning job does: it is recorded as that
 * job's run for the report, so the report and the watchdog do not say the planning never ran. A preview, or a send
 * for an earlier period, is not.
 */
export async function reportCommandRun(ctx: CommandContext, name: string, o: ReportOptions) {
  const report = findReport(ctx, name);
  const latest = reportPeriodFor(report, ctx.now(), ctx.config.timeZone);
  const period = o.date ? periodOf(parseLocalDate(o.date), reportGranularity(report)) : latest;
  if (!o.send || period !== latest) return runReport(ctx, name, o);
  return recordRun(ctx.store, 'plan-reports', ctx.now, () => runReport(ctx, name, o), { key: report.id });
}

export async function runReport(ctx: CommandContext, name: string, o: ReportOptions) {
  const report = findReport(ctx, name);
  const period: PeriodId = o.date
    ? periodOf(parseLocalDate(o.date), reportGranularity(report))
    : reportPeriodFor(report, ctx.now(), ctx.config.timeZone);
  if (!o.out && !o.send) throw new Error('say what to do: --out FILE.html to preview, --send to send');
  if (o.to && !report.recipients.includes(o.to)) {
    throw new Error(`'${o.to}' is not a recipient of ${report.id} (recipients: ${report.recipients.join(', ')})`);
  }
  const result: {
    report: string;
    period: PeriodId;
    preview?: string;
    sent?: SendOutcome[];
    inboxUrl?: string;
    outbox?: string;
  } = {
    report: report.id,
    period,
  };

  if (o.out) {
    const personId = o.to ?? report.recipients[0]!;
    const person = ctx.config.people.find((p) => p.id === personId)!;
    const sources = mailSources(ctx.store, ctx.config).reportSources;
    const rendered = renderReport(await loadReportModel(report, period, person, { ...ctx, ...sources }));
    writeFileSync(o.out, previewHtml(rendered));
    result.preview = o.out;
    console.error(`${rendered.subject}\npreview for ${person.name} (${person.role}) written to ${o.out}`);
  }
  if (o.send) {
    const { mailer, inboxUrl, outbox } = await ctx.mail();
    const sent: SendOutcome[] = [];
    const queue = createInlineQueue(async (m) => {
      sent.push(
        await sendDelivery(m, {
          store: ctx.store,
          config: ctx.config,
          mailer,
          now: ctx.now,
          ...mailSources(ctx.store, ctx.config),
        }),
      );
    });
    await queue.enqueue(reportMessages(report, period).filter((m) => !o.to || m.recipientId === o.to));
    for (const s of sent) {
      console.error(s.status === 'sent' ? `sent "${s.subject}" to ${s.to}` : `skipped: ${s.why.replace('_', ' ')}`);
    }
    console.error(`copies in ${outbox}`);
    Object.assign(result, { sent, inboxUrl, outbox });
  }
  return result;
}

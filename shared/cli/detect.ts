// `nightshift detect`: judge the alert rules and expected events for past days, open/resolve incidents and mail
// their transitions through the local SES, as the hourly detection does in AWS.
import { detectAnomaliesBetween } from '#shared/alerts/detect.ts';
import { type SendOutcome, sendDelivery } from '#shared/delivery/send.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import { createInlineQueue } from '#shared/delivery/sqs-queue.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import type { LocalDate } from '#shared/time/calendar.ts';
import type { CommandContext } from './context.ts';

export async function runDetect(ctx: CommandContext, from: LocalDate, to: LocalDate) {
  const { mailer, outbox } = await ctx.mail();
  const sent: SendOutcome[] = [];
  const sources = mailSources(ctx.store, ctx.config);
  const queue = createInlineQueue(async (m) => {
    sent.push(await sendDelivery(m, { store: ctx.store, config: ctx.config, mailer, now: ctx.now, ...sources }));
  });
  const summary = await recordRun(ctx.store, 'detect', ctx.now, () =>
    detectAnomaliesBetween(from, to, { store: ctx.store, config: ctx.config, now: ctx.now, queue }),
  );
  return { ...summary, alertsSent: sent.filter((s) => s.status === 'sent').length, outbox };
}

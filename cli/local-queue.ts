// The delivery queue of a CLI command: each message is sent at once through the local SES (and kept as .eml in the
// outbox), as the send-email function would send it from SQS in AWS.

import { type SendOutcome, sendDelivery } from '#shared/delivery/send.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import type { DeliveryQueue } from '#shared/queue/messages.ts';
import { createInlineQueue } from '#shared/queue/sqs-queue.ts';
import type { CommandContext } from './context.ts';

export interface LocalQueue {
  queue: DeliveryQueue;
  /** Outcomes so far, in the order sent. */
  sent: SendOutcome[];
  /** Mails actually sent (not skipped as already sent). */
  sentCount(): number;
  outbox: string;
}

export async function localDeliveryQueue(ctx: CommandContext): Promise<LocalQueue> {
  const { mailer, outbox } = await ctx.mail();
  const sent: SendOutcome[] = [];
  const sources = mailSources(ctx.store, ctx.config);
  const queue = createInlineQueue(async (m) => {
    sent.push(await sendDelivery(m, { store: ctx.store, config: ctx.config, mailer, now: ctx.now, ...sources }));
  });
  return { queue, sent, outbox, sentCount: () => sent.filter((s) => s.status === 'sent').length };
}

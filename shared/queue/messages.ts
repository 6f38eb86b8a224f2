// What travels on the delivery queue: one message per (what, period or transition, recipient). The sender renders
// the mail from stored state when it sends, so a message stays small and a retry shows the same content.
// zod/mini: the same checks at a fraction of the bundle size (this parses every message at the sender's edge).
import * as z from 'zod/mini';

export const ReportDelivery = z.object({
  kind: z.literal('report'),
  reportId: z.string().check(z.minLength(1)),
  /** '2026-11-22' | '2026-W47' | '2026-11' */
  period: z.string().check(z.minLength(1)),
  recipientId: z.string().check(z.minLength(1)),
});

export const AlertDelivery = z.object({
  kind: z.literal('alert'),
  incidentId: z.string().check(z.minLength(1)),
  transition: z.enum(['opened', 'escalated', 'resolved']),
  /** The incident's transition counter: makes "opened again after cooldown" a different mail. */
  seq: z.int().check(z.minimum(0)),
  recipientId: z.string().check(z.minLength(1)),
});

export type ReportDelivery = z.infer<typeof ReportDelivery>;
export type AlertDelivery = z.infer<typeof AlertDelivery>;

export const DeliveryMessage = z.discriminatedUnion('kind', [ReportDelivery, AlertDelivery]);
export type DeliveryMessage = z.infer<typeof DeliveryMessage>;

/** The idempotency key of a delivery: the same key is never mailed twice. */
export function deliveryKey(m: DeliveryMessage): string {
  return m.kind === 'report'
    ? `report#${m.reportId}#${m.period}#${m.recipientId}`
    : `alert#${m.incidentId}#${m.seq}#${m.transition}#${m.recipientId}`;
}

/** The port to the delivery queue (SQS in AWS; processed in-process by the CLI). */
export interface DeliveryQueue {
  enqueue(messages: readonly DeliveryMessage[]): Promise<void>;
}

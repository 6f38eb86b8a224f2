// The delivery queue on SQS: messages go out in SendMessageBatch calls of 10; entries SQS refuses are retried, and
// what still fails after that is an error (the scheduled job fails, is recorded, and its retry re-plans: the ledger
// keeps a re-planned mail from going out twice).
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DeliveryMessage, type DeliveryQueue, deliveryKey } from './messages.ts';

const BATCH = 10;
const ATTEMPTS = 4;

export class QueueError extends Error {
  override name = 'QueueError';
}

export function createSqsQueue(queueUrl: string, client: SQSClient = new SQSClient({})): DeliveryQueue {
  return {
    async enqueue(messages) {
      for (let i = 0; i < messages.length; i += BATCH) {
        let pending: DeliveryMessage[] = messages.slice(i, i + BATCH);
        for (let attempt = 1; pending.length > 0; attempt++) {
          if (attempt > ATTEMPTS) {
            throw new QueueError(
              `${pending.length} delivery messages not accepted by SQS: ${pending.map(deliveryKey).join(', ')}`,
            );
          }
          const entries = pending.map((m, k) => ({ Id: String(k), MessageBody: JSON.stringify(m) }));
          const out = await client.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
          const failed = new Set((out.Failed ?? []).map((f) => f.Id));
          pending = pending.filter((_, k) => failed.has(String(k)));
          if (pending.length > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        }
      }
    },
  };
}

/** A queue that hands each message straight to `deliver`, in order: the CLI's local stand-in for SQS. */
export function createInlineQueue(deliver: (message: DeliveryMessage) => Promise<void>): DeliveryQueue {
  return {
    async enqueue(messages) {
      for (const m of messages) await deliver(m);
    },
  };
}

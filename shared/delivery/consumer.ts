// The delivery queue's consumer, as send-email runs it: each SQS record is parsed and sent on its own (Powertools'
// BatchProcessor). Only a record whose mail is sent, or found sent already, is acknowledged; any other (SES refused
// it, its data is not ready, another sender holds its claim, it is malformed) is reported back as a batch item
// failure, so SQS delivers it again after the visibility timeout and moves it to the dead-letter queue, whose alarm
// fires, after MAX_RECEIVE_COUNT receives.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DeliveryMessage, deliveryKey } from '#shared/queue/messages.ts';
import { DeliveryInFlightError, type SendDeps, sendDelivery } from './send.ts';

/** What the consumer logs (the Powertools logger, whose replacer scrubs personal data, fits). */
export interface DeliveryLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface ConsumerDeps extends SendDeps {
  log?: DeliveryLog;
  /** Called once per mail SES accepted (the EmailsSent metric). */
  onSent?: () => void;
}

export class MalformedDeliveryError extends Error {
  override name = 'MalformedDeliveryError';
}

/**
 * Sends each record of a batch of the delivery queue; returns the records to retry. Throws (Powertools'
 * FullBatchFailureError) when none was delivered, which SQS treats like a failure of every record.
 */
export async function consumeDeliveries(event: SQSEvent, deps: ConsumerDeps): Promise<SQSBatchResponse> {
  return processPartialResponse(
    event,
    (record: SQSRecord) => deliverRecord(record, deps),
    new BatchProcessor(EventType.SQS),
  );
}

async function deliverRecord(record: SQSRecord, deps: ConsumerDeps): Promise<void> {
  const message = parseMessage(record);
  const key = deliveryKey(message);
  // A delivery key names the report or incident and the recipient's config id, never their address.
  const about = { sqsMessageId: record.messageId, deliveryKey: key, receiveCount: receives(record) };
  try {
    const outcome = await sendDelivery(message, deps);
    if (outcome.status === 'sent') {
      deps.onSent?.();
      if (outcome.takenOver) {
        deps.log?.warn(
          'delivery sent after taking over the claim of a sender that died (a second copy if it died after SES accepted)',
          about,
        );
      } else deps.log?.info('delivery sent', { ...about, sesMessageId: outcome.messageId });
    } else deps.log?.info('delivery already sent', about);
  } catch (error) {
    if (error instanceof DeliveryInFlightError) {
      deps.log?.info('delivery claimed by another sender: left to the queue', {
        ...about,
        claimExpiresAt: new Date(error.expiresAt).toISOString(),
      });
    } else deps.log?.warn('delivery failed: left to the queue', { ...about, error: errorText(error) });
    throw error;
  }
}

function parseMessage(record: SQSRecord): DeliveryMessage {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new MalformedDeliveryError(`delivery message ${record.messageId}: not JSON`);
  }
  const parsed = DeliveryMessage.safeParse(body);
  if (!parsed.success)
    throw new MalformedDeliveryError(`delivery message ${record.messageId}: ${parsed.error.message}`);
  return parsed.data;
}

const receives = (record: SQSRecord) => Number(record.attributes?.ApproximateReceiveCount) || undefined;
const errorText = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

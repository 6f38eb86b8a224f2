// Delivery queue -> SES. Each message is claimed in the delivery ledger before SES is called, so a redelivered
// message is skipped; a failed send is reported back alone and retried by SQS, then dead-lettered with an alarm.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaRuntime } from '#functions/runtime.ts';
import { sendDelivery } from '#shared/delivery/send.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import { createSesMailer } from '#shared/mailer/mailer.ts';
import { observability } from '#shared/observability/observe.ts';
import { DeliveryMessage } from '#shared/queue/messages.ts';

const processor = new BatchProcessor(EventType.SQS);
const mailer = createSesMailer();

async function deliver(record: SQSRecord): Promise<void> {
  const { store, config, now } = lambdaRuntime();
  const obs = observability(config);
  // A malformed message fails like any other, so it ends in the dead-letter queue (with its alarm) for inspection.
  const parsed = DeliveryMessage.safeParse(JSON.parse(record.body));
  if (!parsed.success) throw new Error(`malformed delivery message ${record.messageId}: ${parsed.error.message}`);
  const outcome = await sendDelivery(parsed.data, { store, config, mailer, now, ...mailSources(store, config) });
  if (outcome.status === 'sent') obs.emailSent();
  obs.logger.info('delivery', {
    messageId: record.messageId,
    status: outcome.status,
    ...('why' in outcome ? { why: outcome.why } : {}),
  });
}

export const handler = async (event: SQSEvent) =>
  observability(lambdaRuntime().config).invocation(() => processPartialResponse(event, deliver, processor));

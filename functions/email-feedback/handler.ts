// SES bounce and complaint events of the configuration set (EventBridge rule -> SQS) -> each recorded against the
// recipient it concerns, for the watchdog and the reports' pipeline section. A record that cannot be parsed or stored
// goes back to SQS, then to the dead-letter queue and its alarm.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSRecord } from 'aws-lambda';
import { type HandlerContext, nightshiftHandler, SqsBatch } from '#functions/middleware.ts';
import { recordSesEvent } from '#shared/mailer/feedback.ts';

async function record(message: SQSRecord, { store, config, obs }: HandlerContext): Promise<void> {
  const feedback = await recordSesEvent(store, JSON.parse(message.body), config.timeZone);
  if (!feedback) return;
  // The recipient is logged by config id, a pseudonym: only the config maps it to an address.
  const { type, recipientId, detail, permanent, mailKind, sesMessageId } = feedback;
  obs.logger.warn(`mail ${type}`, { recipientId, detail, permanent, mailKind, sesMessageId });
}

export const handler = nightshiftHandler(SqsBatch, async (event, ctx) =>
  ctx.obs.invocation(() =>
    processPartialResponse(event, (m: SQSRecord) => record(m, ctx), new BatchProcessor(EventType.SQS)),
  ),
);

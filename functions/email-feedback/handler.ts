// SES bounce and complaint events of the configuration set (EventBridge rule -> SQS) -> each recorded against the
// recipient it concerns, for the watchdog and the reports' pipeline section. A record that cannot be parsed or stored
// goes back to SQS, then to the dead-letter queue and its alarm.
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaRuntime } from '#functions/runtime.ts';
import { recordSesEvent } from '#shared/mailer/feedback.ts';
import { observability } from '#shared/observability/observe.ts';

async function record(message: SQSRecord): Promise<void> {
  const { store, config } = lambdaRuntime();
  const feedback = await recordSesEvent(store, JSON.parse(message.body), config.timeZone);
  if (!feedback) return;
  // The recipient is logged by config id, a pseudonym: only the config maps it to an address.
  const { type, recipientId, detail, permanent, mailKind, sesMessageId } = feedback;
  observability(config).logger.warn(`mail ${type}`, { recipientId, detail, permanent, mailKind, sesMessageId });
}

export const handler = async (event: SQSEvent) =>
  observability(lambdaRuntime().config).invocation(() =>
    processPartialResponse(event, record, new BatchProcessor(EventType.SQS)),
  );

// SQS -> events table. Valid events are stored by messageId (redeliveries overwrite), invalid ones quarantined;
// only messages whose write failed are reported back, so SQS retries exactly those (ReportBatchItemFailures).
// Not Powertools' BatchProcessor: it handles records one by one, and this batch is written 25 items per request.
import type { SQSBatchResponse } from 'aws-lambda';
import { nightshiftHandler, SqsBatch } from '#functions/middleware.ts';
import { ingestMessages } from '#shared/events/ingest.ts';

export const handler = nightshiftHandler(
  SqsBatch,
  async (event, { store, config, now, obs }): Promise<SQSBatchResponse> =>
    obs.invocation(async () => {
      // SentTimestamp is the same on every redelivery: the message is judged and filed alike each time.
      const messages = event.Records.map((r) => ({
        id: r.messageId,
        body: r.body,
        sentAt: Number(r.attributes.SentTimestamp) || now(),
      }));
      const result = await ingestMessages(messages, { store, config, now });
      obs.ingested(result);
      obs.logger.info('ingested batch', {
        received: messages.length,
        accepted: result.accepted,
        duplicates: result.duplicates,
        rejected: result.rejected.map((r) => r.reason),
        failed: result.failed.length,
        lateDays: result.lateDays,
      });
      return { batchItemFailures: result.failed.map((itemIdentifier) => ({ itemIdentifier })) };
    }),
);

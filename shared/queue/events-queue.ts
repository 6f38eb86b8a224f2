// The events queue as the HTTP ingestion API sends to it: event envelopes in SendMessageBatch calls of at most 10
// messages and 256 KB, entries SQS refuses for a passing reason sent again, and whatever still fails named so the
// API can answer 503 (the client's retry then sends the batch again; messageIds keep it from counting twice).
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface QueuedEvent {
  /** What a failure is reported against. */
  id: string;
  body: string;
}

export interface SendResult {
  /** Not sent for a reason that may pass (throttling, a network or service error): send them again later. */
  failed: string[];
  /** Refused by SQS as invalid (a sender fault): sending them again cannot succeed. */
  refused: Array<{ id: string; message: string }>;
}

/** The port: resolves once SQS holds every message but those listed in the result. */
export interface EventQueue {
  send(messages: readonly QueuedEvent[]): Promise<SendResult>;
}

const MAX_ENTRIES = 10;
/** SendMessageBatch's limit on the sum of its message bodies. */
export const MAX_BATCH_PAYLOAD = 256 * 1024;
const ATTEMPTS = 3;
const PARALLEL = 8;

export interface SqsEventQueueOptions {
  queueUrl: string;
  /** @default a client for the function's region */
  client?: SQSClient;
  /** Waits between attempts. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export function createSqsEventQueue(options: SqsEventQueueOptions): EventQueue {
  const client = options.client ?? new SQSClient({});
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  const sendChunk = async (chunk: readonly QueuedEvent[], result: SendResult): Promise<void> => {
    let pending = [...chunk];
    for (let attempt = 1; ; attempt++) {
      let retry: QueuedEvent[];
      try {
        const out = await client.send(
          new SendMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: pending.map((m, k) => ({ Id: String(k), MessageBody: sqsSafe(m.body) })),
          }),
        );
        const failures = new Map((out.Failed ?? []).map((f) => [f.Id, f]));
        retry = [];
        for (const [k, m] of pending.entries()) {
          const f = failures.get(String(k));
          if (!f) continue;
          // A sender fault (a body SQS refuses) fails again however often it is sent.
          if (f.SenderFault) result.refused.push({ id: m.id, message: `${f.Code}: ${f.Message ?? ''}`.trim() });
          else retry.push(m);
        }
      } catch {
        retry = pending;
      }
      if (retry.length === 0) return;
      if (attempt >= ATTEMPTS) {
        result.failed.push(...retry.map((m) => m.id));
        return;
      }
      pending = retry;
      await sleep(50 * 2 ** attempt);
    }
  };

  return {
    async send(messages) {
      const chunks = packed(messages);
      const result: SendResult = { failed: [], refused: [] };
      for (let i = 0; i < chunks.length; i += PARALLEL) {
        await Promise.all(chunks.slice(i, i + PARALLEL).map((c) => sendChunk(c, result)));
      }
      return result;
    },
  };
}

/**
 * The body with the two characters JSON leaves as they are but SQS refuses (U+FFFE, U+FFFF) escaped: they can only
 * occur inside JSON strings, where the escape reads back as the same character.
 */
export function sqsSafe(body: string): string {
  return body.replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Messages in order, cut into SendMessageBatch calls of at most 10 entries and 256 KB of bodies. */
export function packed(messages: readonly QueuedEvent[]): QueuedEvent[][] {
  const chunks: QueuedEvent[][] = [];
  let chunk: QueuedEvent[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = Buffer.byteLength(sqsSafe(m.body));
    if (chunk.length > 0 && (chunk.length === MAX_ENTRIES || bytes + size > MAX_BATCH_PAYLOAD)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

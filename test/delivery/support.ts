// Helpers for the delivery tests: a small rolled-up day in a fresh DynamoDB Local table pair, the local SES inbox,
// and an SQS delivery queue played on a virtual clock (visibility timeout, receive count, dead-letter queue) that
// feeds send-email's consumer as Lambda would.
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { MAX_RECEIVE_COUNT } from '#infra/dead-lettered-queue.ts';
import type { NightshiftConfig } from '#shared/config/schema.ts';
import { REDELIVERY_AFTER_MS } from '#shared/delivery/ledger.ts';
import { ingestMessages } from '#shared/events/ingest.ts';
import { rollupPeriods } from '#shared/kpi/rollup.ts';
import type { DeliveryMessage } from '#shared/queue/messages.ts';
import type { StateStore } from '#shared/store/store.ts';
import type { TableNames } from '#shared/store/tables.ts';
import { freshStore } from '../support/dynamo.ts';

export const DAY = '2026-11-22';
/** 05:00 the next morning in Shanghai, when the daily report goes out. */
export const NOW = Date.parse('2026-11-23T05:00:00+08:00');

/** A small, known day of events, rolled up (and the day before it: trend charts need history). */
export async function preparedStore(config: NightshiftConfig, now: () => number = () => NOW): Promise<StateStore> {
  return (await preparedTables(config, now)).store;
}

/** The same, with the names of its tables (for handlers, which find them in their environment). */
export async function preparedTables(
  config: NightshiftConfig,
  now: () => number = () => NOW,
): Promise<{ store: StateStore; tables: TableNames }> {
  const { store, tables } = await freshStore('delivery');
  const events = [
    ...Array.from({ length: 40 }, (_, i) => ({ event: 'Signed Up', userId: `n${i}` })),
    ...Array.from({ length: 50 }, (_, i) => ({
      event: 'Page Viewed',
      userId: `v${i}`,
      properties: { department: i < 30 ? 'market' : 'content', section: i < 30 ? 'shop' : 'content' },
    })),
    ...Array.from({ length: 2 }, (_, i) => ({
      event: 'Order Completed',
      userId: `v${i}`,
      properties: { profit: 50, department: 'market' },
    })),
    { event: 'Marketing Spend', properties: { amount: 20, department: 'market' } },
  ];
  await ingestMessages(
    events.map((e, i) => ({
      id: String(i),
      // In the day's first hour: the data covers the day whole (from noon on, its first day would be partial).
      body: JSON.stringify({ messageId: `m${i}`, timestamp: `${DAY}T00:30:00+08:00`, properties: {}, ...e }),
    })),
    { store, config, now },
  );
  await rollupPeriods(['2026-11-21', DAY], DAY, { store, config, now });
  return { store, tables };
}

export interface InboxMail {
  messageId: string;
  subject: string;
  destination: { to: string[] };
}

/** Everything the local SES accepted since it was last cleared (its store is one per process). */
export async function sesInbox(endpoint: string): Promise<InboxMail[]> {
  const store = (await (await fetch(`${endpoint}/store`)).json()) as { emails: InboxMail[] };
  return store.emails;
}

export async function clearInbox(endpoint: string): Promise<void> {
  await fetch(`${endpoint}/clear-store`, { method: 'POST' });
}

/** What the batch handler did with one invocation: answered (which records to retry) or never answered. */
export type InvocationResult = { kind: 'answered'; retry: string[] } | { kind: 'failed' } | { kind: 'died' };

export interface Invocation {
  /** Runs the batch; resolves to the batch response, rejects (the whole batch fails) or never settles (died). */
  run(event: SQSEvent): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
  /** Settles when the process running the batch dies. */
  died?: Promise<unknown>;
}

interface Queued {
  id: string;
  body: string;
  receives: number;
  visibleAt: number;
}

/**
 * The delivery queue as SQS runs it for a Lambda event source: batches of up to `batchSize` visible messages; a
 * received message is invisible for the visibility timeout and deleted only when the invocation answers without
 * listing it; after MAX_RECEIVE_COUNT receives the next receive moves it to the dead-letter queue instead.
 */
export class SimulatedQueue {
  readonly deadLetters: Queued[] = [];
  private readonly messages: Queued[] = [];
  private n = 0;
  private readonly clock: { now: number };
  private readonly options: { batchSize: number; visibilityMs?: number; maxReceives?: number };

  constructor(clock: { now: number }, options: { batchSize: number; visibilityMs?: number; maxReceives?: number }) {
    this.clock = clock;
    this.options = options;
  }

  send(messages: readonly DeliveryMessage[]): void {
    for (const m of messages) {
      this.messages.push({ id: `msg-${++this.n}`, body: JSON.stringify(m), receives: 0, visibleAt: this.clock.now });
    }
  }

  get size(): number {
    return this.messages.length;
  }

  /** Receives the next batch, waiting (on the virtual clock) until a message is visible; undefined when empty. */
  receive(): SQSEvent | undefined {
    const maxReceives = this.options.maxReceives ?? MAX_RECEIVE_COUNT;
    for (;;) {
      if (this.messages.length === 0) return undefined;
      const visible = this.messages.filter((m) => m.visibleAt <= this.clock.now);
      if (visible.length === 0) {
        this.clock.now = Math.min(...this.messages.map((m) => m.visibleAt));
        continue;
      }
      const batch: Queued[] = [];
      for (const m of visible) {
        if (batch.length === this.options.batchSize) break;
        if (m.receives >= maxReceives) {
          this.messages.splice(this.messages.indexOf(m), 1);
          this.deadLetters.push(m);
          continue;
        }
        m.receives++;
        m.visibleAt = this.clock.now + (this.options.visibilityMs ?? REDELIVERY_AFTER_MS);
        batch.push(m);
      }
      if (batch.length > 0) return { Records: batch.map(record) };
    }
  }

  /** Deletes what the invocation acknowledged: every record it answered for and did not list as failed. */
  settle(event: SQSEvent, result: InvocationResult): void {
    if (result.kind !== 'answered') return;
    for (const r of event.Records) {
      if (result.retry.includes(r.messageId)) continue;
      const i = this.messages.findIndex((m) => m.id === r.messageId);
      if (i >= 0) this.messages.splice(i, 1);
    }
  }

  /**
   * Feeds the queue to invocations until it is empty (or `maxInvocations` ran), one second of virtual time each.
   * `next(i)` gives the i-th invocation (0-based). Returns what each invocation did.
   */
  async drain(next: (i: number) => Invocation, maxInvocations = 200): Promise<InvocationResult[]> {
    const results: InvocationResult[] = [];
    for (let i = 0; i < maxInvocations; i++) {
      const event = this.receive();
      if (!event) return results;
      const invocation = next(i);
      const answered = invocation.run(event).then(
        (r): InvocationResult => ({ kind: 'answered', retry: r.batchItemFailures.map((f) => f.itemIdentifier) }),
        (): InvocationResult => ({ kind: 'failed' }),
      );
      const died = invocation.died?.then((): InvocationResult => ({ kind: 'died' }));
      const result = await (died ? Promise.race([answered, died]) : answered);
      this.settle(event, result);
      results.push(result);
      this.clock.now += 1000;
    }
    throw new Error(`the queue still holds ${this.messages.length} messages after ${maxInvocations} invocations`);
  }
}

/** An SQS event of the given bodies, each received for the first time. */
export function sqsEvent(bodies: readonly string[]): SQSEvent {
  return { Records: bodies.map((body, i) => record({ id: `msg-${i + 1}`, body, receives: 1, visibleAt: 0 })) };
}

function record(m: Queued): SQSRecord {
  return {
    messageId: m.id,
    receiptHandle: `${m.id}-${m.receives}`,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receives),
      SentTimestamp: '0',
      SenderId: 'planner',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:delivery',
    awsRegion: 'us-east-1',
  };
}

/** An SES sending event as EventBridge delivers it from the configuration set (shape of the SES documentation's). */
export function sesEvent(
  type: 'Bounce' | 'Complaint' | 'Delivery',
  options: { at: number; recipientId?: string; feedbackId?: string; bounceType?: string; subType?: string },
) {
  const timestamp = new Date(options.at).toISOString();
  const tags: Record<string, string[]> = {
    'ses:configuration-set': ['nightshift-mail'],
    'ses:source-ip': ['192.0.2.10'],
    'ses:from-domain': ['example.com'],
  };
  if (options.recipientId) {
    tags['nightshift-recipient'] = [options.recipientId];
    tags['nightshift-kind'] = ['report'];
  }
  const detail: Record<string, unknown> = {
    eventType: type,
    mail: {
      timestamp: new Date(options.at - 60_000).toISOString(),
      source: 'Nightshift <nightshift@example.com>',
      sendingAccountId: '123456789012',
      messageId: '010001-ses-message-1',
      destination: ['sun.mei@example.com'],
      headersTruncated: false,
      tags,
    },
  };
  if (type === 'Bounce') {
    detail.bounce = {
      bounceType: options.bounceType ?? 'Permanent',
      bounceSubType: options.subType ?? 'General',
      bouncedRecipients: [{ emailAddress: 'sun.mei@example.com', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1' }],
      timestamp,
      feedbackId: options.feedbackId ?? 'feedback-1',
      reportingMTA: 'dsn; mta.example.com',
    };
  } else if (type === 'Complaint') {
    detail.complaint = {
      complainedRecipients: [{ emailAddress: 'sun.mei@example.com' }],
      timestamp,
      feedbackId: options.feedbackId ?? 'feedback-2',
      complaintFeedbackType: 'abuse',
    };
  } else detail.delivery = { timestamp, recipients: ['sun.mei@example.com'], smtpResponse: '250 ok' };
  const detailType = { Bounce: 'Email Bounced', Complaint: 'Email Complaint Received', Delivery: 'Email Delivered' };
  return {
    version: '0',
    id: 'eventbridge-1',
    'detail-type': detailType[type],
    source: 'aws.ses',
    account: '123456789012',
    time: timestamp,
    region: 'us-east-1',
    resources: ['arn:aws:ses:us-east-1:123456789012:configuration-set/nightshift-mail'],
    detail,
  };
}

// Bounces and complaints, the way back of the mail port: SES publishes them for the stack's configuration set (to
// EventBridge), each carrying the tags its mail was sent with. Each is recorded against the person the mail was for
// (the recipient tag: a config id, never the address) as one item under the local day it happened, keyed by SES's
// feedback id, so a redelivered event overwrites itself. The watchdog and the reports' pipeline section read them.
import * as z from 'zod/mini';
import type { Item, StateStore } from '#shared/store/store.ts';
import { dateRange, type LocalDate, localDate } from '#shared/time/calendar.ts';

/** SES message tags every Nightshift mail carries (see `feedbackTags`). */
export const RECIPIENT_TAG = 'nightshift-recipient';
export const MAIL_KIND_TAG = 'nightshift-kind';
/** Recorded for a mail that carried no recipient tag (not sent by this version of Nightshift). */
export const UNKNOWN_RECIPIENT = 'unknown';

export type FeedbackType = 'bounce' | 'complaint';

export interface MailFeedback {
  type: FeedbackType;
  /** Epoch ms SES reported the bounce or complaint. */
  at: number;
  /** SES's id of this bounce or complaint: one record per id. */
  feedbackId: string;
  /** SES's id of the mail it is about. */
  sesMessageId: string;
  /** The config id of the person the mail was for, or `unknown`. */
  recipientId: string;
  /** 'report' or 'alert', when the mail said. */
  mailKind?: string;
  /** 'Permanent/General', 'Transient/MailboxFull', 'Permanent/OnSuppressionList'; for a complaint its feedback type. */
  detail: string;
  /** A permanent bounce: the address fails (or is suppressed) until someone fixes it. */
  permanent: boolean;
}

export class FeedbackError extends Error {
  override name = 'FeedbackError';
}

/** The tags a mail for `recipientId` is sent with. */
export function feedbackTags(mail: { recipientId: string; kind: string }): Record<string, string> {
  return { [RECIPIENT_TAG]: mail.recipientId, [MAIL_KIND_TAG]: mail.kind };
}

const Tags = z.optional(z.record(z.string(), z.array(z.string())));
const SesEvent = z.object({
  eventType: z.string(),
  mail: z.object({ messageId: z.string(), tags: Tags }),
  bounce: z.optional(
    z.object({
      bounceType: z.string(),
      bounceSubType: z.optional(z.string()),
      feedbackId: z.string(),
      timestamp: z.string(),
    }),
  ),
  complaint: z.optional(
    z.object({
      complaintFeedbackType: z.optional(z.string()),
      complaintSubType: z.optional(z.nullable(z.string())),
      feedbackId: z.string(),
      timestamp: z.string(),
    }),
  ),
});

/**
 * The bounce or complaint in an SES event (as EventBridge delivers it, `{source: 'aws.ses', detail: {...}}`, or the
 * bare event record), or undefined for other sending events. Throws a FeedbackError naming what is malformed.
 */
export function parseSesEvent(input: unknown): MailFeedback | undefined {
  const detail = isRecord(input) && input.source === 'aws.ses' && 'detail' in input ? input.detail : input;
  const parsed = SesEvent.safeParse(detail);
  if (!parsed.success) throw new FeedbackError(`not an SES sending event: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const tag = (name: string) => e.mail.tags?.[name]?.[0];
  const common = {
    sesMessageId: e.mail.messageId,
    recipientId: tag(RECIPIENT_TAG) ?? UNKNOWN_RECIPIENT,
    ...(tag(MAIL_KIND_TAG) ? { mailKind: tag(MAIL_KIND_TAG) } : {}),
  };
  if (e.eventType === 'Bounce') {
    if (!e.bounce) throw new FeedbackError('a Bounce event without its bounce object');
    const { bounceType, bounceSubType, feedbackId, timestamp } = e.bounce;
    return {
      type: 'bounce',
      at: instant(timestamp, 'bounce.timestamp'),
      feedbackId,
      ...common,
      detail: bounceSubType ? `${bounceType}/${bounceSubType}` : bounceType,
      permanent: bounceType === 'Permanent',
    };
  }
  if (e.eventType === 'Complaint') {
    if (!e.complaint) throw new FeedbackError('a Complaint event without its complaint object');
    const { complaintFeedbackType, complaintSubType, feedbackId, timestamp } = e.complaint;
    return {
      type: 'complaint',
      at: instant(timestamp, 'complaint.timestamp'),
      feedbackId,
      ...common,
      detail: complaintSubType ?? complaintFeedbackType ?? 'not given',
      permanent: false,
    };
  }
  return undefined;
}

const RETENTION_DAYS = 400;
/** Every feedback item's partition key starts with this: email-feedback may write these keys and no others. */
export const FEEDBACK_KEY_PREFIX = 'MAILFEEDBACK#';
const PK = FEEDBACK_KEY_PREFIX;

/** Records one bounce or complaint under its local day (a second record of the same feedback id overwrites it). */
export async function recordFeedback(store: StateStore, feedback: MailFeedback, timeZone: string): Promise<void> {
  const item: Item = {
    pk: `${PK}${localDate(feedback.at, timeZone)}`,
    sk: `${new Date(feedback.at).toISOString()}#${feedback.feedbackId}`,
    ...feedback,
    ttl: Math.floor(feedback.at / 1000) + RETENTION_DAYS * 86_400,
  };
  await store.put('state', item);
}

/** Records the bounce or complaint of an SES event; returns it, or undefined for another kind of sending event. */
export async function recordSesEvent(
  store: StateStore,
  event: unknown,
  timeZone: string,
): Promise<MailFeedback | undefined> {
  const feedback = parseSesEvent(event);
  if (feedback) await recordFeedback(store, feedback, timeZone);
  return feedback;
}

/** Bounces and complaints recorded on the local days `from`..`to`, oldest first. */
export async function readFeedback(store: StateStore, from: LocalDate, to: LocalDate): Promise<MailFeedback[]> {
  const out: MailFeedback[] = [];
  for (const day of dateRange(from, to)) {
    for await (const item of store.query('state', `${PK}${day}`)) out.push(fromItem(item));
  }
  return out;
}

/** Bounces and complaints reported in [from, to) (epoch ms), oldest first. */
export async function readFeedbackBetween(
  store: StateStore,
  from: number,
  to: number,
  timeZone: string,
): Promise<MailFeedback[]> {
  const days = await readFeedback(store, localDate(from, timeZone), localDate(to, timeZone));
  return days.filter((f) => f.at >= from && f.at < to);
}

/** Counts for a report's pipeline section; `recipients` are config ids, each once, in the order first seen. */
export function feedbackFigures(feedback: readonly MailFeedback[]): {
  bounces: number;
  complaints: number;
  recipients: string[];
} {
  return {
    bounces: feedback.filter((f) => f.type === 'bounce').length,
    complaints: feedback.filter((f) => f.type === 'complaint').length,
    recipients: [...new Set(feedback.map((f) => f.recipientId))],
  };
}

function fromItem(item: Item): MailFeedback {
  return {
    type: item.type === 'complaint' ? 'complaint' : 'bounce',
    at: Number(item.at),
    feedbackId: String(item.feedbackId),
    sesMessageId: String(item.sesMessageId),
    recipientId: String(item.recipientId ?? UNKNOWN_RECIPIENT),
    ...(typeof item.mailKind === 'string' ? { mailKind: item.mailKind } : {}),
    detail: String(item.detail),
    permanent: item.permanent === true,
  };
}

function instant(value: string, path: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new FeedbackError(`${path}: expected an ISO 8601 instant, got '${value}'`);
  return ms;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

// Sends one delivery: claims it in the ledger, renders the mail from stored state, hands the raw MIME to the mailer
// and records it as sent. A claimed or already-sent delivery is skipped, so retries and re-plans never mail twice.
import type { NightshiftConfig, Person } from '#shared/config/schema.ts';
import { buildMime, type InlinePng } from '#shared/email/mime.ts';
import { renderReport } from '#shared/email/render.ts';
import type { Mailer } from '#shared/mailer/mailer.ts';
import { type DeliveryMessage, deliveryKey } from '#shared/queue/messages.ts';
import { loadReportModel, type ReportDeps } from '#shared/reporting/load.ts';
import type { StateStore } from '#shared/store/store.ts';
import { claimDelivery, markSent, releaseClaim } from './ledger.ts';

export interface ComposedMail {
  subject: string;
  html: string;
  text: string;
  images?: InlinePng[];
}

export interface SendDeps {
  store: StateStore;
  config: NightshiftConfig;
  mailer: Mailer;
  now: () => number;
  /** Renders an alert mail for an incident transition (the alerts module provides it). */
  composeAlert?: (message: Extract<DeliveryMessage, { kind: 'alert' }>, recipient: Person) => Promise<ComposedMail>;
  /** Incidents and checks shown in reports. */
  reportSources?: Pick<ReportDeps, 'incidents' | 'checks'>;
}

export type SendOutcome =
  | { status: 'sent'; messageId: string; to: string; subject: string }
  | { status: 'skipped'; why: 'already_sent' | 'in_flight' };

export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

/** The report's data is not ready and its config says to wait: the queue should retry later. */
export class DataNotReadyError extends Error {
  override name = 'DataNotReadyError';
}

export async function sendDelivery(message: DeliveryMessage, deps: SendDeps): Promise<SendOutcome> {
  const { store, config } = deps;
  const recipient = config.people.find((p) => p.id === message.recipientId);
  if (!recipient) throw new DeliveryError(`unknown recipient '${message.recipientId}' (not in people)`);
  const key = deliveryKey(message);
  const claim = await claimDelivery(store, key, deps.now());
  if (!claim.claimed) return { status: 'skipped', why: claim.why };
  try {
    const mail = await compose(message, recipient, deps);
    const raw = await buildMime({
      from: config.email.from,
      to: { name: recipient.name, email: recipient.email },
      ...(config.email.replyTo ? { replyTo: config.email.replyTo } : {}),
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      images: mail.images ?? [],
      deliveryKey: key,
      date: new Date(deps.now()),
    });
    const { messageId } = await deps.mailer.sendRaw(raw, [recipient.email]);
    await markSent(store, key, claim, { messageId, to: recipient.email, subject: mail.subject, now: deps.now() });
    return { status: 'sent', messageId, to: recipient.email, subject: mail.subject };
  } catch (error) {
    await releaseClaim(store, key, claim);
    throw error;
  }
}

async function compose(message: DeliveryMessage, recipient: Person, deps: SendDeps): Promise<ComposedMail> {
  if (message.kind === 'alert') {
    if (!deps.composeAlert) throw new DeliveryError('alert deliveries need an alert renderer');
    return deps.composeAlert(message, recipient);
  }
  const report = deps.config.reports.find((r) => r.id === message.reportId);
  if (!report) throw new DeliveryError(`unknown report '${message.reportId}'`);
  const model = await loadReportModel(report, message.period, recipient, { ...deps, ...deps.reportSources });
  if (!model.dataReady && report.whenDataMissing === 'wait') {
    throw new DataNotReadyError(`${report.id} ${message.period}: ${model.notReadyReason}`);
  }
  return renderReport(model);
}

// Sends one delivery: claims it in the ledger, renders the mail from stored state, hands the raw MIME to the mailer
// (tagged with its recipient, through the configuration set, so SES bounces and complaints come back to them) and
// records it as sent. An already-sent delivery is skipped; one another sender holds is handed back to the queue
// (DeliveryInFlightError), never acknowledged, since that sender may die before SES takes the mail.
import type { NightshiftConfig, Person } from '#shared/config/schema.ts';
import { buildMime, type InlinePng } from '#shared/email/mime.ts';
import { renderReport } from '#shared/email/render.ts';
import { feedbackTags } from '#shared/mailer/feedback.ts';
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
  | {
      status: 'sent';
      messageId: string;
      to: string;
      subject: string;
      /** The claim of a sender that died was taken over: a second copy if it died after SES accepted the mail. */
      takenOver: boolean;
    }
  | { status: 'skipped'; why: 'already_sent' };

export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

/**
 * Another sender holds the delivery's claim: it may be sending now, or have died. The message goes back to the queue,
 * which delivers it again after the claim has expired (then it is sent, or found sent).
 */
export class DeliveryInFlightError extends Error {
  override name = 'DeliveryInFlightError';
  /** Epoch ms the claim expires. */
  readonly expiresAt: number;
  constructor(key: string, expiresAt: number) {
    super(`delivery ${key} is claimed by another sender until ${new Date(expiresAt).toISOString()}: left to the queue`);
    this.expiresAt = expiresAt;
  }
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
  if (!claim.claimed) {
    if (claim.why === 'in_flight') throw new DeliveryInFlightError(key, claim.expiresAt);
    return { status: 'skipped', why: claim.why };
  }
  let accepted: { messageId: string; subject: string };
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
    const tags = feedbackTags({ recipientId: recipient.id, kind: message.kind });
    const { messageId } = await deps.mailer.sendRaw(raw, [recipient.email], { tags });
    accepted = { messageId, subject: mail.subject };
  } catch (error) {
    // As far as this sender knows SES did not take the mail: give the claim back so the queue's retry sends at once.
    // (An error that hid SES's acceptance, e.g. a connection lost on the way back, makes that retry a second copy.)
    await releaseClaim(store, key, claim, deps.now());
    throw error;
  }
  // SES took it. Should this write fail, the claim stays and expires, and the retry sends a second copy: the one
  // duplicate the ledger allows (releasing it here would change nothing but the wait).
  await markSent(store, key, claim, { ...accepted, to: recipient.email, now: deps.now() });
  return { status: 'sent', ...accepted, to: recipient.email, takenOver: claim.takenOver };
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

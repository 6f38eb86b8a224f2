// The delivery ledger: a delivery is claimed with a conditional write before SES is called and marked sent after,
// so a retried message or a second planner run never mails twice. A claim is never a reason to acknowledge a
// message: only `sent` is. A message that finds a live claim is handed back to the queue (the claimant may still
// die), and a claim left by a sender that died expires after CLAIM_TTL_MS, before the queue delivers the message
// again, so the next receive sends it. The one duplicate this allows: a sender that dies after SES accepted the
// mail and before the mark is written; its retry sends a second copy.
import type { StateStore } from '#shared/store/store.ts';

/** The send-email function's timeout: no sender holds a claim longer than this (Lambda stops it). */
export const SEND_TIMEOUT_MS = 60_000;
/** How long a claim keeps others off: longer than any live sender holds it, with room for clock skew. */
export const CLAIM_TTL_MS = 2 * SEND_TIMEOUT_MS;
/**
 * The delivery queue's visibility timeout: a message handed back (or left by a dead sender) is received again after
 * this, when any claim on it has expired. AWS recommends 6x the function timeout for SQS event sources.
 */
export const REDELIVERY_AFTER_MS = 6 * SEND_TIMEOUT_MS;
const RETENTION_DAYS = 400;

export type Claim =
  | {
      claimed: true;
      version: number;
      /** Claims of this delivery so far, this one included. */
      attempts: number;
      /** A claim of a sender that died was taken over: if it died after SES accepted, this send is a second copy. */
      takenOver: boolean;
    }
  | { claimed: false; why: 'already_sent' }
  | { claimed: false; why: 'in_flight'; claimedAt: number; expiresAt: number };

const key = (deliveryKey: string) => ({ pk: `DELIVERY#${deliveryKey}`, sk: 'state' });
const ttl = (now: number) => Math.floor(now / 1000) + RETENTION_DAYS * 86_400;

export async function claimDelivery(store: StateStore, deliveryKey: string, now: number): Promise<Claim> {
  const current = await store.get('state', key(deliveryKey).pk, 'state');
  if (current?.status === 'sent') return { claimed: false, why: 'already_sent' };
  const claimedAt = Number(current?.claimedAt);
  const live = current?.status === 'sending' && now - claimedAt < CLAIM_TTL_MS;
  if (live) return { claimed: false, why: 'in_flight', claimedAt, expiresAt: claimedAt + CLAIM_TTL_MS };
  const version = Number(current?.version ?? 0) + 1;
  const attempts = Number(current?.attempts ?? 0) + 1;
  const item = {
    ...key(deliveryKey),
    deliveryKey,
    status: 'sending',
    claimedAt: now,
    attempts,
    version,
    ttl: ttl(now),
  };
  const ok = await store.put('state', item, current ? { ifVersion: Number(current.version ?? 0) } : { ifAbsent: true });
  if (ok) return { claimed: true, version, attempts, takenOver: current?.status === 'sending' };
  // Another sender claimed (or sent) it between the read and the write: the queue asks again later.
  return { claimed: false, why: 'in_flight', claimedAt: now, expiresAt: now + CLAIM_TTL_MS };
}

export async function markSent(
  store: StateStore,
  deliveryKey: string,
  claim: { version: number; attempts?: number },
  details: { messageId: string; to: string; subject: string; now: number },
): Promise<void> {
  await store.put(
    'state',
    {
      ...key(deliveryKey),
      deliveryKey,
      status: 'sent',
      attempts: claim.attempts ?? 1,
      sentAt: details.now,
      messageId: details.messageId,
      to: details.to,
      subject: details.subject,
      version: claim.version + 1,
      ttl: ttl(details.now),
    },
    { ifVersion: claim.version },
  );
}

/** Gives a claim back after a send SES did not accept, so the queue's retry can try again at once. */
export async function releaseClaim(
  store: StateStore,
  deliveryKey: string,
  claim: { version: number; attempts?: number },
  now: number,
): Promise<void> {
  const item = { ...key(deliveryKey), deliveryKey, status: 'failed', failedAt: now, attempts: claim.attempts ?? 1 };
  await store.put('state', { ...item, version: claim.version + 1, ttl: ttl(now) }, { ifVersion: claim.version });
}

export async function deliveryRecord(store: StateStore, deliveryKey: string) {
  return store.get('state', key(deliveryKey).pk, 'state');
}

// The delivery ledger makes mail exactly-once in practice: a delivery is claimed with a conditional write before
// SES is called and marked sent after, so a retried message or a second planner run never mails twice. A claim
// left by a sender that crashed mid-send expires after CLAIM_TTL_MS and may be taken again (at most one re-send,
// only in that crash window).
import type { StateStore } from '#shared/store/store.ts';

export const CLAIM_TTL_MS = 15 * 60_000; // longer than the sender's Lambda timeout
const RETENTION_DAYS = 400;

export type Claim = { claimed: true; version: number } | { claimed: false; why: 'already_sent' | 'in_flight' };

const key = (deliveryKey: string) => ({ pk: `DELIVERY#${deliveryKey}`, sk: 'state' });

export async function claimDelivery(store: StateStore, deliveryKey: string, now: number): Promise<Claim> {
  const current = await store.get('state', key(deliveryKey).pk, 'state');
  if (current?.status === 'sent') return { claimed: false, why: 'already_sent' };
  if (current?.status === 'sending' && now - Number(current.claimedAt) < CLAIM_TTL_MS) {
    return { claimed: false, why: 'in_flight' };
  }
  const version = Number(current?.version ?? 0) + 1;
  const item = {
    ...key(deliveryKey),
    deliveryKey,
    status: 'sending',
    claimedAt: now,
    version,
    ttl: Math.floor(now / 1000) + RETENTION_DAYS * 86_400,
  };
  const ok = await store.put('state', item, current ? { ifVersion: Number(current.version ?? 0) } : { ifAbsent: true });
  return ok ? { claimed: true, version } : { claimed: false, why: 'in_flight' };
}

export async function markSent(
  store: StateStore,
  deliveryKey: string,
  claim: { version: number },
  details: { messageId: string; to: string; subject: string; now: number },
): Promise<void> {
  await store.put(
    'state',
    {
      ...key(deliveryKey),
      deliveryKey,
      status: 'sent',
      sentAt: details.now,
      messageId: details.messageId,
      to: details.to,
      subject: details.subject,
      version: claim.version + 1,
      ttl: Math.floor(details.now / 1000) + RETENTION_DAYS * 86_400,
    },
    { ifVersion: claim.version },
  );
}

/** Gives a claim back after a failed send, so the queue's retry can try again at once. */
export async function releaseClaim(store: StateStore, deliveryKey: string, claim: { version: number }): Promise<void> {
  await store.put(
    'state',
    { ...key(deliveryKey), deliveryKey, status: 'failed', version: claim.version + 1 },
    { ifVersion: claim.version },
  );
}

export async function deliveryRecord(store: StateStore, deliveryKey: string) {
  return store.get('state', key(deliveryKey).pk, 'state');
}

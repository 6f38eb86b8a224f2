// The mail port and its adapters: SES SendRawEmail (in AWS, or aws-ses-v2-local on a laptop), and an outbox that
// also keeps every message sent in local mode as an .eml file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SESClient, type SESClientConfig, SendRawEmailCommand } from '@aws-sdk/client-ses';

export interface Mailer {
  /** Sends one raw MIME message to the given addresses; returns the provider's message id. */
  sendRaw(raw: Buffer, to: string[]): Promise<{ messageId: string }>;
}

/**
 * SES through its raw-message API. Throttling ("Maximum sending rate exceeded") is retried by the SDK's standard
 * retry strategy with exponential backoff and jitter; what still fails is thrown to the caller (and the queue).
 */
export function createSesMailer(config: SESClientConfig = {}, maxAttempts = 6): Mailer {
  const client = new SESClient({ maxAttempts, ...config });
  return {
    async sendRaw(raw, to) {
      const out = await client.send(new SendRawEmailCommand({ RawMessage: { Data: raw }, Destinations: to }));
      return { messageId: out.MessageId ?? '' };
    },
  };
}

/** Wraps a mailer so each sent message is also written to `dir` as `<time>-<name>.eml`. */
export function withOutbox(mailer: Mailer, dir: string, now: () => number = Date.now): Mailer {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return {
    async sendRaw(raw, to) {
      const sent = await mailer.sendRaw(raw, to);
      const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
      const who = to.join('_').replace(/[^A-Za-z0-9@._-]/g, '_');
      writeFileSync(join(dir, `${stamp}-${String(++n).padStart(3, '0')}-${who}.eml`), raw);
      return sent;
    },
  };
}

// The mail port and its adapters: SES SendRawEmail (in AWS, or aws-ses-v2-local on a laptop), and an outbox that
// also keeps every message sent in local mode as an .eml file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SESClient, type SESClientConfig, SendRawEmailCommand } from '@aws-sdk/client-ses';

export interface SendOptions {
  /**
   * SES message tags (names and values of ASCII letters, digits, `_` and `-`, at most 256 characters): they come back
   * in the configuration set's bounce and complaint events.
   */
  tags?: Record<string, string>;
}

export interface Mailer {
  /** Sends one raw MIME message to the given addresses; returns the provider's message id. */
  sendRaw(raw: Buffer, to: string[], options?: SendOptions): Promise<{ messageId: string }>;
}

export interface SesMailerOptions {
  /**
   * The configuration set every message is sent through (the stack's, with its bounce and complaint events and
   * suppression). @default none: SES sends without one, and bounces and complaints are never reported
   */
  configurationSet?: string;
  /** Attempts per send, throttling included. @default 6 */
  maxAttempts?: number;
  /** Wraps the SES client once it is built, e.g. to trace its calls. @default none */
  wrapClient?: (client: SESClient) => SESClient;
}

export class MailerError extends Error {
  override name = 'MailerError';
}

const TAG_PART = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * SES through its raw-message API. Throttling ("Maximum sending rate exceeded") is retried by the SDK's standard
 * retry strategy with exponential backoff and jitter; what still fails is thrown to the caller (and the queue).
 */
export function createSesMailer(config: SESClientConfig = {}, options: SesMailerOptions = {}): Mailer {
  const built = new SESClient({ maxAttempts: options.maxAttempts ?? 6, ...config });
  const client = options.wrapClient ? options.wrapClient(built) : built;
  return {
    async sendRaw(raw, to, sendOptions = {}) {
      const tags = Object.entries(sendOptions.tags ?? {});
      for (const [name, value] of tags) {
        if (!TAG_PART.test(name) || !TAG_PART.test(value)) {
          throw new MailerError(`SES tag ${name}=${value}: only ASCII letters, digits, _ and - (1-256 characters)`);
        }
      }
      const out = await client.send(
        new SendRawEmailCommand({
          RawMessage: { Data: raw },
          Destinations: to,
          ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
          ...(tags.length > 0 ? { Tags: tags.map(([Name, Value]) => ({ Name, Value })) } : {}),
        }),
      );
      return { messageId: out.MessageId ?? '' };
    },
  };
}

/** Wraps a mailer so each sent message is also written to `dir` as `<time>-<name>.eml`. */
export function withOutbox(mailer: Mailer, dir: string, now: () => number = Date.now): Mailer {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return {
    async sendRaw(raw, to, options) {
      const sent = await mailer.sendRaw(raw, to, options);
      const stamp = new Date(now()).toISOString().replace(/[:.]/g, '-');
      const who = to.join('_').replace(/[^A-Za-z0-9@._-]/g, '_');
      writeFileSync(join(dir, `${stamp}-${String(++n).padStart(3, '0')}-${who}.eml`), raw);
      return sent;
    },
  };
}

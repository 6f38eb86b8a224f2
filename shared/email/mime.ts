// Raw MIME messages for SES SendRawEmail, built by nodemailer's MailComposer (never by hand):
// multipart/alternative of text and HTML, the HTML in multipart/related with its inline images by Content-ID.
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';

export class MimeError extends Error {
  override name = 'MimeError';
}

export interface MailAddress {
  name?: string;
  email: string;
}

export interface InlinePng {
  /** Content-ID without angle brackets, as the HTML refers to it (`cid:...`). */
  cid: string;
  filename: string;
  png: Buffer;
}

export interface MimeInput {
  /** 'Nightshift <nightshift@example.com>' or an address object. */
  from: string | MailAddress;
  to: string | MailAddress | Array<string | MailAddress>;
  replyTo?: string | MailAddress;
  subject: string;
  text: string;
  html: string;
  images?: InlinePng[];
  /**
   * Identifies this delivery (e.g. report, period and recipient); sent as the X-Nightshift-Delivery header, so a
   * mail found in an inbox or a bounce can be traced to its delivery record.
   */
  deliveryKey: string;
  /** Message-ID, with or without angle brackets; default derived from the delivery key, so a retry keeps it. */
  messageId?: string;
  /** Date header; default now. */
  date?: Date;
  /** Further headers (X-...); the standard ones above win. */
  headers?: Record<string, string>;
}

export const DELIVERY_HEADER = 'X-Nightshift-Delivery';

const HEADER_VALUE = /^[\x20-\x7e]{1,500}$/;

function address(a: string | MailAddress): string | { name: string; address: string } {
  if (typeof a === 'string') return oneLine(a);
  return { name: oneLine(a.name ?? ''), address: oneLine(a.email) };
}

function oneLine(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: header values must stay on one line
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function domainOf(from: string | MailAddress): string {
  const email = typeof from === 'string' ? (/<([^>]+)>/.exec(from)?.[1] ?? from) : from.email;
  const domain = email.split('@')[1]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9.-]+$/.test(domain) ? domain : 'nightshift.invalid';
}

/** A Message-ID that is the same for every attempt of one delivery: '<sha256(key) prefix@domain>'. */
export function messageIdFor(deliveryKey: string, domain: string): string {
  const hash = createHash('sha256').update(deliveryKey).digest('hex').slice(0, 32);
  return `<${hash}.nightshift@${domain}>`;
}

/** Builds the raw RFC 5322 message (CRLF line ends) ready for SES SendRawEmail. */
export async function buildMime(input: MimeInput): Promise<Buffer> {
  if (!HEADER_VALUE.test(input.deliveryKey)) {
    throw new MimeError('deliveryKey: expected 1-500 printable ASCII characters (no line breaks)');
  }
  const extra: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (!/^[A-Za-z0-9-]+$/.test(name)) throw new MimeError(`headers: '${name}' is not a header name`);
    extra[name] = oneLine(value);
  }
  let messageId = input.messageId ?? messageIdFor(input.deliveryKey, domainOf(input.from));
  if (!/^<.+>$/.test(messageId)) messageId = `<${messageId}>`;
  if (!/^<[^\s<>]+@[^\s<>]+>$/.test(messageId)) throw new MimeError(`messageId: '${messageId}' is not id@domain`);
  const cids = new Set<string>();
  for (const image of input.images ?? []) {
    if (!/^[^\s<>"]+$/.test(image.cid)) throw new MimeError(`images: '${image.cid}' is not a usable Content-ID`);
    if (cids.has(image.cid)) throw new MimeError(`images: Content-ID '${image.cid}' is used twice`);
    cids.add(image.cid);
  }

  const composer = new MailComposer({
    from: address(input.from),
    to: (Array.isArray(input.to) ? input.to : [input.to]).map(address),
    ...(input.replyTo ? { replyTo: address(input.replyTo) } : {}),
    subject: oneLine(input.subject),
    messageId,
    date: input.date ?? new Date(),
    text: input.text,
    html: input.html,
    attachments: (input.images ?? []).map((image) => ({
      cid: image.cid,
      filename: image.filename,
      content: image.png,
      contentType: 'image/png',
      contentDisposition: 'inline',
    })),
    headers: {
      ...extra,
      [DELIVERY_HEADER]: input.deliveryKey,
      // RFC 3834: automatic mail; Exchange and most autoresponders then do not reply with out-of-office notes.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
    },
    newline: 'win',
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return composer.compile().build();
}

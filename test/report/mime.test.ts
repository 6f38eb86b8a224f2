import { type ParsedMail, simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleReportModel } from '#cli/demo/report-sample.ts';
import { buildMime, DELIVERY_HEADER, MimeError, messageIdFor } from '#shared/email/mime.ts';
import { renderReport } from '#shared/email/render.ts';
import { deliveryKey, FROM, HOSTILE, hostileModel, visibleText } from './fixtures.ts';

const model = sampleReportModel();
const rendered = renderReport(model);
const date = new Date('2026-11-22T21:00:05Z');

describe('report MIME message', () => {
  let raw: Buffer;
  let mail: ParsedMail;

  beforeAll(async () => {
    raw = await buildMime({ ...rendered, from: FROM, to: model.recipient, deliveryKey: deliveryKey(model), date });
    mail = await simpleParser(raw, { keepCidLinks: true });
  });

  it('is addressed from the sender to the recipient, with subject and date', () => {
    expect(mail.from?.value).toEqual([{ name: 'Nightshift', address: 'nightshift@example.com' }]);
    const to = Array.isArray(mail.to) ? mail.to : [mail.to];
    expect(to.flatMap((t) => t?.value ?? [])).toEqual([{ name: 'Sun Mei', address: 'sun.mei@example.com' }]);
    expect(mail.subject).toBe('Daily report 22 Nov: score 87, 1 KPI missed, 1 open incident, 1 check failed');
    expect(mail.date?.toISOString()).toBe(date.toISOString());
  });

  it('carries the delivery key and marks itself as automatic mail', () => {
    expect(mail.headers.get(DELIVERY_HEADER.toLowerCase())).toBe('daily/2026-11-22/sun.mei@example.com');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('has a Message-ID derived from the delivery key, the same on every attempt', async () => {
    const again = await simpleParser(
      await buildMime({ ...rendered, from: FROM, to: model.recipient, deliveryKey: deliveryKey(model) }),
    );
    expect(mail.messageId).toBe(messageIdFor(deliveryKey(model), 'example.com'));
    expect(again.messageId).toBe(mail.messageId);
  });

  it('uses a given Message-ID as is', async () => {
    const given = await simpleParser(
      await buildMime({
        ...rendered,
        from: FROM,
        to: model.recipient,
        deliveryKey: 'k',
        messageId: 'abc.123@example.com',
      }),
    );
    expect(given.messageId).toBe('<abc.123@example.com>');
  });

  it('is multipart/alternative: a text part and the HTML with its images in multipart/related', () => {
    const head = raw.toString('latin1', 0, raw.indexOf('\r\n\r\n'));
    expect(head).toMatch(/Content-Type: multipart\/alternative/);
    expect(raw.toString('latin1')).toMatch(/Content-Type: multipart\/related; type="text\/html"/);
    expect(raw.toString('latin1')).not.toMatch(/(?<!\r)\n/); // CRLF line ends throughout
  });

  it('holds the figures in both the text and the HTML part', () => {
    const html = visibleText(mail.html || '');
    for (const figure of ['531', '18,391', '1.71%', '4.82', '31.7%', '2,181', '87 / 100']) {
      expect(mail.text).toContain(figure);
      expect(html).toContain(figure);
    }
    expect(mail.text).toBe(rendered.text);
  });

  it('attaches every chart inline, with a Content-ID the HTML refers to', () => {
    const related = mail.attachments.filter((a) => a.related);
    expect(related).toHaveLength(rendered.images.length);
    const refs = [...(mail.html || '').matchAll(/src="cid:([^"]+)"/g)].map((m) => m[1]);
    expect(related.map((a) => a.cid).sort()).toEqual(refs.sort());
    for (const a of related) {
      expect(a.contentType).toBe('image/png');
      expect(a.contentDisposition).toBe('inline');
      expect(a.content.equals(rendered.images.find((i) => i.cid === a.cid)!.png)).toBe(true);
    }
  });

  it('keeps the HTML part under 60 KB and the whole message under 500 KB', () => {
    expect(Buffer.byteLength(mail.html || '')).toBeLessThan(60 * 1024);
    expect(raw.length).toBeLessThan(500 * 1024);
  });
});

describe('header safety', () => {
  it('keeps a title with a line break in the subject, adding no header', async () => {
    const m = hostileModel();
    const r = renderReport(m);
    const mail = await simpleParser(await buildMime({ ...r, from: FROM, to: m.recipient, deliveryKey: 'k', date }));
    expect(mail.subject).toBe(
      `Daily report Bcc: victim@example.com 22 Nov: score 87, 1 KPI missed, 1 open incident, 1 check failed`,
    );
    expect(mail.bcc).toBeUndefined();
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.name : undefined).toBe(HOSTILE.recipient);
  });

  it('refuses a delivery key that is not one line of printable ASCII', async () => {
    for (const bad of ['', 'a\r\nBcc: x@example.com', 'ü'.repeat(3)]) {
      await expect(buildMime({ ...rendered, from: FROM, to: model.recipient, deliveryKey: bad })).rejects.toThrow(
        MimeError,
      );
    }
  });

  it('refuses a duplicate or unusable Content-ID', async () => {
    const image = rendered.images[0]!;
    await expect(
      buildMime({ ...rendered, images: [image, image], from: FROM, to: model.recipient, deliveryKey: 'k' }),
    ).rejects.toThrow(/used twice/);
    await expect(
      buildMime({
        ...rendered,
        images: [{ ...image, cid: 'a b>' }],
        from: FROM,
        to: model.recipient,
        deliveryKey: 'k',
      }),
    ).rejects.toThrow(MimeError);
  });
});

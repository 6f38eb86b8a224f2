// The report as a phone and a desktop browser show it, in headless Chromium: no horizontal overflow, every chart
// loads, nothing is fetched from the network. Screenshots are kept under test-output/screenshots/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleReportModel } from '#cli/demo/report-sample.ts';
import { buildMime } from '#shared/email/mime.ts';
import { renderReport } from '#shared/email/render.ts';
import type { ReportModel } from '#shared/reporting/model.ts';
import { deliveryKey, FROM } from './fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SCREENSHOTS = join(import.meta.dirname, '..', '..', 'test-output', 'screenshots');

if (!hasChromium) {
  console.warn(`report browser test skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);
}

/** The HTML part of the sent message with each cid: image swapped for a data: URI, as a mail client shows it. */
async function htmlAsClientShows(model: ReportModel): Promise<string> {
  const rendered = renderReport(model);
  const raw = await buildMime({ ...rendered, from: FROM, to: model.recipient, deliveryKey: deliveryKey(model) });
  const mail = await simpleParser(raw, { keepCidLinks: true });
  let html = mail.html || '';
  for (const a of mail.attachments) {
    html = html.replaceAll(`cid:${a.cid}`, `data:${a.contentType};base64,${a.content.toString('base64')}`);
  }
  return html;
}

// Runs in the page (as a string: this project's TypeScript has no DOM types).
const MEASURE = `(() => ({
  scrollWidth: document.documentElement.scrollWidth,
  innerWidth: window.innerWidth,
  images: [...document.images].map((img) => ({
    alt: img.alt,
    complete: img.complete,
    naturalWidth: img.naturalWidth,
    renderedWidth: img.getBoundingClientRect().width,
  })),
  overflowing: [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((el) => el.tagName.toLowerCase() + ': ' + (el.textContent || '').trim().slice(0, 40)),
}))()`;

interface Layout {
  scrollWidth: number;
  innerWidth: number;
  images: Array<{ alt: string; complete: boolean; naturalWidth: number; renderedWidth: number }>;
  /** Elements whose right edge is past the viewport. */
  overflowing: string[];
}

describe.skipIf(!hasChromium)(
  `report in headless Chromium${hasChromium ? '' : ` (skipped: ${CHROMIUM} not found)`}`,
  () => {
    let browser: Browser;

    beforeAll(async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    });

    afterAll(async () => {
      await browser?.close();
    });

    async function open(
      html: string,
      width: number,
      screenshot: string,
    ): Promise<{ layout: Layout; requests: string[] }> {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const requests: string[] = [];
      await page.route('**/*', (route) => {
        requests.push(route.request().url());
        return route.abort();
      });
      try {
        await page.setContent(html, { waitUntil: 'load' });
        const layout = (await page.evaluate(MEASURE)) as Layout;
        await page.screenshot({ path: join(SCREENSHOTS, screenshot), fullPage: true });
        return { layout, requests };
      } finally {
        await page.close();
      }
    }

    for (const width of [375, 800]) {
      it(`the daily report fits ${width} px with no horizontal overflow and every chart loaded`, async () => {
        const model = sampleReportModel();
        const { layout, requests } = await open(await htmlAsClientShows(model), width, `report-${width}.png`);
        expect(layout.overflowing).toEqual([]);
        expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
        expect(layout.images).toHaveLength(model.kpis.length);
        for (const img of layout.images) {
          expect(img.complete, img.alt).toBe(true);
          expect(img.naturalWidth, img.alt).toBeGreaterThan(0);
          expect(img.renderedWidth, img.alt).toBeLessThanOrEqual(width);
        }
        expect(requests).toEqual([]);
      });
    }

    it('the not-ready report fits a phone too', async () => {
      const { layout, requests } = await open(
        await htmlAsClientShows(sampleReportModel({ dataReady: false })),
        375,
        'report-not-ready-375.png',
      );
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
      expect(layout.images).toEqual([]);
      expect(requests).toEqual([]);
    });

    it('a specialist’s report with long names and big numbers fits a phone', async () => {
      const model = sampleReportModel({
        recipient: { name: 'Wang Fang', email: 'wang.fang@example.com', role: 'specialist', department: 'market' },
      });
      model.kpis = model.kpis.slice(2, 4).map((k) => ({
        ...k,
        name: `${k.name} for the spring marketing campaign participants`,
        value: k.value === null ? null : k.value * 123_456,
        previous: 1,
      }));
      const { layout } = await open(await htmlAsClientShows(model), 375, 'report-specialist-375.png');
      expect(layout.overflowing).toEqual([]);
      expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
    });
  },
);

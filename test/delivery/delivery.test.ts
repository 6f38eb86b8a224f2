import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryRecord } from '#shared/delivery/ledger.ts';
import { DataNotReadyError, sendDelivery } from '#shared/delivery/send.ts';
import { readKpiValues } from '#shared/kpi/kpi-store.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { type LocalSes, startSesLocal } from '#shared/local/ses-local.ts';
import { createSesMailer, type Mailer, withOutbox } from '#shared/mailer/mailer.ts';
import { type DeliveryMessage, deliveryKey } from '#shared/queue/messages.ts';
import { planReport, reportPeriodFor } from '#shared/reporting/plan.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { DAY, NOW, preparedStore } from './support.ts';

const now = () => NOW;
let ses: LocalSes;

beforeAll(async () => {
  ses = await startSesLocal();
});
afterAll(async () => {
  await ses.stop();
});

async function sesInbox(): Promise<Array<{ subject: string; destination: { to: string[] } }>> {
  const store = (await (await fetch(`${ses.endpoint}/store`)).json()) as {
    emails: Awaited<ReturnType<typeof sesInbox>>;
  };
  return store.emails;
}

function mailerTo(endpoint: string, outbox: string): Mailer {
  return withOutbox(createSesMailer({ endpoint, ...LOCAL_AWS }), outbox, now);
}

const daily = (recipientId: string): DeliveryMessage => ({
  kind: 'report',
  reportId: 'daily',
  period: DAY,
  recipientId,
});

describe('report delivery through SES (DynamoDB Local + aws-ses-v2-local)', () => {
  it('the daily report reaches its recipient with the stored figures, as MIME with text, HTML and inline charts', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
    const outcome = await sendDelivery(daily('ops_director'), {
      store,
      config,
      mailer: mailerTo(ses.endpoint, outbox),
      now,
    });

    expect(outcome).toMatchObject({ status: 'sent', to: 'sun.mei@example.com' });
    const files = readdirSync(outbox);
    expect(files).toHaveLength(1);
    const mail = await simpleParser(readFileSync(join(outbox, files[0]!)));
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.text : '').toContain('sun.mei@example.com');
    expect(mail.subject).toMatch(/^Daily report 22 Nov: score /);
    const [newUsers] = await readKpiValues(store, 'new_users', 'day', DAY, DAY);
    const [conversion] = await readKpiValues(store, 'conversion_rate', 'day', DAY, DAY);
    expect(newUsers?.value).toBe(40);
    expect(conversion?.value).toBeCloseTo(0.04, 10);
    expect(mail.text).toContain('40');
    expect(mail.text).toContain('4.00%');
    expect(mail.html).toContain('4.00%');
    expect(mail.attachments.filter((a) => a.contentType === 'image/png').length).toBeGreaterThan(0);
    expect(mail.headers.get('x-nightshift-delivery')).toBe(deliveryKey(daily('ops_director')));
    expect((await sesInbox()).some((e) => e.destination.to.some((t) => t.includes('sun.mei@example.com')))).toBe(true);
  });

  it("a specialist's report holds only their department's KPIs, with their department's slice", async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
    await sendDelivery(daily('market_ops'), { store, config, mailer: mailerTo(ses.endpoint, outbox), now });
    const mail = await simpleParser(readFileSync(join(outbox, readdirSync(outbox)[0]!)));

    expect(mail.text).toContain('Conversion rate');
    expect(mail.text).toContain('ROI');
    for (const other of [
      'Daily new users',
      'Daily active users',
      'Next-day retention',
      'Net promoter score',
      'Content reads',
    ]) {
      expect(mail.text).not.toContain(other);
      expect(String(mail.html)).not.toContain(other);
    }
    // Market's own conversion: 2 orders / 30 market visitors, not the overall 2 / 50.
    expect(mail.text).toContain('6.67%');
  });

  it('a retried delivery and a second planner run send the mail once', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
    const deps = { store, config, mailer: mailerTo(ses.endpoint, outbox), now };
    const queued: DeliveryMessage[] = [];
    const queue = { enqueue: async (ms: readonly DeliveryMessage[]) => void queued.push(...ms) };

    await planReport('monthly', Date.parse('2026-12-01T09:00:00+08:00'), { config, queue });
    await planReport('monthly', Date.parse('2026-12-01T09:00:00+08:00'), { config, queue }); // the schedule fired twice
    const outcomes = [];
    for (const m of [...queued, queued[0]!]) outcomes.push(await sendDelivery(m, deps)); // and SQS redelivered one

    expect(queued).toHaveLength(4);
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'skipped', 'skipped', 'skipped']);
    expect(readdirSync(outbox)).toHaveLength(2);
    expect(await deliveryRecord(store, deliveryKey(queued[0]!))).toMatchObject({ status: 'sent' });
  });

  it('SES throttling is retried with backoff until the mail goes through', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const proxy = await throttlingProxy(ses.endpoint, 2);
    const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
    try {
      const outcome = await sendDelivery(daily('data_analyst'), {
        store,
        config,
        mailer: mailerTo(proxy.url, outbox),
        now,
      });
      expect(outcome.status).toBe('sent');
      expect(proxy.throttled()).toBe(2);
    } finally {
      proxy.server.close();
    }
  });

  it('a send that fails gives the claim back, so the queue retry can send it', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const failing: Mailer = { sendRaw: async () => Promise.reject(new Error('MessageRejected')) };
    await expect(sendDelivery(daily('ops_director'), { store, config, mailer: failing, now })).rejects.toThrow(
      'MessageRejected',
    );
    const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
    const retry = await sendDelivery(daily('ops_director'), {
      store,
      config,
      mailer: mailerTo(ses.endpoint, outbox),
      now,
    });
    expect(retry.status).toBe('sent');
  });

  it('a report whose rollup has not run says so instead of showing figures, or waits when configured to', async () => {
    const config = exampleConfig();
    const { store } = await freshStore();
    const outbox = mkdtempSync(join(tmpdir(), 'outbox-'));
    const outcome = await sendDelivery(daily('ops_director'), {
      store,
      config,
      mailer: mailerTo(ses.endpoint, outbox),
      now,
    });
    expect(outcome).toMatchObject({ status: 'sent', subject: 'Daily report 22 Nov: data not ready' });

    config.reports[0]!.whenDataMissing = 'wait';
    await expect(
      sendDelivery(daily('data_analyst'), { store, config, mailer: mailerTo(ses.endpoint, outbox), now }),
    ).rejects.toThrow(DataNotReadyError);
    expect(await deliveryRecord(store, deliveryKey(daily('data_analyst')))).toMatchObject({ status: 'failed' });
  });
});

describe('report planning', () => {
  it('plans the period that just ended, in the config time zone', () => {
    const config = exampleConfig();
    const [dailyReport, weekly, monthly] = config.reports;
    // 05:00 on Monday 23 Nov in Shanghai is still Sunday 22 Nov in UTC.
    const firedAt = Date.parse('2026-11-23T05:00:00+08:00');
    expect(reportPeriodFor(dailyReport!, firedAt, config.timeZone)).toBe('2026-11-22');
    expect(reportPeriodFor(weekly!, Date.parse('2026-11-23T09:00:00+08:00'), config.timeZone)).toBe('2026-W47');
    expect(reportPeriodFor(monthly!, Date.parse('2027-01-01T09:00:00+08:00'), config.timeZone)).toBe('2026-12');
  });

  it('an unknown report is a clear error', async () => {
    const queue = { enqueue: async () => {} };
    await expect(planReport('hourly', NOW, { config: exampleConfig(), queue })).rejects.toThrow(
      "unknown report 'hourly'",
    );
  });
});

/** Answers the first `n` SES calls with a Throttling error, then forwards to the real local SES. */
async function throttlingProxy(
  target: string,
  n: number,
): Promise<{ url: string; server: Server; throttled: () => number }> {
  let throttled = 0;
  const server = createServer((req, res) => {
    if (throttled < n) {
      throttled++;
      req.resume();
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end(
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Maximum sending rate exceeded.</Message></Error><RequestId>t</RequestId></ErrorResponse>',
      );
      return;
    }
    const upstream = new URL(target);
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server, throttled: () => throttled };
}

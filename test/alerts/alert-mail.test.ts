import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDelivery } from '#shared/delivery/send.ts';
import { detectAnomaliesBetween } from '#shared/detection/detect.ts';
import { alertComposer, alertHeadline, loadAlertMail, renderAlert } from '#shared/email/alert-mail.ts';
import { type Incident, readIncident, type Transition } from '#shared/incidents/incidents.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { type LocalSes, startSesLocal } from '#shared/local/ses-local.ts';
import { createSesMailer, withOutbox } from '#shared/mailer/mailer.ts';
import { reportIncidents } from '#shared/reporting/report-incidents.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { configWith, conversionFloor, days, memoryQueue, seedDaily } from './support.ts';

const LAST = '2026-11-22';
const now = () => Date.parse('2026-11-23T01:00:00+08:00');
const ID = 'rule:conversion_floor:*:target_breach';

/** Two weeks of conversion, collapsing to 1.18% on the last day, detected day by day. */
async function collapsed(config = configWith([conversionFloor])) {
  const { store } = await freshStore('mail');
  const values = [...Array.from({ length: 13 }, (_, i) => 0.031 + (i % 3) * 0.002), 0.0118];
  await seedDaily(store, config, 'conversion_rate', days(LAST, values));
  const queue = memoryQueue();
  await detectAnomaliesBetween('2026-11-20', LAST, { store, config, now, queue });
  return { store, config, queue };
}

describe('alert mail', () => {
  it('dates "Since" from the first bad day, not the day openAfter was reached', async () => {
    const config = configWith([{ ...conversionFloor, openAfter: 2 }]);
    const { store } = await freshStore('mail');
    const values = [...Array.from({ length: 12 }, (_, i) => 0.031 + (i % 3) * 0.002), 0.0121, 0.0118];
    await seedDaily(store, config, 'conversion_rate', days(LAST, values));
    const queue = memoryQueue();
    await detectAnomaliesBetween('2026-11-20', LAST, { store, config, now, queue });

    const mail = await loadAlertMail(
      store,
      config,
      queue.messages[0]! as Extract<(typeof queue.messages)[0], { kind: 'alert' }>,
    );
    expect(mail?.text).toMatch(/Since\W+21 Nov · 2 unusual days/);
  });

  it('says what happened in the subject, with the value, bounds, history and the plan steps in both parts', async () => {
    const { store, config, queue } = await collapsed();

    const mail = await loadAlertMail(
      store,
      config,
      queue.messages[0]! as Extract<(typeof queue.messages)[0], { kind: 'alert' }>,
    );

    expect(mail?.subject).toBe('[Nightshift] OPENED critical: Conversion rate 1.18% below alarm floor 2.00%');
    expect(mail?.recipient.id).toBe('user_ops_lead');
    for (const part of [mail!.text, mail!.html]) {
      expect(part).toContain('1.18%');
      expect(part).toContain('at least 2.00%'); // alarm bounds
      expect(part).toContain('at least 3.00%'); // target
      expect(part).toContain('Set up a task force with customer service.');
      expect(part).toContain('Li Na');
    }
    expect(mail!.images).toHaveLength(1);
    expect(mail!.html).toContain(`src="cid:${mail!.images[0]!.cid}"`);
    expect(mail!.html).not.toMatch(/<script|<svg|display:\s*(flex|grid)/i);
    expect(Buffer.byteLength(mail!.html)).toBeLessThan(102 * 1024);
  });

  it('escapes names and steps from the config', async () => {
    const { store, config } = await collapsed();
    const incident = (await readIncident(store, ID))!;
    const evil = {
      ...config,
      kpis: config.kpis.map((k) => (k.id === 'conversion_rate' ? { ...k, name: 'Conv <script>alert(1)</script>' } : k)),
    };
    const plan = { ...config.responsePlans[1]!, title: 'Plan "A" & <b>', steps: ['<img src=x onerror=alert(1)>'] };

    const mail = renderAlert({ ...incident, label: 'Conv <script>alert(1)</script>' }, plan, evil, []);

    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img src=x');
    expect(mail.html).toContain('Plan &quot;A&quot; &amp; &lt;b&gt;');
    expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it("dates a September transition 'Sep', as every other date in the mail (not Intl's 'Sept')", async () => {
    const { store, config } = await collapsed();
    const incident = (await readIncident(store, ID))!;
    const transition = { ...incident.lastTransition!, at: '2026-09-06T21:00:00Z' };

    const mail = renderAlert(incident, config.responsePlans[1], config, [], { transition });

    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('7 Sep 05:00');
      expect(part).not.toMatch(/\bSept\b/);
    }
  });

  it('a resolved incident mails "RESOLVED" with how long it lasted', async () => {
    const config = configWith([{ ...conversionFloor, resolveAfter: 1 }]);
    const { store } = await freshStore('mail');
    await seedDaily(store, config, 'conversion_rate', days(LAST, [0.012, 0.011, 0.031]));
    const queue = memoryQueue();
    await detectAnomaliesBetween('2026-11-20', LAST, { store, config, now, queue });
    const resolved = queue.messages.find((m) => m.kind === 'alert' && m.transition === 'resolved')!;

    const mail = await loadAlertMail(store, config, resolved as Extract<typeof resolved, { kind: 'alert' }>);

    expect(mail?.subject).toBe('[Nightshift] RESOLVED critical: Conversion rate back to 3.10% after 2 days');
    // From the first unusual day to the day that resolved it.
    expect(mail?.text).toMatch(/Lasted\W+\d{1,2} Nov – \d{1,2} Nov · 2 unusual days/);
  });

  it('reports list the open incident with its first responder', async () => {
    const { store, config } = await collapsed();
    const incidents = await reportIncidents(store, config)(LAST);
    expect(incidents).toEqual([
      expect.objectContaining({
        title: 'Conversion rate: alarm bounds',
        state: 'open',
        severity: 'critical',
        firstResponder: 'Li Na',
        kpi: 'Conversion rate',
      }),
    ]);
    expect(await reportIncidents(store, config)('2026-11-10')).toEqual([]);
  });
});

describe('alert delivery through SES (DynamoDB Local + aws-ses-v2-local)', () => {
  let ses: LocalSes;
  beforeAll(async () => {
    ses = await startSesLocal();
  });
  afterAll(async () => {
    await ses.stop();
  });

  it('each recipient gets the transition once, however often its messages are delivered', async () => {
    const { store, config, queue } = await collapsed();
    const outbox = mkdtempSync(join(tmpdir(), 'alert-outbox-'));
    const deps = {
      store,
      config,
      now,
      mailer: withOutbox(createSesMailer({ endpoint: ses.endpoint, ...LOCAL_AWS }), outbox, now),
      composeAlert: alertComposer(store, config),
    };

    const first = await Promise.all(queue.messages.map((m) => sendDelivery(m, deps)));
    const retry = await Promise.all(queue.messages.map((m) => sendDelivery(m, deps)));

    expect(first.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);
    expect(retry.map((o) => ('why' in o ? o.why : o.status))).toEqual(['already_sent', 'already_sent', 'already_sent']);
    const files = readdirSync(outbox);
    expect(files).toHaveLength(3);
    const parsed = await simpleParser(readFileSync(join(outbox, files[0]!)));
    expect(parsed.subject).toBe('[Nightshift] OPENED critical: Conversion rate 1.18% below alarm floor 2.00%');
    expect(parsed.attachments.filter((a) => a.contentType === 'image/png')).toHaveLength(1);
  });
});

describe('the headline of a resolved silence', () => {
  const incident = { type: 'event', label: '"Invoice Sent" events', periods: 1, granularity: 'day' } as Incident;
  const resolvedBy = (summary: string) => ({ transition: 'resolved', observation: { summary } }) as Transition;

  it('says events arrive again only when they do; a quiet day its rhythm expects says the silence is over', () => {
    const config = exampleConfig();
    const quiet =
      'No "Invoice Sent" events on 24 May, within chance on such a day (about 0.0 expected at its usual rate)';

    expect(alertHeadline(incident, resolvedBy(quiet), config)).toBe(
      '"Invoice Sent" events: no unusual silence any more',
    );
    expect(
      alertHeadline(incident, resolvedBy('412 "Invoice Sent" events on 26 May, longest silence 2 h'), config),
    ).toBe('"Invoice Sent" events arriving again');
  });

  it('does not call a silence of hours "1 day"; one that ran over several judged days counts them', () => {
    // A trial's closing mails said "arriving again after 1 day" for gaps of 3.7 to 7 hours.
    const config = exampleConfig();
    const arriving = resolvedBy('412 "Invoice Sent" events on 26 May, longest silence 2 h');

    expect(alertHeadline({ ...incident, periods: 3 }, arriving, config)).toBe(
      '"Invoice Sent" events arriving again after 3 days with an unusual silence',
    );
  });
});

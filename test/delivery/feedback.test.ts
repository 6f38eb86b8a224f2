// The way back from SES: every send goes through the configuration set tagged with its recipient; the set's bounce
// and complaint events are recorded against that recipient and shown by the watchdog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeDeliveries } from '#shared/delivery/consumer.ts';
import { mailSources } from '#shared/delivery/sources.ts';
import { renderReport } from '#shared/email/render.ts';
import { incidentId, readIncident } from '#shared/incidents/incidents.ts';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { type LocalSes, startSesLocal } from '#shared/local/ses-local.ts';
import {
  FeedbackError,
  parseSesEvent,
  readFeedback,
  recordFeedback,
  recordSesEvent,
  UNKNOWN_RECIPIENT,
} from '#shared/mailer/feedback.ts';
import { createSesMailer } from '#shared/mailer/mailer.ts';
import type { DeliveryMessage } from '#shared/queue/messages.ts';
import { loadReportModel } from '#shared/reporting/load.ts';
import { MAIL_FEEDBACK_WINDOW_MS, MAIL_SUBJECTS } from '#shared/watchdog/mail-feedback.ts';
import { watchdogCheck } from '#shared/watchdog/watchdog.ts';
import { memoryQueue } from '../alerts/support.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';
import { recordingProxy } from '../support/proxy.ts';
import { clearInbox, NOW, preparedStore, sesEvent, sesInbox, sqsEvent } from './support.ts';

const MIN = 60_000;
const BOUNCED = incidentId(MAIL_SUBJECTS.bounce);
const COMPLAINED = incidentId(MAIL_SUBJECTS.complaint);

describe('sending through the configuration set', () => {
  let ses: LocalSes;
  beforeAll(async () => {
    ses = await startSesLocal();
  });
  afterAll(async () => {
    await ses.stop();
  });

  it('every send names the configuration set and carries its recipient and kind as SES tags', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const proxy = await recordingProxy(ses.endpoint);
    await clearInbox(ses.endpoint);
    const mailer = createSesMailer({ endpoint: proxy.url, ...LOCAL_AWS }, { configurationSet: 'nightshift-mail' });
    const messages: DeliveryMessage[] = ['ops_director', 'market_ops'].map((recipientId) => ({
      kind: 'report',
      reportId: 'daily',
      period: '2026-11-22',
      recipientId,
    }));
    try {
      const response = await consumeDeliveries(sqsEvent(messages.map((m) => JSON.stringify(m))), {
        store,
        config,
        mailer,
        now: () => NOW,
        ...mailSources(store, config),
      });

      expect(response.batchItemFailures).toEqual([]);
      const sends = proxy.requests.filter((r) => r.Action === 'SendRawEmail');
      expect(sends.map((r) => r.ConfigurationSetName)).toEqual(['nightshift-mail', 'nightshift-mail']);
      expect(sends.map((r) => [r['Tags.member.1.Name'], r['Tags.member.1.Value']]).sort()).toEqual([
        ['nightshift-recipient', 'market_ops'],
        ['nightshift-recipient', 'ops_director'],
      ]);
      expect(sends.map((r) => [r['Tags.member.2.Name'], r['Tags.member.2.Value']])).toEqual([
        ['nightshift-kind', 'report'],
        ['nightshift-kind', 'report'],
      ]);
      expect(await sesInbox(ses.endpoint)).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('a tag SES would refuse is refused before anything is sent', async () => {
    const proxy = await recordingProxy(ses.endpoint);
    const mailer = createSesMailer({ endpoint: proxy.url, ...LOCAL_AWS }, { configurationSet: 'nightshift-mail' });
    try {
      await expect(
        mailer.sendRaw(Buffer.from('Subject: x\r\n\r\nx'), ['a@example.com'], { tags: { recipient: 'a@example.com' } }),
      ).rejects.toThrow('SES tag recipient=a@example.com: only ASCII letters, digits, _ and - (1-256 characters)');
      expect(proxy.requests).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});

describe('SES bounce and complaint events', () => {
  it('a bounce is read with its recipient from the mail tags, never the address', () => {
    const feedback = parseSesEvent(sesEvent('Bounce', { at: NOW, recipientId: 'ops_director' }));

    expect(feedback).toEqual({
      type: 'bounce',
      at: NOW,
      feedbackId: 'feedback-1',
      sesMessageId: '010001-ses-message-1',
      recipientId: 'ops_director',
      mailKind: 'report',
      detail: 'Permanent/General',
      permanent: true,
    });
    expect(JSON.stringify(feedback)).not.toContain('@');
  });

  it('a complaint is read with its feedback type; a transient bounce is not permanent', () => {
    expect(parseSesEvent(sesEvent('Complaint', { at: NOW, recipientId: 'market_ops' }))).toMatchObject({
      type: 'complaint',
      recipientId: 'market_ops',
      detail: 'abuse',
      permanent: false,
    });
    const soft = sesEvent('Bounce', {
      at: NOW,
      recipientId: 'market_ops',
      bounceType: 'Transient',
      subType: 'MailboxFull',
    });
    expect(parseSesEvent(soft)).toMatchObject({ detail: 'Transient/MailboxFull', permanent: false });
  });

  it('other sending events are ignored, a mail without the tag is recorded against an unknown recipient', () => {
    expect(parseSesEvent(sesEvent('Delivery', { at: NOW, recipientId: 'ops_director' }))).toBeUndefined();
    expect(parseSesEvent(sesEvent('Bounce', { at: NOW }))?.recipientId).toBe(UNKNOWN_RECIPIENT);
    // The bare event record (as SNS or Firehose would deliver it) reads the same.
    expect(parseSesEvent(sesEvent('Bounce', { at: NOW, recipientId: 'it_ops' }).detail)?.recipientId).toBe('it_ops');
  });

  it('a malformed event is an error that names what is wrong', () => {
    const event = sesEvent('Bounce', { at: NOW, recipientId: 'ops_director' });
    expect(() => parseSesEvent({ ...event, detail: { eventType: 'Bounce' } })).toThrow(FeedbackError);
    expect(() => parseSesEvent({ ...event, detail: { eventType: 'Bounce' } })).toThrow(/mail/);
    const bad = structuredClone(event);
    (bad.detail.bounce as { timestamp: string }).timestamp = 'yesterday';
    expect(() => parseSesEvent(bad)).toThrow("bounce.timestamp: expected an ISO 8601 instant, got 'yesterday'");
    expect(() => parseSesEvent('not an event')).toThrow(FeedbackError);
  });

  it('a redelivered event is recorded once, under the local day it happened', async () => {
    const { store } = await freshStore('feedback');
    const config = exampleConfig();
    // 23:30 UTC on 22 Nov is 07:30 on 23 Nov in Shanghai.
    const at = Date.parse('2026-11-22T23:30:00Z');
    const event = sesEvent('Bounce', { at, recipientId: 'ops_director' });

    await recordSesEvent(store, event, config.timeZone);
    await recordSesEvent(store, event, config.timeZone);

    expect(await readFeedback(store, '2026-11-22', '2026-11-22')).toEqual([]);
    expect(await readFeedback(store, '2026-11-23', '2026-11-23')).toEqual([
      expect.objectContaining({ type: 'bounce', recipientId: 'ops_director', at }),
    ]);
  });
});

describe('the watchdog shows bounces and complaints', () => {
  async function setup() {
    const config = exampleConfig();
    config.monitoring.queueSilenceMinutes = 100_000; // the events queue is not under test
    const { store } = await freshStore('feedback');
    const queue = memoryQueue();
    const check = (now: number) => watchdogCheck(now, { store, config, queue, jobs: [], expectSince: NOW });
    const bounce = (at: number, recipientId: string, feedbackId: string) =>
      recordFeedback(store, parseSesEvent(sesEvent('Bounce', { at, recipientId, feedbackId }))!, config.timeZone);
    return { config, store, queue, check, bounce };
  }

  it('a bounce opens one incident naming the recipient by config id, for the outage plan, until 48 h pass without one', async () => {
    const { store, queue, check, bounce } = await setup();
    await bounce(NOW + MIN, 'ops_director', 'f-1');

    const first = await check(NOW + 45 * MIN);
    const later = await check(NOW + 24 * 60 * MIN);
    const clear = await check(NOW + MIN + MAIL_FEEDBACK_WINDOW_MS + 45 * MIN);

    expect(first.opened).toEqual([BOUNCED]);
    expect(first.findings).toEqual([
      {
        incident: BOUNCED,
        problem: 'bounced',
        summary: expect.stringMatching(
          /^Mail bounced for 1 recipient in the last 48 h: ops_director \(Permanent\/General, 05:01 on 23 Nov\)\./,
        ),
      },
    ]);
    expect(first.findings[0]!.summary).not.toContain('@');
    expect(later.open).toEqual([BOUNCED]);
    expect(later.opened).toEqual([]);
    expect(clear.resolved).toEqual([BOUNCED]);
    expect(clear.findings).toEqual([]);
    expect(queue.messages.map((m) => (m.kind === 'alert' ? `${m.transition} ${m.recipientId}` : m.kind))).toEqual([
      'opened tech_ops_manager',
      'opened it_ops',
      'resolved tech_ops_manager',
      'resolved it_ops',
    ]);
    expect(await readIncident(store, BOUNCED)).toMatchObject({ status: 'resolved', title: 'Mail: bounced' });
  });

  it('complaints have their own incident; a second recipient bouncing escalates the bounce incident once', async () => {
    const { store, config, check, bounce } = await setup();
    await bounce(NOW + MIN, 'ops_director', 'f-1');
    await recordFeedback(
      store,
      parseSesEvent(sesEvent('Complaint', { at: NOW + 2 * MIN, recipientId: 'market_ops', feedbackId: 'f-2' }))!,
      config.timeZone,
    );
    const first = await check(NOW + 45 * MIN);
    await bounce(NOW + 80 * MIN, 'data_analyst', 'f-3');
    const second = await check(NOW + 105 * MIN);

    expect(first.opened.sort()).toEqual([BOUNCED, COMPLAINED].sort());
    expect(first.findings.find((f) => f.incident === COMPLAINED)?.summary).toMatch(
      /^Mail marked as spam by 1 recipient in the last 48 h: market_ops \(abuse, 05:02 on 23 Nov\)/,
    );
    expect(second.escalated).toEqual([BOUNCED]);
    expect(second.findings.find((f) => f.incident === BOUNCED)?.summary).toContain('2 recipients');
  });

  it('an hour without feedback or an open mail incident judges nothing about mail', async () => {
    const { store, check } = await setup();
    const summary = await check(NOW + 45 * MIN);
    expect(summary.findings).toEqual([]);
    expect(await readIncident(store, BOUNCED)).toBeUndefined();
    expect(await readIncident(store, COMPLAINED)).toBeUndefined();
  });
});

describe("the report's pipeline section shows bounces and complaints", () => {
  it("counts the period's bounces and complaints with the recipients concerned, in the text and the HTML", async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const record = (type: 'Bounce' | 'Complaint', at: string, recipientId: string, feedbackId: string) =>
      recordSesEvent(store, sesEvent(type, { at: Date.parse(at), recipientId, feedbackId }), config.timeZone);
    await record('Bounce', '2026-11-22T05:01:00+08:00', 'ops_director', 'f-1');
    await record('Complaint', '2026-11-22T23:59:00+08:00', 'market_ops', 'f-2');
    await record('Bounce', '2026-11-23T00:01:00+08:00', 'data_analyst', 'f-3'); // the next day: another period
    const daily = config.reports.find((r) => r.id === 'daily')!;
    const admin = config.people.find((p) => p.id === 'ops_director')!;

    const model = await loadReportModel(daily, '2026-11-22', admin, { store, config, now: () => NOW });
    const mail = renderReport(model);

    expect(model.pipeline.mail).toEqual({ bounces: 1, complaints: 1, recipients: ['ops_director', 'market_ops'] });
    expect(mail.text).toContain('Mail: 1 bounce, 1 complaint (ops_director and market_ops)');
    expect(mail.html).toContain('Mail: 1 bounce, 1 complaint (ops_director and market_ops)');
  });

  it('says so when the period had none', async () => {
    const config = exampleConfig();
    const store = await preparedStore(config);
    const daily = config.reports.find((r) => r.id === 'daily')!;
    const admin = config.people.find((p) => p.id === 'ops_director')!;

    const mail = renderReport(await loadReportModel(daily, '2026-11-22', admin, { store, config, now: () => NOW }));

    expect(mail.text).toContain('Mail: no bounces or complaints');
  });
});

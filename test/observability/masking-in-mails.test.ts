// Masking where personal data can reach a mail: a job's error quoting a raw event, which the watchdog's alert mail
// quotes (first line, shortened), and reconciliation examples (test/checks/incidents.test.ts has those).
import { afterEach, describe, expect, it } from 'vitest';
import { loadAlertMail } from '#shared/email/alert-mail.ts';
import { recordRun } from '#shared/jobs/runs.ts';
import { PseudonymKey, setPseudonymKey } from '#shared/privacy/pseudonym.ts';
import type { AlertDelivery } from '#shared/queue/messages.ts';
import { watchdogCheck } from '#shared/watchdog/watchdog.ts';
import { memoryQueue } from '../alerts/support.ts';
import { exampleConfig } from '../support/config.ts';
import { freshStore } from '../support/dynamo.ts';

const at = (date: string, time: string) => Date.parse(`${date}T${time}:00+08:00`);

afterEach(() => setPseudonymKey(undefined));

describe('an alert quoting a job error', () => {
  it("shows the user's pseudonym, province and age band, nothing finer, even where the quote is cut short", async () => {
    const key = PseudonymKey.generate();
    setPseudonymKey(key);
    const config = exampleConfig();
    config.monitoring.queueSilenceMinutes = 100_000;
    const { store } = await freshStore('masking-mails');
    const queue = memoryQueue();
    // The run record keeps 'Error: <message>' and an alert quotes its first 200 characters: the city straddles the cut.
    const item = `{"userId":"u_1042","age":34,"address":{"province":"Zhejiang","street":"88 Qiandao Lake Road"},"note":"${'x'.repeat(75)}","city":"Qiandaohu Town"}`;
    const quoted = `Error: ${item}`;
    expect(quoted.indexOf('Qiandaohu')).toBeLessThan(200);
    expect(quoted.indexOf('Qiandaohu') + 'Qiandaohu Town'.length).toBeGreaterThan(200);
    const start = at('2026-11-22', '00:30');
    const ticks = [start, start + 60_000];
    await recordRun(
      store,
      'rollup-kpis',
      () => ticks.shift() ?? start + 60_000,
      async () => {
        throw new Error(item);
      },
    ).catch(() => undefined);

    await watchdogCheck(at('2026-11-22', '01:45'), {
      store,
      config,
      queue,
      jobs: ['rollup-kpis'],
      expectSince: at('2026-11-21', '00:00'),
    });
    const message = queue.messages.find(
      (m): m is AlertDelivery => m.kind === 'alert' && m.incidentId.includes('rollup-kpis.outcome'),
    )!;
    const mail = await loadAlertMail(store, config, message);

    expect(mail?.text).toContain(`"userId":"hmac:${key.pseudonym('u_1042')}"`);
    expect(mail?.text).toContain('"age":"30-35"');
    expect(mail?.text).toContain('"province":"Zhejiang"');
    for (const part of [mail?.subject, mail?.text, mail?.html]) {
      expect(part).not.toContain('u_1042');
      expect(part).not.toContain('Qiandao');
      // Not even the start of the city, cut off mid-value.
      expect(part).not.toMatch(/"city":"(?!\[withheld\]")/);
      expect(part).not.toMatch(/"age":34/);
    }
  });
});

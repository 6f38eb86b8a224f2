// `nightshift detect --no-mail`: a backfill of history moves incidents as the nightly runs would have, and mails
// nobody; the first run with mail after it mails only what changes from then on.
import { tmpdir } from 'node:os';
import { describe, expect, inject, it } from 'vitest';
import type { CommandContext } from '#cli/context.ts';
import { runDetect } from '#cli/detect.ts';
import { buildProgram, detectLines } from '#cli/main.ts';
import { configWith, days, seedDaily } from '../alerts/support.ts';
import { freshArchive } from '../support/archive.ts';
import { freshStore } from '../support/dynamo.ts';

/** A command context on the test's DynamoDB Local at `now`, whose mail goes to a list. */
async function context(now: number) {
  const config = configWith([{ id: 'conv', kpi: 'conversion_rate', all: [{ breach: 'alarm' }], plan: 'satisfaction' }]);
  const { store, tables } = await freshStore('cli-detect');
  const mails: string[][] = [];
  const ctx: CommandContext = {
    config,
    configFile: 'nightshift.config.yaml',
    dataDir: tmpdir(),
    store,
    tables,
    dynamoEndpoint: inject('dynamoEndpoint'),
    createdTables: [],
    openArchive: () => freshArchive('cli-detect'),
    now: () => now,
    mail: async () => ({
      mailer: {
        async sendRaw(_raw, to) {
          mails.push(to);
          return { messageId: `m-${mails.length}` };
        },
      },
      inboxUrl: 'http://127.0.0.1/',
      outbox: '/tmp/outbox',
    }),
  };
  return { ctx, config, store, mails };
}

describe('nightshift detect --no-mail', () => {
  it('opens the incidents of a backfill without mailing; the next night mails only its own transitions', async () => {
    const { ctx, config, store, mails } = await context(Date.parse('2026-11-24T01:00:00+08:00'));
    // Conversion below its 2% alarm floor on the 20th and 21st, back to normal on the 22nd and 23rd.
    await seedDaily(store, config, 'conversion_rate', days('2026-11-23', [0.011, 0.012, 0.035, 0.034]));

    const backfill = await runDetect(ctx, '2026-11-20', '2026-11-21', { mail: false });
    const nightly = await runDetect(ctx, '2026-11-22', '2026-11-23');

    expect(backfill.opened).toEqual([{ incident: 'rule:conv:*:target_breach', period: '2026-11-20' }]);
    expect(backfill.enqueued).toBeGreaterThan(0);
    expect(backfill).toMatchObject({ alertsSent: 0, alertsNotSent: backfill.enqueued });
    expect(detectLines(backfill).at(-1)).toBe(`1 incident open; ${backfill.enqueued} alert mails not sent (--no-mail)`);
    expect(nightly.resolved.map((r) => r.incident)).toEqual(['rule:conv:*:target_breach']);
    expect(nightly.alertsSent).toBe(nightly.enqueued);
    expect(mails).toHaveLength(nightly.enqueued);
  });

  it('is an option of detect, mail on by default', () => {
    const detect = buildProgram().commands.find((c) => c.name() === 'detect')!;
    const option = detect.options.find((o) => o.long === '--no-mail')!;

    expect([option.attributeName(), option.negate]).toEqual(['mail', true]);
  });
});

// The outbox of a command run with --now names its mails by that clock, as everything else in the command is timed.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { withContext } from '#cli/context.ts';

describe('the local outbox', () => {
  it("names a mail by the command's --now, not the real clock", async () => {
    const data = mkdtempSync(join(tmpdir(), 'nightshift-outbox-'));
    const now = Date.parse('2026-05-30T05:15:00Z');

    const files = await withContext(
      { config: 'nightshift.config.yaml', data, endpoint: inject('dynamoEndpoint'), now },
      async (ctx) => {
        const { mailer, outbox } = await ctx.mail();
        const raw = 'From: nightshift@example.com\r\nTo: ops@example.com\r\nSubject: test\r\n\r\nbody\r\n';
        await mailer.sendRaw(Buffer.from(raw), ['ops@example.com']);
        return readdirSync(outbox);
      },
    );

    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^2026-05-30T05-15-/);
  });
});

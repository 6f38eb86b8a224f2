// `nightshift inbox`: a local SES web inbox holding every mail in <data>/outbox, until Ctrl-C. The demo's SES
// inbox lives only as long as the demo; this brings the same mails back to look at in a browser.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_AWS } from '#shared/local/dynamodb-local.ts';
import { startSesLocal } from '#shared/local/ses-local.ts';
import { createSesMailer } from '#shared/mailer/mailer.ts';

export async function serveInbox(dataDir: string, port: number): Promise<void> {
  const outbox = join(dataDir, 'outbox');
  let files: string[] = [];
  try {
    files = readdirSync(outbox)
      .filter((f) => f.endsWith('.eml'))
      .sort();
  } catch {
    throw new Error(`no outbox at ${outbox}: send something first (npm run demo, or nightshift report NAME --send)`);
  }
  const ses = await startSesLocal(port);
  const mailer = createSesMailer({ endpoint: ses.endpoint, ...LOCAL_AWS });
  for (const f of files) {
    const raw = readFileSync(join(outbox, f));
    const to = /^To: .*?<?([^<>\s]+@[^<>\s]+)>?\s*$/m.exec(raw.toString('utf8', 0, 4096))?.[1] ?? 'unknown@example.com';
    await mailer.sendRaw(raw, [to]);
  }
  console.log(`${files.length} mails from ${outbox}\ninbox: ${ses.inboxUrl}  (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
  await ses.stop();
}

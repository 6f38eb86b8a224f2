// `nightshift pseudonym <ids...>`: the pseudonym logs and mails show for a user or order id, so an operator can find
// that id's lines. Locally the key is <data>/pseudonym.key (created on first use, mode 0600); for a deployment it is
// the stack's secret, read with the operator's own AWS credentials. Every other command hashes with the same local
// key (`useLocalPseudonymKey` sets it for the process).
import { resolve } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Command } from 'commander';
import { keyFilePath, loadOrCreateKeyFile } from '#shared/privacy/key-file.ts';
import { PseudonymKey, setPseudonymKey } from '#shared/privacy/pseudonym.ts';
import type { GlobalOptions } from './context.ts';
import { printJson } from './json.ts';

export interface PseudonymOptions {
  dataDir: string;
  /** A Secrets Manager secret ARN or name: the deployed key instead of the local one. */
  secret?: string;
}

export interface PseudonymRun {
  /** Where the key came from: the key file's path or `secret <id>`. */
  key: string;
  pseudonyms: Array<{ id: string; pseudonym: string }>;
}

export async function runPseudonym(ids: readonly string[], o: PseudonymOptions): Promise<PseudonymRun> {
  let key: PseudonymKey;
  let source: string;
  if (o.secret !== undefined) {
    source = `secret ${o.secret}`;
    key = PseudonymKey.fromText(await readSecret(o.secret), source);
  } else {
    source = keyFilePath(o.dataDir);
    key = loadOrCreateKeyFile(o.dataDir);
  }
  return { key: source, pseudonyms: ids.map((id) => ({ id, pseudonym: key.pseudonym(id) })) };
}

async function readSecret(secretId: string): Promise<string> {
  const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
  if (SecretString === undefined) throw new Error(`secret ${secretId} has no text value`);
  return SecretString;
}

/**
 * The program's `preAction` hook: every command pseudonymizes with the key under its --data folder (read, or
 * created when an id is first hashed), as the Lambda functions do with the deployed secret.
 */
export function useLocalPseudonymKey(_program: Command, action: Command): void {
  const dataDir = resolve((action.optsWithGlobals() as GlobalOptions).data);
  setPseudonymKey(() => loadOrCreateKeyFile(dataDir));
}

export function pseudonymCommand(): Command {
  return new Command('pseudonym')
    .description('print the pseudonym that logs and mails show for user or order ids (keyed HMAC-SHA-256)')
    .argument('<ids...>', 'user or order ids, e.g. u_1042 o_9')
    .option(
      '--secret <arn>',
      "the deployed key: the stack's PseudonymKey secret (ARN or name), read with your AWS credentials",
    )
    .action(async (ids: string[], o: { secret?: string }, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as GlobalOptions;
      const run = await runPseudonym(ids, { dataDir: resolve(opts.data), ...(o.secret ? { secret: o.secret } : {}) });
      if (opts.json) {
        printJson(run);
        return;
      }
      for (const p of run.pseudonyms) console.log(`${p.id}\t${p.pseudonym}`);
      console.error(`key: ${run.key}; logs show hmac:<pseudonym>, mails the pseudonym alone`);
    });
}

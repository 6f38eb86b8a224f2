// `nightshift pseudonym`: the README's "find a user's lines" recipe as a verb that hashes with the key, and the key
// every other command pseudonymizes with.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram } from '#cli/main.ts';
import { runPseudonym } from '#cli/pseudonym.ts';
import { createScrubber } from '#shared/observability/scrub.ts';
import { keyFilePath, loadOrCreateKeyFile } from '#shared/privacy/key-file.ts';
import { PseudonymKey, pseudonymKey, setPseudonymKey } from '#shared/privacy/pseudonym.ts';
import { runCli } from '../local/processes.ts';

const scratch = mkdtempSync(join(tmpdir(), 'nightshift-pseudonym-cli-'));
const secrets = mockClient(SecretsManagerClient);

afterEach(() => {
  secrets.reset();
  setPseudonymKey(undefined);
  vi.restoreAllMocks();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('nightshift pseudonym', () => {
  it('prints the pseudonym logs show for each id, with the key it creates under --data (mode 0600)', async () => {
    const data = join(scratch, 'first');

    const run = await runCli(['--data', data, '--json', 'pseudonym', 'u_1042', 'o_9']);

    expect(run.code).toBe(0);
    const key = loadOrCreateKeyFile(data);
    expect(statSync(keyFilePath(data)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(run.stdout)).toEqual({
      key: keyFilePath(data),
      pseudonyms: [
        { id: 'u_1042', pseudonym: key.pseudonym('u_1042') },
        { id: 'o_9', pseudonym: key.pseudonym('o_9') },
      ],
    });
    // What a log line holds for that user: the operator greps for the printed pseudonym.
    const line = JSON.stringify({ userId: 'u_1042' }, createScrubber({ pseudonymKey: () => key }).replacer);
    expect(line).toBe(`{"userId":"hmac:${key.pseudonym('u_1042')}"}`);
  });

  it('gives the same pseudonym on every run with the same --data, and another with another folder', async () => {
    const data = join(scratch, 'again');
    const first = await runCli(['--data', data, 'pseudonym', 'u_1042']);
    const second = await runCli(['--data', data, 'pseudonym', 'u_1042']);
    const elsewhere = await runCli(['--data', join(scratch, 'elsewhere'), 'pseudonym', 'u_1042']);

    expect(first.stdout).toMatch(/^u_1042\t[0-9a-f]{16}\n$/);
    expect(second.stdout).toBe(first.stdout);
    expect(elsewhere.stdout).not.toBe(first.stdout);
  });

  it('--secret hashes with the deployed key, read from Secrets Manager', async () => {
    const text = 'deployed-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF';
    secrets.on(GetSecretValueCommand, { SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:pk' }).resolves({
      SecretString: text,
    });

    const run = await runPseudonym(['u_1042'], {
      dataDir: join(scratch, 'unused'),
      secret: 'arn:aws:secretsmanager:eu-west-1:1:secret:pk',
    });

    expect(run.pseudonyms).toEqual([{ id: 'u_1042', pseudonym: PseudonymKey.fromText(text, 'x').pseudonym('u_1042') }]);
    expect(() => statSync(join(scratch, 'unused'))).toThrow(/ENOENT/);
  });

  it('every other command pseudonymizes with the key under its --data folder', async () => {
    const data = join(scratch, 'others');
    vi.spyOn(console, 'log').mockImplementation(() => undefined);

    await buildProgram().parseAsync(['node', 'nightshift', '--data', data, 'validate']);

    expect(pseudonymKey()?.pseudonym('u_7')).toBe(loadOrCreateKeyFile(data).pseudonym('u_7'));
  });
});

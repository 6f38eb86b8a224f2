// Write keys: what a secret may hold, the fixed keys of `nightshift serve`, and Secrets Manager read and cached
// (aws-sdk-client-mock: Secrets Manager has no local stand-in).
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isWriteKey,
  parseWriteKeys,
  secretsManagerWriteKeys,
  staticWriteKeys,
  WriteKeyError,
} from '#shared/secrets/write-keys.ts';

const secrets = mockClient(SecretsManagerClient);
afterEach(() => secrets.reset());

describe('write keys in a secret', () => {
  it('the generated {"writeKey"}, a {"writeKeys"} list for a rotation, both, or the key as plain text', () => {
    expect(parseWriteKeys('{"writeKey":"abc"}')).toEqual(['abc']);
    expect(parseWriteKeys('{"writeKeys":["new","old"]}')).toEqual(['new', 'old']);
    expect(parseWriteKeys('{"writeKey":"a","writeKeys":["b"]}')).toEqual(['a', 'b']);
    expect(parseWriteKeys('plain-key\n')).toEqual(['plain-key']);
  });

  it('no key, a key with a colon or a space, or a malformed value is a WriteKeyError naming the problem', () => {
    expect(() => parseWriteKeys('{}')).toThrow(/no write key/);
    expect(() => parseWriteKeys('{"writeKey":"a:b"}')).toThrow(/colon/);
    expect(() => parseWriteKeys('{"writeKeys":["a b"]}')).toThrow(/printable ASCII/);
    expect(() => parseWriteKeys('{"writeKeys":"a"}')).toThrow(WriteKeyError);
    expect(() => parseWriteKeys('[1]')).toThrow(/expected/);
    expect(() => staticWriteKeys([''])).toThrow(/--write-key: write key 1 is empty/);
  });

  it('a key matches only itself', () => {
    expect(isWriteKey(['k1', 'k2'], 'k2')).toBe(true);
    expect(isWriteKey(['k1', 'k2'], 'k')).toBe(false);
    expect(isWriteKey(['k1'], 'k1 ')).toBe(false);
  });
});

describe('write keys from Secrets Manager', () => {
  function keys(start: number) {
    let clock = start;
    const read = secretsManagerWriteKeys({
      secretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:wk',
      client: new SecretsManagerClient({ region: 'eu-west-1' }),
      now: () => clock,
      refreshMs: 300_000,
    });
    return { read, advance: (ms: number) => (clock += ms) };
  }

  it('are read once, and again once the refresh interval has passed', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"writeKey":"first"}' })
      .resolves({ SecretString: '{"writeKeys":["second","first"]}' });
    const { read, advance } = keys(0);

    const a = await Promise.all([read(), read()]);
    advance(299_999);
    const b = await read();
    advance(1);
    const c = await read();

    expect([a, b, c]).toEqual([[['first'], ['first']], ['first'], ['second', 'first']]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('a failed refresh keeps the keys read before, and is tried again a minute later', async () => {
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: '{"writeKey":"first"}' })
      .rejectsOnce(new Error('throttled'))
      .resolves({ SecretString: '{"writeKey":"third"}' });
    const { read, advance } = keys(0);

    await read();
    advance(300_000);
    const during = await read();
    advance(30_000);
    const still = await read();
    advance(30_000);
    const after = await read();

    expect([during, still, after]).toEqual([['first'], ['first'], ['third']]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it('without any keys read, a failure rejects (the API answers 503)', async () => {
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDenied'));

    await expect(keys(0).read()).rejects.toThrow('AccessDenied');
  });
});

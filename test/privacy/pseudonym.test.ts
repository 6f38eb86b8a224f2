import { createHash, createHmac } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { keyFilePath, loadOrCreateKeyFile, readKeyFile } from '#shared/privacy/key-file.ts';
import {
  PseudonymKey,
  PseudonymKeyError,
  pseudonym,
  pseudonymKey,
  setPseudonymKey,
} from '#shared/privacy/pseudonym.ts';

const KEY_TEXT = 'k3y-for-the-pseudonym-tests-0123456789abcdef';
const scratch = mkdtempSync(join(tmpdir(), 'nightshift-pseudonym-'));
let n = 0;
const dataDir = () => join(scratch, `data-${++n}`);

afterEach(() => setPseudonymKey(undefined));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('keyed pseudonyms', () => {
  it('the same id gives the same pseudonym under one key, and different ones under different keys', () => {
    const one = PseudonymKey.fromText(KEY_TEXT, 'test');
    const again = PseudonymKey.fromText(` ${KEY_TEXT}\n`, 'test (as a file holds it)');
    const other = PseudonymKey.generate();

    expect(one.pseudonym('u_1042')).toBe(again.pseudonym('u_1042'));
    expect(one.pseudonym('u_1042')).not.toBe(other.pseudonym('u_1042'));
    expect(one.pseudonym('u_1042')).not.toBe(one.pseudonym('u_1043'));
    expect(one.pseudonym(42)).toBe(one.pseudonym('42'));
  });

  it('is the HMAC-SHA-256 of the id under the key, not the plain SHA-256 anyone could compute for a guessed id', () => {
    const key = PseudonymKey.fromText(KEY_TEXT, 'test');
    const hmac = createHmac('sha256', KEY_TEXT).update('u_1042').digest('hex');

    expect(key.pseudonym('u_1042')).toBe(hmac.slice(0, 16));
    expect(key.pseudonym('u_1042', 64)).toBe(hmac);
    expect(key.pseudonym('u_1042')).not.toBe(createHash('sha256').update('u_1042').digest('hex').slice(0, 16));
  });

  it('rejects a pseudonym length outside 1 to 64', () => {
    const key = PseudonymKey.generate();
    expect(() => key.pseudonym('x', 0)).toThrow(RangeError);
    expect(() => key.pseudonym('x', 65)).toThrow(RangeError);
  });

  it('refuses a short key, naming where it came from but not its text', () => {
    const attempt = () => PseudonymKey.fromText('short-secret', 'secret arn:aws:secretsmanager:x');
    expect(attempt).toThrow(PseudonymKeyError);
    expect(attempt).toThrow(
      /^secret arn:aws:secretsmanager:x: a pseudonym key needs at least 32 characters, found 12$/,
    );
  });

  it("the key's text never shows in JSON, String() or util.inspect", () => {
    const key = PseudonymKey.fromText(KEY_TEXT, 'test');
    const printed = [JSON.stringify({ key }), String(key), `${key}`, inspect({ deps: { key } }, { depth: 5 })];
    for (const text of printed) expect(text).not.toContain(KEY_TEXT);
    expect(JSON.stringify({ key })).toBe('{"key":"[pseudonym key]"}');
  });

  it('without a key it fails rather than hash unkeyed', () => {
    expect(() => pseudonym('u_1')).toThrow(PseudonymKeyError);
  });

  it("uses the process's key, loading it on first use only", () => {
    let loads = 0;
    const key = PseudonymKey.generate();
    setPseudonymKey(() => {
      loads++;
      return key;
    });
    expect(loads).toBe(0);

    expect([pseudonym('u_1'), pseudonym('u_1')]).toEqual([key.pseudonym('u_1'), key.pseudonym('u_1')]);
    expect(loads).toBe(1);
  });
});

describe('the local key file', () => {
  it('is created on first use with mode 0600, and read back the same after', () => {
    const dir = dataDir();

    const created = loadOrCreateKeyFile(dir);
    const read = loadOrCreateKeyFile(dir);

    expect(statSync(keyFilePath(dir)).mode & 0o777).toBe(0o600);
    expect(read.pseudonym('u_1042')).toBe(created.pseudonym('u_1042'));
    expect(readFileSync(keyFilePath(dir), 'utf8').trim().length).toBeGreaterThanOrEqual(32);
  });

  it('two data folders have two keys', () => {
    expect(loadOrCreateKeyFile(dataDir()).pseudonym('u_1')).not.toBe(loadOrCreateKeyFile(dataDir()).pseudonym('u_1'));
  });

  it('an existing key file is used as it is', () => {
    const dir = dataDir();
    loadOrCreateKeyFile(dir);
    writeFileSync(keyFilePath(dir), `${KEY_TEXT}\n`, { mode: 0o600 });

    expect(loadOrCreateKeyFile(dir).pseudonym('u_1')).toBe(PseudonymKey.fromText(KEY_TEXT, 'x').pseudonym('u_1'));
  });

  it.skipIf(process.platform === 'win32')('a key file other users may read is refused, saying how to fix it', () => {
    const dir = dataDir();
    loadOrCreateKeyFile(dir);
    chmodSync(keyFilePath(dir), 0o644);

    expect(() => readKeyFile(keyFilePath(dir))).toThrow(`may be read by other users (mode 0644); run: chmod 600`);
  });

  it('a process whose key is the file loads (or creates) it only when an id is first hashed', () => {
    const dir = dataDir();
    setPseudonymKey(() => loadOrCreateKeyFile(dir));
    expect(() => statSync(keyFilePath(dir))).toThrow(/ENOENT/);

    const first = pseudonym('o_9');

    expect(first).toBe(readKeyFile(keyFilePath(dir)).pseudonym('o_9'));
    expect(pseudonymKey()?.pseudonym('o_9')).toBe(first);
  });
});

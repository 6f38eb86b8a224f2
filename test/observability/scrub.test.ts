import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createScrubber, scrubError, WITHHELD } from '#shared/observability/scrub.ts';
import { PseudonymKey, setPseudonymKey } from '#shared/privacy/pseudonym.ts';

const KEY_TEXT = 'scrubber-test-key-0123456789-abcdefghijklmnop';
const key = PseudonymKey.fromText(KEY_TEXT, 'test');
const people = [{ name: 'Li Na', email: 'li.na@example.com' }];
const scrubber = createScrubber({ people, pseudonymKey: () => key });
const log = (value: unknown, s = scrubber) => JSON.parse(JSON.stringify(value, (k, v) => s.replacer(k, v)));

afterEach(() => setPseudonymKey(undefined));

describe('the log scrubber', () => {
  it('logs user and order ids as their keyed pseudonym under any spelling of the key, and withholds contact details and payloads', () => {
    expect(
      log({ userId: 'u_1', user_id: 'u_1', orderId: 42, email: 'x@y.io', phoneNumber: '123', body: '{}' }),
    ).toEqual({
      userId: `hmac:${key.pseudonym('u_1')}`,
      user_id: `hmac:${key.pseudonym('u_1')}`,
      orderId: `hmac:${key.pseudonym(42)}`,
      email: WITHHELD,
      phoneNumber: WITHHELD,
      body: WITHHELD,
    });
  });

  it('never logs the plain SHA-256 of an id, which anyone can compute for guessed ids', () => {
    const line = JSON.stringify({ userId: 'u_1042' }, scrubber.replacer);
    expect(line).not.toContain(createHash('sha256').update('u_1042').digest('hex').slice(0, 16));
  });

  it("uses the process's key when given none, and withholds ids while the process has no key", () => {
    const plain = createScrubber();
    expect(log({ userId: 'u_1' }, plain)).toEqual({ userId: WITHHELD });

    setPseudonymKey(key);
    expect(log({ userId: 'u_1' }, plain)).toEqual({ userId: `hmac:${key.pseudonym('u_1')}` });
  });

  it('withholds ids when the key cannot be loaded, and the line is still written', () => {
    const broken = createScrubber({
      pseudonymKey: () => {
        throw new Error('EACCES: pseudonym.key');
      },
    });
    expect(log({ message: 'x', orderId: 'o_9' }, broken)).toEqual({ message: 'x', orderId: WITHHELD });
  });

  it('an address keeps only its province, an age becomes its band, finer places and birth dates are withheld', () => {
    expect(
      log({
        customer: {
          address: { street: '12 West Lake Rd', city: 'Hangzhou', province: 'Zhejiang', zip: '310000' },
          shipping_address: '12 West Lake Rd, Hangzhou',
          age: 34,
          city: 'Hangzhou',
          postalCode: '310000',
          latitude: 30.25,
          birthDate: '1991-04-02',
          province: 'Zhejiang',
        },
      }),
    ).toEqual({
      customer: {
        address: 'Zhejiang',
        shipping_address: 'withheld',
        age: '30-35',
        city: WITHHELD,
        postalCode: WITHHELD,
        latitude: WITHHELD,
        birthDate: WITHHELD,
        province: 'Zhejiang',
      },
    });
  });

  it('applies the same rules to JSON fields quoted inside text', () => {
    const quoted =
      '{"userId":"u_1","age":34,"city":"Hangzhou","address":"12 West Lake Rd","province":"Zhejiang","revenue":129}';
    expect(scrubber.text(`could not store ${quoted}`)).toBe(
      `could not store {"userId":"hmac:${key.pseudonym('u_1')}","age":"30-35","city":"${WITHHELD}","address":"withheld","province":"Zhejiang","revenue":129}`,
    );
  });

  it("blanks the pseudonym key's own text wherever it appears, and never serializes the key", () => {
    const line = JSON.stringify(
      { message: `GetSecretValue returned ${KEY_TEXT}`, secret: KEY_TEXT, deps: { key } },
      scrubber.replacer,
    );
    expect(line).not.toContain(KEY_TEXT);
    expect(JSON.parse(line)).toEqual({
      message: `GetSecretValue returned ${WITHHELD}`,
      secret: WITHHELD,
      deps: { key: '[pseudonym key]' },
    });
  });

  it('keeps error class names but withholds a person’s name', () => {
    expect(log({ error: { name: 'ConditionalCheckFailedException' }, customer: { name: 'Zhang Wei' } })).toEqual({
      error: { name: 'ConditionalCheckFailedException' },
      customer: { name: WITHHELD },
    });
  });

  it('blanks addresses, configured people and JSON fields inside text, and only whole words of a name', () => {
    expect(
      createScrubber({ people }).text('mail to Li Na <li.na@example.com> and bob@corp.example; {"orderId": "o_9"}'),
    ).toBe(`mail to ${WITHHELD} <${WITHHELD}> and ${WITHHELD}; {"orderId":"${WITHHELD}"}`);
    expect(scrubber.text('Linaro timed out')).toBe('Linaro timed out');
  });

  it('an error keeps its name and loses personal data from its message and stack', () => {
    const error = Object.assign(new Error('rejected li.na@example.com'), { name: 'MessageRejected' });
    const safe = scrubError(error, scrubber);
    expect([safe.name, safe.message]).toEqual(['MessageRejected', `rejected ${WITHHELD}`]);
    expect(safe.stack).not.toContain('li.na@');
  });
});

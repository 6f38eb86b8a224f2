import { describe, expect, it } from 'vitest';
import { createScrubber, scrubError, WITHHELD } from '#shared/observability/scrub.ts';
import { hashId } from '#shared/privacy/mask.ts';

const scrubber = createScrubber({ people: [{ name: 'Li Na', email: 'li.na@example.com' }] });
const log = (value: unknown) => JSON.parse(JSON.stringify(value, (k, v) => scrubber.replacer(k, v)));

describe('the log scrubber', () => {
  it('hashes user and order ids under any spelling of the key, and withholds contact details and payloads', () => {
    expect(
      log({ userId: 'u_1', user_id: 'u_1', orderId: 42, email: 'x@y.io', phoneNumber: '123', body: '{}' }),
    ).toEqual({
      userId: `sha256:${hashId('u_1')}`,
      user_id: `sha256:${hashId('u_1')}`,
      orderId: `sha256:${hashId(42)}`,
      email: WITHHELD,
      phoneNumber: WITHHELD,
      body: WITHHELD,
    });
  });

  it('keeps error class names but withholds a person’s name', () => {
    expect(log({ error: { name: 'ConditionalCheckFailedException' }, customer: { name: 'Zhang Wei' } })).toEqual({
      error: { name: 'ConditionalCheckFailedException' },
      customer: { name: WITHHELD },
    });
  });

  it('blanks addresses, configured people and JSON fields inside text, and only whole words of a name', () => {
    expect(scrubber.text('mail to Li Na <li.na@example.com> and bob@corp.example; {"orderId": "o_9"}')).toBe(
      `mail to ${WITHHELD} <${WITHHELD}> and ${WITHHELD}; {"orderId":"${WITHHELD}"}`,
    );
    expect(scrubber.text('Linaro timed out')).toBe('Linaro timed out');
  });

  it('an error keeps its name and loses personal data from its message and stack', () => {
    const error = Object.assign(new Error('rejected li.na@example.com'), { name: 'MessageRejected' });
    const safe = scrubError(error, scrubber);
    expect([safe.name, safe.message]).toEqual(['MessageRejected', `rejected ${WITHHELD}`]);
    expect(safe.stack).not.toContain('li.na@');
  });
});

// Segment calls to envelopes, one call at a time, without a store.
import { describe, expect, it } from 'vitest';
import {
  DERIVED_ID_PREFIX,
  derivedMessageId,
  MAX_CALL_BYTES,
  mapSegmentCall,
  PAGE_EVENT,
  SCREEN_EVENT,
} from '#shared/events/segment.ts';
import { NOW } from './support.ts';

const map = (call: unknown, type?: 'track' | 'page' | 'screen' | 'identify') =>
  mapSegmentCall(call, { receivedAt: NOW, ...(type ? { type } : {}) });
const envelope = (call: unknown, type?: 'track' | 'page') => {
  const mapped = map(call, type);
  if (mapped.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(mapped)}`);
  return JSON.parse(mapped.body) as Record<string, unknown>;
};

describe('mapping a Segment call to the envelope', () => {
  it('a track keeps its messageId, event, ids, timestamp and properties, and nothing else', () => {
    const call = {
      type: 'track',
      messageId: 'm1',
      event: 'Order Completed',
      userId: 'u1',
      anonymousId: 'a1',
      timestamp: '2026-11-22T10:00:00.000Z',
      properties: { revenue: 5 },
      context: { ip: '203.0.113.9' },
      integrations: { All: true },
      _metadata: { nodeVersion: '24' },
    };

    expect(envelope(call)).toEqual({
      messageId: 'm1',
      event: 'Order Completed',
      userId: 'u1',
      anonymousId: 'a1',
      timestamp: '2026-11-22T10:00:00.000Z',
      properties: { revenue: 5 },
    });
  });

  it('a page is "Page Viewed" with its name and category among the properties; a screen "Screen Viewed"', () => {
    const page = {
      type: 'page',
      messageId: 'p',
      name: 'Pricing',
      category: 'Docs',
      properties: { url: 'https://x/p' },
    };
    const screen = { type: 'screen', messageId: 's', name: 'Cart' };

    expect(envelope(page)).toMatchObject({
      event: PAGE_EVENT,
      properties: { url: 'https://x/p', name: 'Pricing', category: 'Docs' },
    });
    expect(envelope(screen)).toMatchObject({ event: SCREEN_EVENT, properties: { name: 'Cart' } });
  });

  it("the endpoint's type wins over the call's own", () => {
    expect(envelope({ type: 'identify', messageId: 'p' }, 'page')).toMatchObject({ event: PAGE_EVENT });
    expect(map({ type: 'track', event: 'X' }, 'identify')).toEqual({ kind: 'profile', type: 'identify' });
  });

  it('identify, group and alias are profile calls: counted, not events', () => {
    for (const type of ['identify', 'group', 'alias'])
      expect(map({ type, userId: 'u' })).toEqual({ kind: 'profile', type });
  });

  it('a missing or unknown type is refused as missing_event, naming the type', () => {
    expect(map({ event: 'X' })).toMatchObject({ kind: 'refused', reason: 'missing_event', detail: /type is missing/ });
    expect(map({ type: 'Track', event: 'X' })).toMatchObject({ reason: 'missing_event', detail: /'Track'/ });
  });

  it('a call that is not an object is refused as not_an_object', () => {
    for (const call of [null, 3, 'track', [{ type: 'track' }]]) {
      expect(map(call)).toMatchObject({ kind: 'refused', reason: 'not_an_object' });
    }
  });

  it('a call over 32 KB of JSON is refused as too_large; one of exactly 32 KB is not', () => {
    const call = (bytes: number) => {
      const c = { type: 'track', messageId: 'm', event: 'E', timestamp: '2026-11-22T10:00:00Z', properties: { p: '' } };
      c.properties.p = 'x'.repeat(bytes - JSON.stringify(c).length);
      return c;
    };

    expect(map(call(MAX_CALL_BYTES)).kind).toBe('event');
    expect(map(call(MAX_CALL_BYTES + 1))).toMatchObject({ kind: 'refused', reason: 'too_large' });
  });

  it('properties nested past what JSON.stringify can walk are refused as too_deep, not a crash', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];

    expect(map({ type: 'track', messageId: 'd', event: 'E', properties: { deep } })).toMatchObject({
      kind: 'refused',
      reason: 'too_deep',
      body: expect.stringContaining('"messageId":"d"'),
    });
  });

  it('numeric ids are sent as strings, as the SDKs have long done; empty and null ids are absent', () => {
    expect(envelope({ type: 'track', messageId: 'n', event: 'E', userId: 42, anonymousId: '' })).toMatchObject({
      userId: '42',
    });
    expect(envelope({ type: 'track', messageId: 'n', event: 'E', userId: null, anonymousId: 'a' })).not.toHaveProperty(
      'userId',
    );
  });

  it("the timestamp is the call's, else its originalTimestamp (RudderStack), else when it arrived", () => {
    const base = { type: 'track', messageId: 'm', event: 'E' };

    expect(envelope({ ...base, timestamp: 'T1', originalTimestamp: 'T2' }).timestamp).toBe('T1');
    expect(envelope({ ...base, originalTimestamp: 'T2' }).timestamp).toBe('T2');
    expect(envelope(base).timestamp).toBe(new Date(NOW).toISOString());
  });

  it('a derived messageId depends on the call, not on when or with which key it was sent', () => {
    const call = { event: 'E', userId: 'u', timestamp: '2026-11-22T10:00:00Z' };

    const a = derivedMessageId('track', { ...call, sentAt: '2026-11-22T10:00:01Z', writeKey: 'k1' });
    const b = derivedMessageId('track', { ...call, sentAt: '2026-11-22T10:05:00Z' });

    expect(a).toBe(b);
    expect(a.startsWith(DERIVED_ID_PREFIX)).toBe(true);
    expect(derivedMessageId('page', call)).not.toBe(a);
    expect(derivedMessageId('track', { ...call, userId: 'v' })).not.toBe(a);
  });
});

import { describe, expect, it } from 'vitest';
import { collect, type Item, PutManyError } from '#shared/store/store.ts';
import { freshStore } from '../support/dynamo.ts';

describe('DynamoDB state store (DynamoDB Local)', () => {
  it('reads back what it wrote', async () => {
    const { store } = await freshStore();
    await store.put('state', { pk: 'KPI#dau', sk: '2026-11-22', value: 42 });
    expect(await store.get('state', 'KPI#dau', '2026-11-22')).toMatchObject({ value: 42 });
    expect(await store.get('state', 'KPI#dau', '2026-11-23')).toBeUndefined();
  });

  it('a put-if-absent succeeds once and refuses the second write', async () => {
    const { store } = await freshStore();
    const item = { pk: 'DELIVERY#daily', sk: 'a@example.com', sentAt: 1 };
    expect(await store.put('state', item, { ifAbsent: true })).toBe(true);
    expect(await store.put('state', { ...item, sentAt: 2 }, { ifAbsent: true })).toBe(false);
    expect(await store.get('state', item.pk, item.sk)).toMatchObject({ sentAt: 1 });
  });

  it('a versioned put refuses a writer that read an older version', async () => {
    const { store } = await freshStore();
    const key = { pk: 'INCIDENT#dau', sk: 'open' };
    expect(await store.put('state', { ...key, version: 1 }, { ifVersion: 0 })).toBe(true);
    expect(await store.put('state', { ...key, version: 2 }, { ifVersion: 1 })).toBe(true);
    expect(await store.put('state', { ...key, version: 2 }, { ifVersion: 1 })).toBe(false);
  });

  it('writing the same keys twice in bulk leaves one item per key', async () => {
    const { store } = await freshStore();
    const items = Array.from({ length: 60 }, (_, i) => ({
      pk: 'EV#2026-11-22#0',
      sk: `m${String(i).padStart(3, '0')}`,
    }));
    await store.putMany('events', items);
    await store.putMany('events', items);
    expect(await collect(store.query('events', 'EV#2026-11-22#0'))).toHaveLength(60);
    expect(store.usage().writeUnits).toBeGreaterThanOrEqual(120);
  });

  it('queries page through a partition larger than one 1 MB page, by prefix and range', async () => {
    const { store } = await freshStore();
    const pad = 'x'.repeat(9000);
    const items = Array.from({ length: 150 }, (_, i) => ({ pk: 'P', sk: `k${String(i).padStart(3, '0')}`, pad }));
    await store.putMany('state', items);
    expect(await collect(store.query('state', 'P'))).toHaveLength(150);
    expect(await collect(store.query('state', 'P', { prefix: 'k14' }))).toHaveLength(10);
    const range = await collect(store.query('state', 'P', { from: 'k010', to: 'k019', newestFirst: true }));
    expect(range.map((i) => i.sk)).toEqual(Array.from({ length: 10 }, (_, i) => `k0${19 - i}`));
    expect(await collect(store.query('state', 'P', { limit: 3 }))).toHaveLength(3);
  });

  it('a range open at one end reads up to, or on from, its one bound', async () => {
    const { store } = await freshStore();
    await store.putMany(
      'state',
      ['a', 'b', 'c', 'd'].map((sk) => ({ pk: 'P', sk })),
    );

    const upTo = await collect(store.query('state', 'P', { to: 'b', newestFirst: true }));
    const onFrom = await collect(store.query('state', 'P', { from: 'c' }));

    expect(upTo.map((i) => i.sk)).toEqual(['b', 'a']);
    expect(onFrom.map((i) => i.sk)).toEqual(['c', 'd']);
  });
});

describe('bulk writes: one bad item keeps no neighbour out', () => {
  const items = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ pk: 'EV#2026-11-22#0', sk: `m${String(i).padStart(2, '0')}`, p: { i } }));
  const refusal = async (write: Promise<void>): Promise<PutManyError> => {
    const error = await write.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PutManyError);
    return error as PutManyError;
  };

  it('items DynamoDB refuses (nesting past 32 levels, an empty attribute name, 1e-200) are named; the other 22 are written', async () => {
    const { store } = await freshStore();
    const batch: Item[] = items(25);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = { a: deep };
    batch[3] = { ...batch[3]!, p: deep };
    batch[12] = { ...batch[12]!, p: { '': 1 } };
    batch[24] = { ...batch[24]!, p: 1e-200 };

    const error = await refusal(store.putMany('events', batch));

    expect(error.refused.map((r) => r.item.sk)).toEqual(['m03', 'm12', 'm24']);
    expect(error.refused[0]?.message).toMatch(/nest/i);
    expect(error.unwritten).toEqual([]);
    expect((await collect(store.query('events', 'EV#2026-11-22#0'))).map((i) => i.sk)).toHaveLength(22);
  });

  it('items the SDK cannot marshal (Infinity, 2^60) are refused before any request; the others are written', async () => {
    const { store } = await freshStore();
    const batch: Item[] = items(30);
    batch[1] = { ...batch[1]!, p: Number.POSITIVE_INFINITY };
    batch[27] = { ...batch[27]!, p: 2 ** 60 };

    const error = await refusal(store.putMany('events', batch));

    expect(error.refused.map((r) => r.item.sk)).toEqual(['m01', 'm27']);
    expect(error.refused[0]?.message).toContain('Infinity');
    expect(await collect(store.query('events', 'EV#2026-11-22#0'))).toHaveLength(28);
  });

  it('two writes of one key in a request are both applied, the later one last', async () => {
    const { store } = await freshStore();
    await store.putMany('events', [
      { pk: 'P', sk: 'k', v: 1 },
      { pk: 'P', sk: 'other', v: 0 },
      { pk: 'P', sk: 'k', v: 2 },
    ]);
    expect(await store.get('events', 'P', 'k')).toMatchObject({ v: 2 });
  });
});

describe('counters', () => {
  it('increments create the counter and add to it', async () => {
    const { store } = await freshStore();
    await store.increment('state', 'STATS#ingest', '2026-11-22', { accepted: 3, 'rejected:bad_json': 1 });
    await store.increment('state', 'STATS#ingest', '2026-11-22', { accepted: 2 });
    expect(await store.get('state', 'STATS#ingest', '2026-11-22')).toMatchObject({
      accepted: 5,
      'rejected:bad_json': 1,
    });
  });
});

import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoLedger } from '#cli/demo/ledger.ts';
import { reconcileTables, runReconciliation } from '#shared/checks/reconcile.ts';
import { PseudonymKey } from '#shared/privacy/pseudonym.ts';
import { clock, createTable, localDynamo, minutesAgo, NOW, putItems, reconciliation } from './support.ts';

const dynamodb = localDynamo();
const pseudonymKey = PseudonymKey.generate();
const pseudonymOf = (id: string) => pseudonymKey.pseudonym(id);
const deps = { dynamodb, clock, pseudonymKey };
const old = minutesAgo(180).toISOString();

interface Pair {
  id: string;
  total?: number;
  paid?: number;
  /** Default: three hours ago; null: no time attribute at all. */
  created?: string | number | null;
  status?: string;
}

/** An orders and a payments table holding the given pairs (a side without an amount has no item). */
async function tables(pairs: Pair[]) {
  const [orders, payments] = await Promise.all([
    createTable(dynamodb, 'orders', 'order_id'),
    createTable(dynamodb, 'payments', 'order_id'),
  ]);
  await putItems(
    orders,
    pairs
      .filter((p) => p.total !== undefined)
      .map((p) => ({
        order_id: p.id,
        total_amount: p.total,
        ...(p.created === null ? {} : { created_at: p.created ?? old }),
        ...(p.status ? { status: p.status } : {}),
      })),
  );
  await putItems(
    payments,
    pairs.filter((p) => p.paid !== undefined).map((p) => ({ order_id: p.id, paid_amount: p.paid })),
  );
  return reconciliation({
    left: { table: orders, key: 'order_id', amount: 'total_amount', timeAttribute: 'created_at' },
    right: { table: payments, key: 'order_id', amount: 'paid_amount' },
    tolerance: 0.005,
    olderThanMinutes: 60,
    maxExamples: 10,
  });
}

const matching = (n: number, prefix = 'o_'): Pair[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i}`, total: 10 + i, paid: 10 + i }));

describe('reconciliation of two DynamoDB tables (DynamoDB Local)', () => {
  it('passes when every order has a payment of the same amount', async () => {
    const rec = await tables(matching(40));

    const result = await runReconciliation(rec, deps);

    expect(result).toMatchObject({ status: 'pass', kind: 'reconciliation', checkId: 'orders_payments' });
    expect(result.figures).toMatchObject({ matched: 40, mismatched: 0, missingLeft: 0, missingRight: 0, pairs: 40 });
    expect(result.examples).toEqual([]);
    expect(result.summary).toMatch(/agree: 40 pairs matched$/);
  });

  it('counts keys whose amounts differ and shows them with masked ids only', async () => {
    const rec = await tables([
      ...matching(20),
      { id: 'o_bad1', total: 129, paid: 120 },
      { id: 'o_bad2', total: 5, paid: 50 },
    ]);

    const result = await runReconciliation(rec, deps);

    expect(result.status).toBe('fail');
    expect(result.figures).toMatchObject({ matched: 20, mismatched: 2 });
    expect(result.summary).toBe('2 keys with different amounts (total_amount vs paid_amount, tolerance 0.005)');
    expect(result.examples).toEqual(
      expect.arrayContaining([
        { problem: 'mismatched', id: pseudonymOf('o_bad1'), left: 129, right: 120 },
        { problem: 'mismatched', id: pseudonymOf('o_bad2'), left: 5, right: 50 },
      ]),
    );
    expect(JSON.stringify(result)).not.toContain('o_bad');
  });

  it('counts an order without a payment as missing right and a payment without an order as missing left', async () => {
    const rec = await tables([
      ...matching(10),
      { id: 'o_unpaid', total: 30 },
      { id: 'o_unpaid2', total: 31 },
      { id: 'o_orphan', paid: 12 },
    ]);

    const result = await runReconciliation(rec, deps);

    expect(result.figures).toMatchObject({
      matched: 10,
      missingRight: 2,
      missingLeft: 1,
      leftItems: 12,
      rightItems: 11,
    });
    expect(result.problems).toEqual([
      `2 in ${rec.left.table} missing from ${rec.right.table}`,
      `1 in ${rec.right.table} missing from ${rec.left.table}`,
    ]);
    expect(result.examples).toContainEqual({ problem: 'missing_left', id: pseudonymOf('o_orphan'), right: 12 });
    expect(result.examples).toContainEqual({ problem: 'missing_right', id: pseudonymOf('o_unpaid'), left: 30 });
  });

  it('treats amounts within the tolerance as equal, and float noise as no difference', async () => {
    const rec = await tables([
      { id: 'within', total: 10.004, paid: 10 },
      { id: 'edge', total: 10.005, paid: 10 },
      { id: 'beyond', total: 10.006, paid: 10 },
      { id: 'float', total: 0.1 + 0.2, paid: 0.3 },
    ]);

    const tolerant = await reconcileTables(rec, deps);
    const exact = await reconcileTables({ ...rec, tolerance: 0 }, deps);

    expect(tolerant.counts).toMatchObject({ matched: 3, mismatched: 1 });
    expect(tolerant.examples).toEqual([{ problem: 'mismatched', id: pseudonymOf('beyond'), left: 10.006, right: 10 }]);
    expect(exact.counts).toMatchObject({ matched: 1, mismatched: 3 });
  });

  it('skips pairs whose order is newer than olderThanMinutes, and judges undated orders', async () => {
    const rec = await tables([
      ...matching(5),
      { id: 'in_flight', total: 20, created: minutesAgo(10).toISOString() },
      { id: 'in_flight_paid_wrong', total: 20, paid: 1, created: minutesAgo(59).toISOString() },
      { id: 'epoch_seconds_old', total: 7, created: Math.floor((NOW - 7_200_000) / 1000) },
      { id: 'epoch_ms_new', total: 8, created: NOW - 60_000 },
      { id: 'undated', total: 9, paid: 9, created: null },
    ]);

    const { counts } = await reconcileTables(rec, deps);

    expect(counts).toMatchObject({ matched: 6, mismatched: 0, missingRight: 1, skippedRecent: 3, undated: 1 });
  });

  it('leaves out items that do not pass a side filter', async () => {
    const rec = await tables([
      { id: 'paid', total: 10, paid: 10, status: 'PAID' },
      { id: 'shipped', total: 11, paid: 11, status: 'SHIPPED' },
      { id: 'cancelled', total: 12, status: 'CANCELLED' },
      { id: 'refund_due', total: 13, paid: 13, status: 'CANCELLED' },
    ]);
    const filtered = { ...rec, left: { ...rec.left, filter: { status: ['PAID', 'SHIPPED'] } } };

    const { counts } = await reconcileTables(filtered, deps);

    expect(counts).toMatchObject({ leftItems: 2, matched: 2, missingRight: 0, missingLeft: 1 });
  });

  it('pairs numeric and string keys and sums the amounts of a key paid in parts', async () => {
    const dynamo = localDynamo();
    const orders = await createTable(dynamo, 'orders', 'order_id');
    const payments = await createTable(dynamo, 'payments', 'payment_id');
    await putItems(orders, [
      { order_id: '41', total_amount: 100 },
      { order_id: '42', total_amount: 50 },
    ]);
    await putItems(payments, [
      { payment_id: 'p1', order_id: 41, paid_amount: 60 },
      { payment_id: 'p2', order_id: 41, paid_amount: 40 },
      { payment_id: 'p3', order_id: 42, paid_amount: '50.00' },
    ]);
    const rec = reconciliation({
      left: { table: orders, key: 'order_id', amount: 'total_amount' },
      right: { table: payments, key: 'order_id', amount: 'paid_amount' },
    });

    const result = await runReconciliation(rec, deps);

    expect(result.figures).toMatchObject({ matched: 2, rightDuplicateKeys: 1, mismatched: 0 });
    expect(result.status).toBe('warn');
    expect(result.summary).toBe(`1 key appear more than once in ${payments}; amounts summed`);
  });

  it('counts an amount that is not a number as a mismatch', async () => {
    const rec = await tables([{ id: 'a', total: 1, paid: 1 }]);
    await putItems(rec.right.table, [{ order_id: 'b', paid_amount: 'n/a' }]);
    await putItems(rec.left.table, [{ order_id: 'b', total_amount: 3, created_at: old }]);

    const result = await runReconciliation(rec, deps);

    expect(result.figures).toMatchObject({ matched: 1, mismatched: 1, unreadableAmounts: 1 });
    expect(result.examples).toEqual([{ problem: 'mismatched', id: pseudonymOf('b'), left: 3, right: 'unreadable' }]);
  });

  it('keeps at most maxExamples, taking each kind of problem in turn, the same on every run', async () => {
    const pairs: Pair[] = [
      ...Array.from({ length: 8 }, (_, i) => ({ id: `m${i}`, total: 1, paid: 2 })),
      ...Array.from({ length: 8 }, (_, i) => ({ id: `r${i}`, total: 1 })),
      { id: 'l0', paid: 3 },
    ];
    const rec = { ...(await tables(pairs)), maxExamples: 5 };

    const first = await reconcileTables(rec, deps, { segments: 3 });
    const second = await reconcileTables(rec, deps, { segments: 1, buckets: 3 });

    expect(first.examples.map((e) => e.problem)).toEqual([
      'mismatched',
      'missing_right',
      'missing_left',
      'mismatched',
      'missing_right',
    ]);
    expect(second.examples).toEqual(first.examples);
    const smallest = pairs
      .filter((p) => p.id.startsWith('m'))
      .map((p) => pseudonymOf(p.id))
      .sort();
    expect(first.examples[0]!.id).toBe(smallest[0]);
  });

  describe('a table larger than one 1 MB scan page', () => {
    const n = 1500;
    let rec: ReturnType<typeof reconciliation>;
    beforeAll(async () => {
      // ~1 KB per item: 1.5 MB a table, so every segment needs more than one page.
      const pad = 'x'.repeat(1000);
      const pairs = matching(n, 'big_');
      rec = await tables(pairs);
      await putItems(
        rec.left.table,
        pairs.map((p) => ({ order_id: p.id, total_amount: p.total, created_at: old, pad })),
      );
      await putItems(rec.right.table, [
        ...pairs.map((p, i) => ({ order_id: p.id, paid_amount: i === 777 ? 0 : p.paid, pad })),
        { order_id: 'big_extra', paid_amount: 1, pad },
      ]);
    }, 120_000);

    it('reads every page of both tables and finds the one mismatch and the one extra payment', async () => {
      const outcome = await reconcileTables(rec, deps, { segments: 1 });

      expect(outcome.counts).toMatchObject({ matched: n - 1, mismatched: 1, missingLeft: 1, leftItems: n });
      expect(outcome.stats.pages).toBeGreaterThan(2);
      expect(outcome.examples).toContainEqual({
        problem: 'mismatched',
        id: pseudonymOf('big_777'),
        left: 787,
        right: 0,
      });
    });

    it('costs about 0.5 read units per 4 KB scanned, not per item (scan, not point lookups)', async () => {
      const outcome = await reconcileTables(rec, deps, { segments: 4 });

      const perPair = outcome.readUnits / n;
      expect(perPair).toBeGreaterThan(0.2);
      expect(perPair).toBeLessThan(0.3);
    });

    it('splits a bucket that holds more than maxBucketItems and still finds the same result', async () => {
      const small = await reconcileTables(rec, deps, { segments: 2, buckets: 1, maxBucketItems: 100 });

      expect(small.stats.splits).toBeGreaterThan(0);
      expect(small.stats.largestBucket).toBeLessThanOrEqual(100);
      expect(small.counts).toMatchObject({ matched: n - 1, mismatched: 1, missingLeft: 1 });
    });
  });

  it('removes its spill files when done', async () => {
    const rec = await tables(matching(30));
    const spillDir = mkdtempSync(join(tmpdir(), 'spill-test-'));

    const outcome = await reconcileTables(rec, deps, { spillDir });

    expect(outcome.stats.spilledBytes).toBeGreaterThan(0);
    expect(existsSync(spillDir) && readdirSync(spillDir)).toEqual([]);
  });

  it('fails, naming the table, when a table does not exist', async () => {
    const rec = await tables(matching(1));
    const missing = { ...rec, right: { ...rec.right, table: 'no-such-payments' } };

    const result = await runReconciliation(missing, deps);

    expect(result).toMatchObject({ status: 'fail', summary: 'table no-such-payments does not exist' });
  });

  it('warns when both tables are empty', async () => {
    const rec = await tables([]);

    const result = await runReconciliation(rec, deps);

    expect(result.status).toBe('warn');
    expect(result.problems).toEqual([`${rec.left.table} and ${rec.right.table} have no items to compare`]);
  });
});

describe('the demo ledger', () => {
  it('reconciles to exactly its planted problems, with in-flight orders left alone', async () => {
    const ledger = demoLedger(NOW);
    const [orders, payments] = await Promise.all([
      createTable(dynamodb, 'orders', 'order_id'),
      createTable(dynamodb, 'payments', 'order_id'),
    ]);
    await Promise.all([putItems(orders, ledger.orders), putItems(payments, ledger.payments)]);
    const rec = reconciliation({
      left: { table: orders, key: 'order_id', amount: 'total_amount', timeAttribute: 'created_at' },
      right: { table: payments, key: 'order_id', amount: 'paid_amount' },
    });

    const { counts, examples } = await reconcileTables(rec, deps);

    const { mismatched, missingPayment, missingOrder, inFlight } = ledger.planted;
    expect(counts).toMatchObject({
      mismatched: mismatched.length,
      missingRight: missingPayment.length,
      missingLeft: missingOrder.length,
      skippedRecent: inFlight.length,
      matched: ledger.orders.length - mismatched.length - missingPayment.length - inFlight.length,
    });
    expect(
      examples
        .filter((e) => e.problem === 'mismatched')
        .map((e) => e.id)
        .sort(),
    ).toEqual(mismatched.map((id) => pseudonymOf(id)).sort());
  });
});

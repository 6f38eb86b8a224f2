import { describe, expect, it } from 'vitest';
import { BackupCheck, Reconciliation } from '#shared/config/schema.ts';

const sides = {
  left: { table: 'orders', key: 'order_id', amount: 'total_amount' },
  right: { table: 'payments', key: 'order_id', amount: 'paid_amount' },
};

describe('check config', () => {
  it('a reconciliation filter takes a value or a list of values per attribute', () => {
    const parsed = Reconciliation.parse({
      id: 'r',
      ...sides,
      left: { ...sides.left, filter: { status: ['PAID', 'SHIPPED'], test: false, region: 7 } },
    });

    expect(parsed.left.filter).toEqual({ status: ['PAID', 'SHIPPED'], test: false, region: 7 });
    expect(parsed.right.filter).toBeUndefined();
  });

  it('a reconciliation filter rejects an empty list, naming the path', () => {
    const result = Reconciliation.safeParse({ id: 'r', ...sides, left: { ...sides.left, filter: { status: [] } } });

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['left', 'filter', 'status']);
  });

  it('an aws_backup check defaults its restore-test limits', () => {
    const parsed = BackupCheck.parse({ id: 'v', kind: 'aws_backup', table: 'orders' });

    expect(parsed).toMatchObject({ restoreTest: false, restoreCountTolerancePct: 5, restoreSampleSize: 20 });
  });
});

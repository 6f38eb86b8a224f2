import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BucketSet,
  forEachRecord,
  keyHash,
  NO_AMOUNT,
  SpillFile,
  splitBucket,
  TOO_RECENT,
} from '#shared/checks/reconcile-spill.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'spill-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('reconciliation spill files', () => {
  it('read back every record, flags, unicode keys and NaN amounts included, across read-buffer boundaries', () => {
    const file = new SpillFile(join(tempDir(), 'f'));
    const n = 90_000; // about 2 MB: the reader's 1 MB buffer refills mid-record
    const expected = (i: number): [number, string, number] => [
      i % 4,
      i % 1000 === 0 ? `订单-${i}-ü` : `order_${String(i).padStart(8, '0')}`,
      i / 7,
    ];
    for (let i = 0; i < n; i++) file.add(...expected(i));
    file.add(NO_AMOUNT | TOO_RECENT, 'nan', Number.NaN);
    file.close();

    let i = 0;
    const wrong: number[] = [];
    let last: [number, string, number] | undefined;
    forEachRecord(file.path, (f, k, a) => {
      if (i < n) {
        const [ef, ek, ea] = expected(i);
        if (f !== ef || k !== ek || a !== ea) wrong.push(i);
      } else last = [f, k, a];
      i++;
    });

    expect(file.bytes).toBeGreaterThan(2_000_000);
    expect(i).toBe(n + 1);
    expect(wrong).toEqual([]);
    expect(last).toEqual([NO_AMOUNT | TOO_RECENT, 'nan', Number.NaN]);
  });

  it('spreads sequential keys evenly over buckets', () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 160_000; i++) counts[keyHash(`o_${String(i).padStart(7, '0')}`, 0) % 16]++;

    expect(Math.min(...counts)).toBeGreaterThan(9_500);
    expect(Math.max(...counts)).toBeLessThan(10_500);
  });

  it('splitting a bucket keeps both sides of a key together in the same smaller bucket', () => {
    const dir = tempDir();
    const set = new BucketSet(dir, 'b', 1, 0);
    for (let i = 0; i < 1000; i++) {
      set.file('left', `k${i}`).add(0, `k${i}`, i);
      set.file('right', `k${i}`).add(0, `k${i}`, -i);
    }
    set.close();

    const parts = splitBucket(set.buckets[0]!, dir, 's', 4, 1);

    for (const bucket of parts.buckets) {
      const left: string[] = [];
      const right: string[] = [];
      forEachRecord(bucket.left.path, (_f, k) => left.push(k));
      forEachRecord(bucket.right.path, (_f, k) => right.push(k));
      expect(right.sort()).toEqual(left.sort());
      expect(left.length).toBeGreaterThan(150);
    }
  });
});

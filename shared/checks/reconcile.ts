// Reconciliation of two DynamoDB tables that must agree (orders.total_amount = payments.paid_amount by order_id):
// the handbook's "orders LEFT JOIN payments ... WHERE total_amount != paid_amount must be empty", both ways.
//
// How it scales: both tables are read by parallel segmented Scans (about 0.025 read units per 200-byte item, where
// a point lookup would cost 0.5), and every item goes, as a ~20-byte record, to the spill file of the bucket its
// key hashes to (a Grace hash join). Both sides of a key land in the same bucket, so buckets are then joined one at
// a time: memory holds one bucket (at most `maxBucketItems` records a side; a bigger one is split again with
// another seed), whatever the table size. Disk use is about 20 bytes per item plus the key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reconciliation } from '#shared/config/schema.ts';
import { type DynamoDBLike, describeLiveTable, type RetryOptions } from '#shared/inspection/aws.ts';
import { type PseudonymKey, pseudonym } from '#shared/privacy/pseudonym.ts';
import { scanSide } from './reconcile-scan.ts';
import {
  type Bucket,
  BucketSet,
  forEachRecord,
  NO_AMOUNT,
  removeBucket,
  splitBucket,
  TOO_RECENT,
} from './reconcile-spill.ts';
import { CheckError, type CheckResult, Findings, MINUTE_MS, type MismatchExample, round } from './result.ts';

export interface ReconcileDeps {
  dynamodb: DynamoDBLike;
  /** Epoch ms; `olderThanMinutes` counts back from it. */
  clock: () => number;
  retry?: RetryOptions;
  /** Key of the examples' pseudonymous ids. @default the process's key (shared/privacy/pseudonym.ts) */
  pseudonymKey?: PseudonymKey;
}

export interface ReconcileOptions {
  /** Parallel Scan segments per table (default 8; both tables are scanned at once). */
  segments?: number;
  /** Hash buckets; default from the tables' estimated item counts, so a bucket holds about maxBucketItems / 2. */
  buckets?: number;
  /** Most records of one side joined in memory at once (default 200,000: about 40 MB). Bigger buckets are split. */
  maxBucketItems?: number;
  /** Where spill files go (default the OS temp dir: /tmp on Lambda, up to 10 GB). Removed afterwards. */
  spillDir?: string;
}

export interface ReconcileCounts {
  leftItems: number;
  rightItems: number;
  /** Keys on both sides with amounts equal within the tolerance. */
  matched: number;
  /** Keys on both sides whose amounts differ (or cannot be read as numbers). */
  mismatched: number;
  /** Keys in the right table that the left one lacks (e.g. a payment without an order). */
  missingLeft: number;
  /** Keys in the left table that the right one lacks (e.g. an order without a payment). */
  missingRight: number;
  /** Keys left out because an item of theirs is newer than `olderThanMinutes` (still in flight). */
  skippedRecent: number;
  unreadableAmounts: number;
  /** Keys held by more than one item of a side; their amounts are summed (an order paid in two parts). */
  leftDuplicateKeys: number;
  rightDuplicateKeys: number;
  /** Items without a readable time attribute; they count as old enough. */
  undated: number;
}

export interface ReconcileOutcome {
  counts: ReconcileCounts;
  examples: MismatchExample[];
  /** Read units both Scans consumed (ReturnConsumedCapacity). */
  readUnits: number;
  stats: {
    buckets: number;
    splits: number;
    /** Records of one side in the largest bucket joined: the memory high-water mark, in records. */
    largestBucket: number;
    spilledBytes: number;
    pages: number;
    scanMs: number;
    joinMs: number;
  };
}

const DEFAULT_SEGMENTS = 8;
const DEFAULT_MAX_BUCKET_ITEMS = 200_000;
const MIN_BUCKETS = 8;
/** Two open files per bucket; Lambda allows 1,024 descriptors. */
const MAX_BUCKETS = 256;
const MAX_SPLIT_DEPTH = 4;

interface Aggregate {
  amount: number;
  flags: number;
  n: number;
}

/** Compares two tables as the reconciliation config says; throws CheckError when a table does not exist. */
export async function reconcileTables(
  rec: Reconciliation,
  deps: ReconcileDeps,
  options: ReconcileOptions = {},
): Promise<ReconcileOutcome> {
  const segments = options.segments ?? DEFAULT_SEGMENTS;
  const maxBucketItems = Math.max(1, options.maxBucketItems ?? DEFAULT_MAX_BUCKET_ITEMS);
  const [leftTable, rightTable] = await Promise.all([
    describeLiveTable(deps.dynamodb, rec.left.table, deps.retry),
    describeLiveTable(deps.dynamodb, rec.right.table, deps.retry),
  ]);
  for (const [t, name] of [
    [leftTable, rec.left.table],
    [rightTable, rec.right.table],
  ] as const) {
    if (!t) throw new CheckError(`table ${name} does not exist`);
  }
  const estimate = Math.max(leftTable?.items ?? 0, rightTable?.items ?? 0);
  const bucketCount =
    options.buckets ??
    Math.min(MAX_BUCKETS, Math.max(MIN_BUCKETS, Math.ceil(estimate / Math.max(1, Math.floor(maxBucketItems / 2)))));

  const dir = mkdtempSync(join(options.spillDir ?? tmpdir(), 'nightshift-reconcile-'));
  try {
    const scanStarted = performance.now();
    const set = new BucketSet(dir, 'b', bucketCount, 0);
    const cutoff = deps.clock() - rec.olderThanMinutes * MINUTE_MS;
    let scans: Awaited<ReturnType<typeof scanSide>>[];
    try {
      scans = await Promise.all(
        (['left', 'right'] as const).map((side) =>
          scanSide(rec[side], (flags, key, amount) => set.file(side, key).add(flags, key, amount), {
            dynamodb: deps.dynamodb,
            segments,
            cutoff,
            retry: deps.retry,
          }),
        ),
      );
    } finally {
      set.close();
    }
    const [left, right] = scans as [(typeof scans)[0], (typeof scans)[0]];
    const scanMs = performance.now() - scanStarted;
    const spilledBytes = set.buckets.reduce((s, b) => s + b.left.bytes + b.right.bytes, 0);

    const joinStarted = performance.now();
    const joiner = new Joiner(rec, (key) => pseudonym(key, deps.pseudonymKey));
    joiner.counts.leftItems = left.items;
    joiner.counts.rightItems = right.items;
    joiner.counts.undated = left.undated + right.undated;
    let splits = 0;
    let largestBucket = 0;
    const pending: { bucket: Bucket; depth: number }[] = set.buckets.map((bucket) => ({ bucket, depth: 0 }));
    while (pending.length > 0) {
      const { bucket, depth } = pending.pop()!;
      const size = Math.max(bucket.left.records, bucket.right.records);
      if (size > maxBucketItems && depth < MAX_SPLIT_DEPTH) {
        const parts = Math.min(MAX_BUCKETS, Math.ceil(size / Math.max(1, Math.floor(maxBucketItems / 2))));
        const sub = splitBucket(bucket, dir, `s${splits++}`, Math.max(2, parts), depth + 1);
        pending.push(...sub.buckets.map((b) => ({ bucket: b, depth: depth + 1 })));
        continue;
      }
      largestBucket = Math.max(largestBucket, size);
      joiner.bucket(bucket);
      removeBucket(bucket);
    }

    return {
      counts: joiner.counts,
      examples: joiner.examples(),
      readUnits: left.readUnits + right.readUnits,
      stats: {
        buckets: bucketCount,
        splits,
        largestBucket,
        spilledBytes,
        pages: left.pages + right.pages,
        scanMs: Math.round(scanMs),
        joinMs: Math.round(performance.now() - joinStarted),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Joins buckets one at a time, counting and keeping the examples. */
class Joiner {
  readonly counts: ReconcileCounts = {
    leftItems: 0,
    rightItems: 0,
    matched: 0,
    mismatched: 0,
    missingLeft: 0,
    missingRight: 0,
    skippedRecent: 0,
    unreadableAmounts: 0,
    leftDuplicateKeys: 0,
    rightDuplicateKeys: 0,
    undated: 0,
  };
  private readonly tolerance: number;
  private readonly keep: ExampleKeeper;

  constructor(rec: Reconciliation, pseudonymize: (key: string) => string) {
    this.tolerance = rec.tolerance;
    this.keep = new ExampleKeeper(rec.maxExamples, pseudonymize);
  }

  bucket(bucket: Bucket): void {
    const left = this.aggregate(bucket.left.path, 'leftDuplicateKeys');
    const right = this.aggregate(bucket.right.path, 'rightDuplicateKeys');
    const c = this.counts;
    for (const [key, l] of left) {
      const r = right.get(key);
      if (r) right.delete(key);
      if ((l.flags | (r?.flags ?? 0)) & TOO_RECENT) {
        c.skippedRecent++;
      } else if (!r) {
        c.missingRight++;
        this.keep.offer('missing_right', key, l.amount, undefined);
      } else if ((l.flags | r.flags) & NO_AMOUNT) {
        c.mismatched++;
        c.unreadableAmounts++;
        this.keep.offer('mismatched', key, l.amount, r.amount);
      } else if (agrees(l.amount, r.amount, this.tolerance)) {
        c.matched++;
      } else {
        c.mismatched++;
        this.keep.offer('mismatched', key, l.amount, r.amount);
      }
    }
    for (const [key, r] of right) {
      if (r.flags & TOO_RECENT) {
        c.skippedRecent++;
      } else {
        c.missingLeft++;
        this.keep.offer('missing_left', key, undefined, r.amount);
      }
    }
  }

  examples(): MismatchExample[] {
    return this.keep.pick();
  }

  private aggregate(path: string, duplicates: 'leftDuplicateKeys' | 'rightDuplicateKeys'): Map<string, Aggregate> {
    const map = new Map<string, Aggregate>();
    forEachRecord(path, (flags, key, amount) => {
      const seen = map.get(key);
      if (!seen) {
        map.set(key, { amount, flags, n: 1 });
        return;
      }
      if (seen.n === 1) this.counts[duplicates]++;
      seen.amount += amount;
      seen.flags |= flags;
      seen.n++;
    });
    return map;
  }
}

/** Equal within the tolerance, plus a relative epsilon so binary float noise (0.1 + 0.2) never counts. */
export function agrees(a: number, b: number, tolerance: number): boolean {
  return Math.abs(a - b) <= tolerance + 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Keeps, per problem, the examples with the smallest masked ids: the choice does not depend on scan order, so two
 * runs over the same data (or the partial results of a fan-out) agree on their examples.
 */
class ExampleKeeper {
  private readonly max: number;
  private readonly kept: Record<MismatchExample['problem'], MismatchExample[]> = {
    mismatched: [],
    missing_right: [],
    missing_left: [],
  };

  private readonly pseudonymize: (key: string) => string;

  constructor(max: number, pseudonymize: (key: string) => string) {
    this.max = max;
    this.pseudonymize = pseudonymize;
  }

  offer(problem: MismatchExample['problem'], key: string, left: number | undefined, right: number | undefined): void {
    if (this.max === 0) return;
    const list = this.kept[problem];
    const id = this.pseudonymize(key);
    if (list.length >= this.max && id >= list[list.length - 1]!.id) return;
    const example: MismatchExample = { problem, id };
    if (left !== undefined) example.left = shown(left);
    if (right !== undefined) example.right = shown(right);
    let at = list.length;
    while (at > 0 && list[at - 1]!.id > id) at--;
    list.splice(at, 0, example);
    if (list.length > this.max) list.pop();
  }

  /** Up to `max` examples, taking each problem in turn so a rare kind is not crowded out by a common one. */
  pick(): MismatchExample[] {
    const lists = [this.kept.mismatched, this.kept.missing_right, this.kept.missing_left];
    const out: MismatchExample[] = [];
    for (let i = 0; out.length < this.max && lists.some((l) => i < l.length); i++) {
      for (const list of lists) if (i < list.length && out.length < this.max) out.push(list[i]!);
    }
    return out;
  }
}

function shown(amount: number): number | string {
  return Number.isNaN(amount) ? 'unreadable' : round(amount, 6);
}

/** Runs one configured reconciliation as a check: fails when any key disagrees or is missing on a side. */
export async function runReconciliation(
  rec: Reconciliation,
  deps: ReconcileDeps,
  options: ReconcileOptions = {},
): Promise<CheckResult> {
  const started = performance.now();
  const findings = new Findings();
  const { left, right } = rec;
  findings.set({ leftTable: left.table, rightTable: right.table });
  let outcome: ReconcileOutcome;
  try {
    outcome = await reconcileTables(rec, deps, options);
  } catch (error) {
    if (!(error instanceof CheckError)) throw error;
    findings.fail(error.message);
    return findings.result(rec.id, 'reconciliation', '', Math.round(performance.now() - started));
  }
  const c = outcome.counts;
  const pairs = c.matched + c.mismatched + c.missingLeft + c.missingRight + c.skippedRecent;
  findings.set({
    ...c,
    pairs,
    readUnits: round(outcome.readUnits, 1),
    readUnitsPerPair: pairs > 0 ? round(outcome.readUnits / pairs, 4) : 0,
    tolerance: rec.tolerance,
    olderThanMinutes: rec.olderThanMinutes,
    buckets: outcome.stats.buckets,
    spilledBytes: outcome.stats.spilledBytes,
  });

  const what = `${left.amount} vs ${right.amount}`;
  if (c.mismatched > 0) {
    findings.fail(
      `${c.mismatched} ${plural(c.mismatched, 'key')} with different amounts (${what}, tolerance ${rec.tolerance})`,
    );
  }
  if (c.missingRight > 0) {
    findings.fail(`${c.missingRight} in ${left.table} missing from ${right.table}`);
  }
  if (c.missingLeft > 0) {
    findings.fail(`${c.missingLeft} in ${right.table} missing from ${left.table}`);
  }
  if (c.unreadableAmounts > 0) {
    findings.warn(`${c.unreadableAmounts} ${plural(c.unreadableAmounts, 'key')} with an amount that is not a number`);
  }
  for (const [count, table] of [
    [c.leftDuplicateKeys, left.table],
    [c.rightDuplicateKeys, right.table],
  ] as const) {
    if (count > 0) findings.warn(`${count} ${plural(count, 'key')} appear more than once in ${table}; amounts summed`);
  }
  if (c.leftItems + c.rightItems === 0) findings.warn(`${left.table} and ${right.table} have no items to compare`);

  const result = findings.result(
    rec.id,
    'reconciliation',
    `${left.table} and ${right.table} agree: ${c.matched} ${plural(c.matched, 'pair')} matched` +
      (c.skippedRecent > 0 ? `, ${c.skippedRecent} too recent to judge` : ''),
    Math.round(performance.now() - started),
  );
  result.examples = outcome.examples;
  return result;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}

// Hash-partitioned spill files for the reconciliation (a Grace hash join). Each scanned item becomes one small
// binary record in the bucket file its key hashes to, one file set per side; a bucket is later joined alone, so
// memory holds one bucket, never a table. A bucket that comes out larger than the limit is split again with
// another hash seed before it is joined.
import { closeSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { CheckError } from './result.ts';

/** Record flags. */
export const TOO_RECENT = 1;
export const NO_AMOUNT = 2;

export type RecordVisitor = (flags: number, key: string, amount: number) => void;

const WRITE_BUFFER = 32 * 1024;
const READ_BUFFER = 1024 * 1024;
const MAX_KEY_BYTES = 0xffff;
// flags (u8) + key length (u16) + amount (f64), then the key's UTF-8 bytes.
const HEADER = 1 + 2 + 8;

/** FNV-1a over UTF-16 code units with murmur3's finaliser, so sequential ids spread evenly; `seed` picks a family. */
export function keyHash(key: string, seed: number): number {
  let h = (0x811c9dc5 ^ Math.imul(seed, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** An append-only file of records with a small write buffer. */
export class SpillFile {
  readonly path: string;
  records = 0;
  bytes = 0;
  private fd: number;
  private buffer = Buffer.allocUnsafe(WRITE_BUFFER);
  private used = 0;

  constructor(path: string) {
    this.path = path;
    this.fd = openSync(path, 'w');
  }

  add(flags: number, key: string, amount: number): void {
    const keyBytes = Buffer.byteLength(key, 'utf8');
    if (keyBytes > MAX_KEY_BYTES) throw new CheckError(`a key of ${keyBytes} bytes is too long to reconcile`);
    const size = HEADER + keyBytes;
    if (this.used + size > this.buffer.length) {
      this.flush();
      if (size > this.buffer.length) this.buffer = Buffer.allocUnsafe(size);
    }
    const b = this.buffer;
    let at = this.used;
    b[at] = flags;
    b.writeUInt16LE(keyBytes, at + 1);
    b.writeDoubleLE(amount, at + 3);
    at += HEADER;
    b.write(key, at, keyBytes, 'utf8');
    this.used = at + keyBytes;
    this.records++;
    this.bytes += size;
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buffer, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** Calls `visit` for every record of a file, reading it 1 MB at a time. */
export function forEachRecord(path: string, visit: RecordVisitor): void {
  const fd = openSync(path, 'r');
  try {
    let buffer = Buffer.allocUnsafe(READ_BUFFER);
    let filled = 0;
    for (;;) {
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      filled += read;
      let at = 0;
      while (at + HEADER <= filled) {
        const keyBytes = buffer.readUInt16LE(at + 1);
        const end = at + HEADER + keyBytes;
        if (end > filled) break;
        visit(buffer[at]!, buffer.toString('utf8', at + HEADER, end), buffer.readDoubleLE(at + 3));
        at = end;
      }
      if (read === 0) {
        if (at !== filled) throw new CheckError(`spill file ${path} ends inside a record`);
        return;
      }
      buffer.copy(buffer, 0, at, filled);
      filled -= at;
      if (filled === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** One bucket: the records of both sides whose keys hash to it. */
export interface Bucket {
  left: SpillFile;
  right: SpillFile;
}

/** A set of buckets for both sides under one directory; `route` sends a record to the file of its key's bucket. */
export class BucketSet {
  readonly buckets: Bucket[];
  readonly seed: number;

  constructor(dir: string, name: string, count: number, seed: number) {
    this.seed = seed;
    this.buckets = Array.from({ length: count }, (_, i) => ({
      left: new SpillFile(join(dir, `${name}-${i}.left`)),
      right: new SpillFile(join(dir, `${name}-${i}.right`)),
    }));
  }

  file(side: 'left' | 'right', key: string): SpillFile {
    return this.buckets[keyHash(key, this.seed) % this.buckets.length]![side];
  }

  close(): void {
    for (const b of this.buckets) {
      b.left.close();
      b.right.close();
    }
  }
}

/** Re-partitions one bucket into `count` smaller ones with the next hash seed, and deletes the original files. */
export function splitBucket(bucket: Bucket, dir: string, name: string, count: number, seed: number): BucketSet {
  const set = new BucketSet(dir, name, count, seed);
  try {
    for (const side of ['left', 'right'] as const) {
      forEachRecord(bucket[side].path, (flags, key, amount) => set.file(side, key).add(flags, key, amount));
    }
  } finally {
    set.close();
  }
  removeBucket(bucket);
  return set;
}

export function removeBucket(bucket: Bucket): void {
  rmSync(bucket.left.path, { force: true });
  rmSync(bucket.right.path, { force: true });
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

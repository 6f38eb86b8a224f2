// Small robust-statistics building blocks for the deviation engine: a sliding window that keeps its values sorted
// (so its median is O(1) to read) and plain median helpers. Everything is plain arrays so state stays JSON-able.

/** A FIFO window of at most `capacity` values, kept sorted alongside so quantiles are cheap. */
export interface SortedWindow {
  capacity: number;
  /** Values in arrival order (oldest first). */
  fifo: number[];
  /** The same values, ascending. */
  sorted: number[];
}

export function createSortedWindow(capacity: number): SortedWindow {
  return { capacity, fifo: [], sorted: [] };
}

/** Index of the first element >= v in an ascending array. */
export function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds a value, evicting the oldest once the window is full. */
export function pushWindow(w: SortedWindow, v: number): void {
  if (w.fifo.length >= w.capacity) {
    const old = w.fifo.shift() as number;
    w.sorted.splice(lowerBound(w.sorted, old), 1);
  }
  w.fifo.push(v);
  w.sorted.splice(lowerBound(w.sorted, v), 0, v);
}

/** Linear-interpolated quantile of an ascending array; NaN when empty. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, n - 1)] as number;
  return a + (b - a) * (pos - lo);
}

export function windowMedian(w: SortedWindow): number {
  return quantileSorted(w.sorted, 0.5);
}

/** Median of a small unsorted list (copied, not mutated); NaN when empty. */
export function median(values: readonly number[]): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

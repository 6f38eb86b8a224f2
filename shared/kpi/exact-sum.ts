// Order-independent floating-point sum: keeps the running total as non-overlapping partials (Shewchuk),
// so the result is the exact sum of the inputs rounded once, the same whatever order events arrive in.

export class ExactSum {
  private readonly partials: number[] = [];

  /** Adds a finite number; callers filter out NaN and infinities. */
  add(x: number): void {
    const p = this.partials;
    let kept = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j]!;
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) p[kept++] = lo;
      x = hi;
    }
    p.length = kept;
    p.push(x);
  }

  /**
   * The non-overlapping partials whose exact sum is the running total: what a day summary keeps, so sums merged
   * over days round once, exactly as the sum of every event would.
   */
  parts(): readonly number[] {
    return this.partials;
  }

  /** Adds the exact total of another sum (its partials). */
  addParts(parts: readonly number[]): void {
    for (const x of parts) this.add(x);
  }

  /** The correctly rounded sum (Python's math.fsum final step, including round-half-even across partials). */
  value(): number {
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n]!;
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n]!;
      hi = x + y;
      lo = y - (hi - x);
      if (lo !== 0) break;
    }
    // A half-way `lo` is rounded by the partials below it, which decide its direction.
    const below = p[n - 1];
    if (n > 0 && below !== undefined && ((lo < 0 && below < 0) || (lo > 0 && below > 0))) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
    return hi;
  }
}

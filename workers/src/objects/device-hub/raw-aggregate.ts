import type { Aggregation } from '../../../../schema/wire/history.ts';
import type { BlockMeta } from './blocks.ts';

/**
 * SUM and AVG as SQLite (3.43 and later) computes them over REAL values: Kahan-Babuska-Neumaier
 * compensated summation. Sums over decoded blocks then match, bit for bit, what the same query
 * gave when every sample was a row, provided values are added in the same (ascending ts) order.
 */
export class SqliteSum {
  private sum = 0;
  private err = 0;

  add(value: number): void {
    const s = this.sum;
    const t = s + value;
    if (Math.abs(s) > Math.abs(value)) this.err += s - t + value;
    else this.err += value - t + s;
    this.sum = t;
  }

  /** The final sum; SQLite drops the error term once it overflowed. */
  get value(): number {
    return Number.isFinite(this.err) ? this.sum + this.err : this.sum;
  }
}

/**
 * Count, SQLite's sum, min, max and last of values added in ts order: a history bucket, a stats
 * range, or a block's summary row.
 */
export class RawAggregate {
  count = 0;
  readonly sum = new SqliteSum();
  min = Infinity;
  max = -Infinity;
  last = 0;

  add(value: number): void {
    this.count++;
    this.sum.add(value);
    // Strict comparisons keep the first of equal values, as SQLite's MIN and MAX do.
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.last = value;
  }

  /** A whole block's summary; its sum joins as one term, so sum and mean may differ in the last bits. */
  addBlock(b: BlockMeta): void {
    this.count += b.count;
    this.sum.add(b.sum);
    if (b.min < this.min) this.min = b.min;
    if (b.max > this.max) this.max = b.max;
    this.last = b.last;
  }

  value(agg: Aggregation): number {
    switch (agg) {
      case 'mean':
        return this.sum.value / this.count;
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'sum':
        return this.sum.value;
      case 'count':
        return this.count;
      case 'last':
        return this.last;
    }
  }
}

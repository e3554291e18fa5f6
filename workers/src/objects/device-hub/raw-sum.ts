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

import type { HistoryPoint } from '../../../schema/wire/telemetry.ts';

/**
 * Points of one series within a rolling time window, kept sorted by time with one point per
 * timestamp, in the column form uPlot draws (x in seconds).
 */
export class SeriesWindow {
  readonly windowMs: number;
  #ts: number[] = [];
  #values: number[] = [];

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  get size(): number {
    return this.#ts.length;
  }

  /** The oldest point, or undefined while empty. */
  get first(): HistoryPoint | undefined {
    return this.#ts.length === 0 ? undefined : { ts: this.#ts[0]!, value: this.#values[0]! };
  }

  /** The newest point, or undefined while empty. */
  get last(): HistoryPoint | undefined {
    const i = this.#ts.length - 1;
    return i < 0 ? undefined : { ts: this.#ts[i]!, value: this.#values[i]! };
  }

  clear(): void {
    this.#ts = [];
    this.#values = [];
  }

  /** Adds points in any order; a point at an existing timestamp replaces it. Returns true if anything changed. */
  add(points: Iterable<HistoryPoint>): boolean {
    let changed = false;
    for (const p of points) {
      if (!Number.isFinite(p.ts) || !Number.isFinite(p.value)) continue;
      const n = this.#ts.length;
      if (n === 0 || p.ts > this.#ts[n - 1]!) {
        this.#ts.push(p.ts);
        this.#values.push(p.value);
      } else {
        const i = lowerBound(this.#ts, p.ts);
        if (this.#ts[i] === p.ts) this.#values[i] = p.value;
        else {
          this.#ts.splice(i, 0, p.ts);
          this.#values.splice(i, 0, p.value);
        }
      }
      changed = true;
    }
    if (changed) this.#trim();
    return changed;
  }

  /** Drops points older than the window, measured back from `now` (or the newest point). */
  #trim(now = this.last?.ts ?? 0): void {
    const cut = lowerBound(this.#ts, now - this.windowMs);
    if (cut > 0) {
      this.#ts.splice(0, cut);
      this.#values.splice(0, cut);
    }
  }

  /** Slides the window to `now` even when no point arrived, so a silent device's line scrolls away. */
  advance(now: number): boolean {
    const before = this.#ts.length;
    this.#trim(now);
    return this.#ts.length !== before;
  }

  /** `[x seconds, y]` columns for uPlot; fresh arrays, since uPlot keeps a reference. */
  columns(): [number[], number[]] {
    return [this.#ts.map((t) => t / 1000), this.#values.slice()];
  }
}

/** First index whose value is ≥ `x` in a sorted array. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One thing a trend log reads: a controller's entry (a point, a register, a BACnet object). */
export interface TrendEntry<T> {
  controller: string;
  /** Identifies the entry within its controller (`IN1`, a register's name, `analog-input:3`). */
  key: string;
  value: T;
  intervalMs: number;
}

/**
 * Groups trend-log entries by controller, then by interval, each entry once, at the shortest
 * interval of the trend logs naming it. Intervals come shortest first. Shared by the Modbus and
 * the BACnet planners, so both read an entry named twice at the faster rate only.
 */
export function byShortestInterval<T>(entries: Iterable<TrendEntry<T>>): Map<string, [number, T[]][]> {
  const shortest = new Map<string, Map<string, TrendEntry<T>>>();
  for (const e of entries) {
    let keyed = shortest.get(e.controller);
    if (!keyed) shortest.set(e.controller, (keyed = new Map()));
    const had = keyed.get(e.key);
    if (!had || e.intervalMs < had.intervalMs) keyed.set(e.key, e);
  }
  const plan = new Map<string, [number, T[]][]>();
  for (const [controller, keyed] of shortest) {
    const byInterval = new Map<number, T[]>();
    for (const e of keyed.values()) {
      let list = byInterval.get(e.intervalMs);
      if (!list) byInterval.set(e.intervalMs, (list = []));
      list.push(e.value);
    }
    plan.set(
      controller,
      [...byInterval].sort(([a], [b]) => a - b),
    );
  }
  return plan;
}

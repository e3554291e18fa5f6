/**
 * Usage counters of this isolate, for the capacity model (`npm run bench -- capacity`,
 * docs/capacity.md): D1 round trips, statements, rows and the database's own time, and calls
 * into each Durable Object class, by who made them. Off unless the `METER` setting is true,
 * and then only wrapped bindings count (metered-env.ts); module state, so under `wrangler dev`,
 * where the Worker and its objects share one isolate, one snapshot covers all of them.
 */

/** Counter name → value; names are `<part>.<what>[.<detail>]`, e.g. `d1.statements.DeviceHub`. */
const counters = new Map<string, number>();
// Set at the first count: at module scope, before any request, the Workers clock reads 0.
let since: number | undefined;

export function count(name: string, by = 1): void {
  since ??= Date.now();
  counters.set(name, (counters.get(name) ?? 0) + by);
}

/** A level rather than a total (the last value set wins), e.g. D1's size after a write. */
export function gauge(name: string, value: number): void {
  since ??= Date.now();
  counters.set(name, value);
}

export interface MeterSnapshot {
  /** When counting started (ms since the epoch): the isolate's start or the last reset. */
  since: number;
  at: number;
  counters: Record<string, number>;
}

export function snapshot(reset = false): MeterSnapshot {
  const at = Date.now();
  const out = {
    since: since ?? at,
    at,
    counters: Object.fromEntries([...counters].sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  if (reset) {
    counters.clear();
    since = at;
  }
  return out;
}

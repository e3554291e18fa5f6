/** What the query benchmark loads and asks, shared by its Edgewatch and VictoriaMetrics halves. */
import type { Dataset } from './dataset.ts';
import type { PointMap } from './points.ts';
import type { Timed } from './timing.ts';

const HOUR = 3_600_000;
// Overridable for quick trial runs; the documented figures use the default.
export const RUNS = Number(process.env.BENCH_QUERY_RUNS ?? 20);
/** Rows timed at workerd's own socket (worker-socket.ts); goals.ts finds them by this name. */
export const DIRECT = "Edgewatch at workerd's socket";

/**
 * Node's fetch asks for gzip, and both systems compress their answers then: VictoriaMetrics in
 * its own process, Edgewatch under wrangler dev in miniflare's entry Worker, which does what
 * Cloudflare's edge does in front of a deployed Worker, on the Worker's own thread (about 10 ms
 * of the 24 h read's 25 ms, measured with one-off timings on 2026-12-03). The reads timed again
 * with this header show both systems without it.
 */
export const UNCOMPRESSED = { 'accept-encoding': 'identity' };
/** The suffix inside a row's shape for those reads: `(raw 24 h, step=10s, uncompressed)`. */
export const UNCOMPRESSED_SHAPE = ', uncompressed';

export interface QueryPlan {
  /** One series, 24 h at 10 s: 8,640 samples. */
  raw: Dataset;
  /** 100 series, 30 days at 5 min: 8,640 samples each, one series per device (see below). */
  month: Dataset;
  /** The 720 whole hours `month` covers: [from, to). */
  monthFrom: number;
  monthTo: number;
}

export function queryPlan(now = Date.now()): QueryPlan {
  const hour = Math.floor(now / HOUR) * HOUR;
  const monthFrom = hour - 721 * HOUR;
  return {
    // Ends an hour before now: every sample is in the past and its hour is complete.
    raw: { name: 'qraw', devices: 1, seriesPerDevice: 1, start: hour - 25 * HOUR, intervalMs: 10_000, points: 8_640 },
    // One series per device: each DeviceHub flushes a bounded number of dirty minutes per alarm
    // (2,000 every 15 s), so 8,640 minutes per device are in D1 within about a minute.
    // Samples sit 30 s into their 5-minute slot, never on an hour boundary, where the two
    // systems' buckets ([b, b+1h) and (t-1h, t]) would disagree about a sample.
    month: {
      name: 'q30',
      devices: 100,
      seriesPerDevice: 1,
      start: monthFrom + 30_000,
      intervalMs: 300_000,
      points: 8_640,
    },
    monthFrom,
    monthTo: monthFrom + 720 * HOUR,
  };
}

/** One timed query and what it returned. */
export interface Measured {
  timed: Timed;
  points: PointMap;
  /** Edgewatch's `source` (raw, 1m, 1h, 1d), or the VM query. */
  source: string;
}

/**
 * Host-like samples for ingest benchmarks. Every system under test gets byte-for-byte the same
 * samples: batch `i` of sender `s` is a pure function of (s, i, variant), so a run can be
 * replayed against a peer with exactly the batches Edgewatch accepted.
 */

export interface Sample {
  metric: string;
  ts: number;
  value: number;
  labels?: Record<string, string>;
}

interface SeriesDef {
  metric: string;
  labels?: Record<string, string>;
}

const each = (metric: string, key: string, values: string[]): SeriesDef[] =>
  values.map((v) => ({ metric, labels: { [key]: v } }));
const plain = (...metrics: string[]): SeriesDef[] => metrics.map((metric) => ({ metric }));

/** 50 series shaped like an agent's host report: some bare, most with one label. */
export const SERIES: SeriesDef[] = [
  ...each('cpu_usage_percent', 'cpu', ['0', '1', '2', '3', '4', '5', '6', '7']),
  ...plain('load1', 'load5', 'load15', 'memory_used_bytes', 'memory_available_bytes', 'swap_used_bytes'),
  ...plain('procs_running', 'procs_total', 'uptime_seconds', 'context_switches_total', 'interrupts_total'),
  ...each('disk_used_bytes', 'mount', ['/', '/var', '/home', '/data']),
  ...each('disk_read_bytes_total', 'device', ['sda', 'sdb', 'nvme0n1', 'nvme1n1']),
  ...each('disk_write_bytes_total', 'device', ['sda', 'sdb', 'nvme0n1', 'nvme1n1']),
  ...each('net_rx_bytes_total', 'iface', ['eth0', 'eth1', 'wlan0', 'lo']),
  ...each('net_tx_bytes_total', 'iface', ['eth0', 'eth1', 'wlan0', 'lo']),
  ...each('net_rx_errors_total', 'iface', ['eth0', 'eth1', 'wlan0', 'lo']),
  ...each('temperature_celsius', 'sensor', ['cpu', 'gpu', 'nvme', 'board']),
  ...each('fs_inodes_used', 'mount', ['/', '/var', '/home']),
];
export const TIMESTAMPS_PER_BATCH = 20;
export const SAMPLES_PER_BATCH = SERIES.length * TIMESTAMPS_PER_BATCH; // 1,000
/** One sample per series per second, like an agent at a 1 s interval. */
const STEP_MS = 1000;
/** Room for this many batches per sender per variant without time ranges overlapping. */
export const MAX_BATCHES_PER_SENDER = 2000;

/** Deterministic, cheap pseudo-random value in [0, 1) so values are not trivially compressible. */
function noise(a: number, b: number): number {
  const x = Math.sin(a * 12.9898 + b * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

/**
 * Batch `index` of `sender` for `variant`. Timestamps start `base` and never overlap between
 * batches, senders' series are distinct per device, and variants use disjoint time ranges
 * (the stores key samples by series and timestamp, so overlaps would be deduplicated).
 */
export function makeBatch(base: number, variant: number, sender: number, index: number): Sample[] {
  const first = base + (variant * MAX_BATCHES_PER_SENDER + index) * TIMESTAMPS_PER_BATCH * STEP_MS;
  const out: Sample[] = [];
  for (let t = 0; t < TIMESTAMPS_PER_BATCH; t++) {
    const ts = first + t * STEP_MS;
    const tick = index * TIMESTAMPS_PER_BATCH + t;
    SERIES.forEach((s, k) => {
      const r = noise(sender * 100 + k, tick);
      // Counters grow, gauges wander: rounded the way agents report them.
      const value = s.metric.endsWith('_total') ? tick * 1000 + Math.round(r * 1000) : Math.round(r * 10000) / 100;
      out.push(s.labels ? { metric: s.metric, ts, value, labels: s.labels } : { metric: s.metric, ts, value });
    });
  }
  return out;
}

/** How far back `base` must be so every variant's timestamps stay in the past. */
export const spanMs = (variants: number) => variants * MAX_BATCHES_PER_SENDER * TIMESTAMPS_PER_BATCH * STEP_MS;

/**
 * The same samples as VictoriaMetrics JSON lines: one line per series with its values and
 * timestamps. The device becomes an `agent` label (not `device`: disk series use that one),
 * since Edgewatch keys series by device implicitly.
 */
export function toVmJsonLines(samples: Sample[], device: string): string {
  const bySeries = new Map<string, { metric: Record<string, string>; values: number[]; timestamps: number[] }>();
  for (const s of samples) {
    const key = s.metric + JSON.stringify(s.labels ?? {});
    let line = bySeries.get(key);
    if (!line) {
      line = { metric: { __name__: s.metric, agent: device, ...s.labels }, values: [], timestamps: [] };
      bySeries.set(key, line);
    }
    line.values.push(s.value);
    line.timestamps.push(s.ts);
  }
  return [...bySeries.values()].map((l) => JSON.stringify(l)).join('\n') + '\n';
}

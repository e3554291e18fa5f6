import type { DeviceStatus, DeviceView } from '../../../../../schema/wire/telemetry.ts';

/** The metrics the fleet table shows, as the agent names them (docs/agent.md). */
export const FLEET_METRICS = [
  'cpu_usage_percent',
  'mem_used_bytes',
  'mem_total_bytes',
  'disk_used_percent',
  'net_rx_bytes_per_second',
  'net_tx_bytes_per_second',
  'load1',
  'temperature_celsius',
  'host_uptime_seconds',
] as const;

/** One value as the API (`/v1/latest`) or the stream delivers it. */
export interface MetricValue {
  metric: string;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

/** The latest value of each fleet series of one device, keyed `metric|labels`. */
export type DeviceValues = Map<string, MetricValue>;

/** One table row: the device and the figures derived from its latest values. */
export interface FleetRow {
  device: DeviceView;
  status: DeviceStatus;
  lastSeenAt: number | null;
  cpu: number | null;
  mem: number | null;
  disk: number | null;
  rx: number | null;
  tx: number | null;
  load1: number | null;
  temp: number | null;
  uptime: number | null;
}

const WANTED = new Set<string>(FLEET_METRICS);

/** Records `v` in `values` if the table shows its metric; keeps the newer of two values. */
export function recordValue(values: DeviceValues, v: MetricValue): boolean {
  if (!WANTED.has(v.metric)) return false;
  const key = `${v.metric}|${Object.entries(v.labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, x]) => `${k}=${x}`)
    .join(',')}`;
  const old = values.get(key);
  if (old && old.ts > v.ts) return false;
  values.set(key, v);
  return true;
}

/** Every value of `metric` (one per label set: mount, interface, sensor). */
function all(values: DeviceValues | undefined, metric: string): number[] {
  const out: number[] = [];
  for (const v of values?.values() ?? []) if (v.metric === metric) out.push(v.value);
  return out;
}

const one = (xs: number[]) => (xs.length ? xs[0]! : null);
const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);
const sum = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) : null);

/** Seen within the online window (60 s, ONLINE_WINDOW_SECONDS) by a live sample: online. */
const ONLINE_MS = 60_000;

/**
 * A table row for `device`: memory % from used/total bytes, the fullest disk, network summed
 * over interfaces, the hottest sensor. A live sample newer than the device list makes it online.
 */
export function toRow(device: DeviceView, values: DeviceValues | undefined, now: number): FleetRow {
  let lastSeenAt = device.lastSeenAt;
  for (const v of values?.values() ?? []) if (lastSeenAt === null || v.ts > lastSeenAt) lastSeenAt = v.ts;
  const liveOnline = lastSeenAt !== null && lastSeenAt !== device.lastSeenAt && now - lastSeenAt < ONLINE_MS;
  const used = one(all(values, 'mem_used_bytes'));
  const total = one(all(values, 'mem_total_bytes'));
  return {
    device,
    status: liveOnline ? 'online' : device.status,
    lastSeenAt,
    cpu: one(all(values, 'cpu_usage_percent')),
    mem: used !== null && total ? (used / total) * 100 : null,
    disk: max(all(values, 'disk_used_percent')),
    rx: sum(all(values, 'net_rx_bytes_per_second')),
    tx: sum(all(values, 'net_tx_bytes_per_second')),
    load1: one(all(values, 'load1')),
    temp: max(all(values, 'temperature_celsius')),
    uptime: one(all(values, 'host_uptime_seconds')),
  };
}

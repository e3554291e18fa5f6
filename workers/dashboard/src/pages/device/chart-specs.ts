import type { Unit } from '../../charts/units.ts';

/**
 * One chart of the device page: which metrics it draws, which labels split them into lines,
 * and the unit of its values. Derived from the agent's collectors (docs/agent.md, "Metrics").
 */
export interface ChartSpec {
  id: string;
  title: string;
  /** The collector that produces it (the agent config's names). */
  collector: string;
  metrics: readonly string[];
  /** Label names whose values tell lines apart (e.g. `mount`); none for a host-wide metric. */
  splitBy?: readonly string[];
  /** Counters (running totals) are drawn as per-second rates; names ending `_total` always are. */
  counter?: boolean;
  unit: Unit;
}

/** A counter only grows (until its process restarts): Prometheus names end in `_total`. */
export const isCounter = (metric: string, spec?: ChartSpec): boolean =>
  spec?.counter === true || metric.endsWith('_total');

export const CHART_SPECS: readonly ChartSpec[] = [
  {
    id: 'cpu',
    title: 'CPU',
    collector: 'cpu',
    metrics: ['cpu_usage_percent', 'cpu_user_percent', 'cpu_system_percent', 'cpu_iowait_percent', 'cpu_steal_percent'],
    unit: 'percent',
  },
  {
    id: 'cpu-cores',
    title: 'CPU per core',
    collector: 'cpu',
    metrics: ['cpu_core_usage_percent'],
    splitBy: ['core'],
    unit: 'percent',
  },
  { id: 'load', title: 'Load average', collector: 'load', metrics: ['load1', 'load5', 'load15'], unit: 'count' },
  {
    id: 'memory',
    title: 'Memory',
    collector: 'memory',
    metrics: ['mem_used_bytes', 'mem_available_bytes', 'mem_total_bytes'],
    unit: 'bytes',
  },
  { id: 'swap', title: 'Swap', collector: 'memory', metrics: ['swap_used_bytes', 'swap_total_bytes'], unit: 'bytes' },
  {
    id: 'disk',
    title: 'Disk usage',
    collector: 'disk',
    metrics: ['disk_used_percent'],
    splitBy: ['mount'],
    unit: 'percent',
  },
  {
    id: 'disk-bytes',
    title: 'Disk space',
    collector: 'disk',
    metrics: ['disk_used_bytes', 'disk_total_bytes'],
    splitBy: ['mount'],
    unit: 'bytes',
  },
  {
    id: 'diskio-bytes',
    title: 'Disk I/O throughput',
    collector: 'diskio',
    metrics: ['diskio_read_bytes_per_second', 'diskio_write_bytes_per_second'],
    splitBy: ['device'],
    unit: 'bytes/s',
  },
  {
    id: 'diskio-ops',
    title: 'Disk I/O operations',
    collector: 'diskio',
    metrics: ['diskio_reads_per_second', 'diskio_writes_per_second'],
    splitBy: ['device'],
    unit: 'per-s',
  },
  {
    id: 'diskio-busy',
    title: 'Disk busy time',
    collector: 'diskio',
    metrics: ['diskio_io_time_ms_per_second'],
    splitBy: ['device'],
    unit: 'count',
  },
  {
    id: 'net-bytes',
    title: 'Network traffic',
    collector: 'network',
    metrics: ['net_rx_bytes_per_second', 'net_tx_bytes_per_second'],
    splitBy: ['iface'],
    unit: 'bytes/s',
  },
  {
    id: 'net-packets',
    title: 'Network packets',
    collector: 'network',
    metrics: ['net_rx_packets_per_second', 'net_tx_packets_per_second'],
    splitBy: ['iface'],
    unit: 'per-s',
  },
  {
    id: 'net-errors',
    title: 'Network errors and drops',
    collector: 'network',
    metrics: ['net_rx_errors_total', 'net_tx_errors_total', 'net_rx_drops_total', 'net_tx_drops_total'],
    splitBy: ['iface'],
    counter: true,
    unit: 'per-s',
  },
  {
    id: 'temperature',
    title: 'Temperatures',
    collector: 'temperature',
    metrics: ['temperature_celsius'],
    splitBy: ['chip', 'sensor'],
    unit: 'celsius',
  },
  {
    id: 'uptime',
    title: 'Uptime',
    collector: 'uptime',
    metrics: ['host_uptime_seconds', 'agent_uptime_seconds'],
    unit: 'seconds',
  },
  {
    id: 'ntp',
    title: 'NTP offset and round trip',
    collector: 'ntp',
    metrics: ['ntp_offset_seconds', 'ntp_rtt_seconds'],
    splitBy: ['server'],
    unit: 'seconds',
  },
  {
    id: 'probe-timing',
    title: 'Probe timings',
    collector: 'probes',
    metrics: [
      'probe_dns_seconds',
      'probe_connect_seconds',
      'probe_tls_seconds',
      'probe_ttfb_seconds',
      'probe_duration_seconds',
    ],
    splitBy: ['probe'],
    unit: 'seconds',
  },
  {
    id: 'probe-status',
    title: 'Probe status (up, HTTP status, TLS verified)',
    collector: 'probes',
    metrics: ['probe_up', 'probe_http_status_code', 'probe_tls_verified'],
    splitBy: ['probe'],
    unit: 'count',
  },
  {
    id: 'probe-cert',
    title: 'Certificate days left',
    collector: 'probes',
    metrics: ['probe_tls_cert_days_left'],
    splitBy: ['probe'],
    unit: 'days',
  },
  {
    id: 'process-count',
    title: 'Watched processes',
    collector: 'processes',
    metrics: ['process_count'],
    splitBy: ['process'],
    unit: 'count',
  },
  {
    id: 'process-cpu',
    title: 'Watched processes: CPU',
    collector: 'processes',
    metrics: ['process_cpu_percent'],
    splitBy: ['process'],
    unit: 'percent',
  },
  {
    id: 'process-rss',
    title: 'Watched processes: memory (RSS)',
    collector: 'processes',
    metrics: ['process_rss_bytes'],
    splitBy: ['process'],
    unit: 'bytes',
  },
  {
    // Seconds spent runnable but waiting for a CPU, per second: slowness that CPU % does not show.
    id: 'process-run-delay',
    title: 'Watched processes: waiting for a CPU (run delay per second)',
    collector: 'processes',
    metrics: ['process_run_delay_rate'],
    splitBy: ['process'],
    unit: 'seconds',
  },
  {
    id: 'process-context-switches',
    title: 'Watched processes: context switches',
    collector: 'processes',
    metrics: ['process_context_switches_voluntary_per_second', 'process_context_switches_involuntary_per_second'],
    splitBy: ['process'],
    unit: 'per-s',
  },
  {
    id: 'process-major-faults',
    title: 'Watched processes: major page faults',
    collector: 'processes',
    metrics: ['process_major_faults_per_second'],
    splitBy: ['process'],
    unit: 'per-s',
  },
  {
    id: 'agent-spool',
    title: 'Agent spool',
    collector: 'self',
    metrics: ['agent_spool_pending_samples'],
    unit: 'count',
  },
  {
    id: 'agent-spool-losses',
    title: 'Agent spool drops and rejects',
    collector: 'self',
    metrics: ['agent_spool_dropped_samples_total', 'agent_spool_rejected_samples_total'],
    counter: true,
    unit: 'per-s',
  },
  {
    id: 'agent-spool-bytes',
    title: 'Agent spool size',
    collector: 'self',
    metrics: ['agent_spool_bytes'],
    unit: 'bytes',
  },
  {
    id: 'agent-ship',
    title: 'Agent shipping',
    collector: 'self',
    metrics: ['agent_batches_shipped_total', 'agent_samples_shipped_total', 'agent_ship_errors_total'],
    counter: true,
    unit: 'per-s',
  },
  {
    id: 'agent-latency',
    title: 'Agent ship latency',
    collector: 'self',
    metrics: ['agent_ship_latency_seconds'],
    unit: 'seconds',
  },
  { id: 'agent-rss', title: 'Agent memory (RSS)', collector: 'self', metrics: ['agent_rss_bytes'], unit: 'bytes' },
  {
    id: 'agent-cpu',
    title: 'Agent CPU (CPU seconds per second)',
    collector: 'self',
    metrics: ['agent_cpu_seconds_total'],
    counter: true,
    unit: 'per-s',
  },
];

/** Every metric some chart draws; the explorer offers the others. */
export const CHARTED_METRICS: ReadonlySet<string> = new Set(CHART_SPECS.flatMap((s) => s.metrics));

/** The legend text of a series in a chart: metric (when the chart has several) and split labels. */
export function lineLabel(spec: ChartSpec, metric: string, labels: Record<string, string>): string {
  const parts: string[] = [];
  if (spec.metrics.length > 1) parts.push(metric);
  for (const name of spec.splitBy ?? []) if (labels[name] !== undefined) parts.push(labels[name]);
  return parts.join(' ') || metric;
}

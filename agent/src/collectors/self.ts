import type { ShipperStats } from '../shipper.ts';
import type { SpoolStats } from '../spool/types.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export interface SelfCollectorOptions extends CollectorOptions {
  spool: { stats(): SpoolStats };
  shipper: { stats(): ShipperStats };
}

/**
 * The agent's own health, from the spool's and the shipper's counters (no I/O):
 * `agent_spool_pending_samples`, `agent_spool_bytes` (disk spool: its files' size),
 * `agent_spool_dropped_samples_total`, `agent_spool_rejected_samples_total`,
 * `agent_batches_shipped_total`, `agent_samples_shipped_total`, `agent_ship_errors_total`,
 * `agent_ship_latency_seconds` (the last acknowledged send, once there is one), and the
 * process's `agent_rss_bytes` and `agent_cpu_seconds_total`.
 */
export function createSelfCollector(options: SelfCollectorOptions): Collector {
  return {
    name: 'self',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      const ts = Date.now();
      const spool = options.spool.stats();
      const ship = options.shipper.stats();
      const cpu = process.cpuUsage();
      const samples: Sample[] = [];
      const add = (metric: string, value: number | undefined) => {
        if (value !== undefined) samples.push({ metric, ts, value });
      };
      add('agent_spool_pending_samples', spool.pendingSamples);
      add('agent_spool_bytes', spool.bytes);
      add('agent_spool_dropped_samples_total', spool.dropped);
      add('agent_spool_rejected_samples_total', spool.rejected);
      add('agent_batches_shipped_total', ship.batchesShipped);
      add('agent_samples_shipped_total', ship.samplesShipped);
      add('agent_ship_errors_total', ship.shipErrors);
      add('agent_ship_latency_seconds', ship.lastLatencyMs === undefined ? undefined : ship.lastLatencyMs / 1000);
      add('agent_rss_bytes', process.memoryUsage.rss());
      add('agent_cpu_seconds_total', (cpu.user + cpu.system) / 1e6);
      return samples;
    },
  };
}

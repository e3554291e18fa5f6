import si from 'systeminformation';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions } from './types.ts';

/**
 * Memory and swap in bytes: `mem_total_bytes`, `mem_available_bytes`, `mem_used_bytes`
 * (total − available, so page cache the kernel can reclaim is not "used"),
 * `swap_total_bytes`, `swap_used_bytes`. Uses `si.mem()`, which on Linux reads /proc/meminfo.
 */
export function createMemoryCollector(options: CollectorOptions = {}): Collector {
  return {
    name: 'memory',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      const ts = Date.now();
      const m = await si.mem();
      return [
        { metric: 'mem_total_bytes', ts, value: m.total },
        { metric: 'mem_available_bytes', ts, value: m.available },
        { metric: 'mem_used_bytes', ts, value: Math.max(0, m.total - m.available) },
        { metric: 'swap_total_bytes', ts, value: m.swaptotal },
        { metric: 'swap_used_bytes', ts, value: m.swapused },
      ];
    },
  };
}

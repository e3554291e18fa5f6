import os from 'node:os';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions } from './types.ts';

/**
 * Load averages `load1`, `load5`, `load15` from `os.loadavg()` (no syscall beyond sysinfo).
 * Windows has no load average (Node reports zeros), so there it returns nothing.
 */
export function createLoadCollector(options: CollectorOptions = {}): Collector {
  return {
    name: 'load',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      if (process.platform === 'win32') return [];
      const ts = Date.now();
      const [load1 = 0, load5 = 0, load15 = 0] = os.loadavg();
      return [
        { metric: 'load1', ts, value: load1 },
        { metric: 'load5', ts, value: load5 },
        { metric: 'load15', ts, value: load15 },
      ];
    },
  };
}

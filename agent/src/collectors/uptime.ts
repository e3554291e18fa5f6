import os from 'node:os';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions } from './types.ts';

/**
 * `host_uptime_seconds` (since boot, from `os.uptime()`: sysinfo(2) on Linux, no file or
 * process) and `agent_uptime_seconds` (since this agent process started).
 */
export function createUptimeCollector(options: CollectorOptions = {}): Collector {
  return {
    name: 'uptime',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      const ts = Date.now();
      return [
        { metric: 'host_uptime_seconds', ts, value: os.uptime() },
        { metric: 'agent_uptime_seconds', ts, value: process.uptime() },
      ];
    },
  };
}

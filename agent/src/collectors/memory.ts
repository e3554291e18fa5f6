import { parseProcMeminfo, type MemInfo } from './linux-proc.ts';
import { readProcFile } from './proc-read.ts';
import { systemInformation } from './system-information.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions } from './types.ts';

export interface MemoryCollectorOptions extends CollectorOptions {
  /**
   * `proc` reads /proc/meminfo (Linux). `systeminformation` uses `si.mem()`, which reads the
   * same file on Linux but needs the whole library loaded. Default: `proc` on Linux.
   */
  source?: 'proc' | 'systeminformation';
}

/**
 * Memory and swap in bytes: `mem_total_bytes`, `mem_available_bytes`, `mem_used_bytes`
 * (total − available, so page cache the kernel can reclaim is not "used"),
 * `swap_total_bytes`, `swap_used_bytes`.
 */
export function createMemoryCollector(options: MemoryCollectorOptions = {}): Collector {
  const source = options.source ?? (process.platform === 'linux' ? 'proc' : 'systeminformation');
  return {
    name: 'memory',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      const ts = Date.now();
      const m = source === 'proc' ? await readProcMeminfo() : await readSystemInformation();
      return [
        { metric: 'mem_total_bytes', ts, value: m.total },
        { metric: 'mem_available_bytes', ts, value: m.available },
        { metric: 'mem_used_bytes', ts, value: Math.max(0, m.total - m.available) },
        { metric: 'swap_total_bytes', ts, value: m.swapTotal },
        { metric: 'swap_used_bytes', ts, value: m.swapUsed },
      ];
    },
  };
}

async function readProcMeminfo(): Promise<MemInfo> {
  const m = parseProcMeminfo(await readProcFile('/proc/meminfo'));
  // A /proc without MemTotal (a restricted container) is not worth failing over.
  return m ?? readSystemInformation();
}

async function readSystemInformation(): Promise<MemInfo> {
  const m = await (await systemInformation()).mem();
  return { total: m.total, available: m.available, swapTotal: m.swaptotal, swapUsed: m.swapused };
}

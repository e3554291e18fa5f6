import { parseProcDiskstats, type DiskCounters } from './linux-proc.ts';
import { readProcDir, readProcFile } from './proc-read.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export interface DiskIoCollectorOptions extends CollectorOptions {
  /** Files to read; tests point them at fixtures. Defaults: `/proc/diskstats`, `/sys/block`. */
  diskstats?: string;
  sysBlock?: string;
}

// The kernel counts in 512-byte sectors in /proc/diskstats whatever the device's block size.
const SECTOR_BYTES = 512;
// Memory-backed and loop devices: their I/O is not disk I/O.
const VIRTUAL = /^(loop|ram|zram|fd)\d+$/;
// Partition names, for when /sys/block is not mounted (some containers); as node_exporter's default.
const PARTITION = /^((h|s|v|xv)d[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+)$/;

const RATES = [
  ['diskio_read_bytes_per_second', (c: DiskCounters) => c.readSectors * SECTOR_BYTES],
  ['diskio_write_bytes_per_second', (c: DiskCounters) => c.writtenSectors * SECTOR_BYTES],
  ['diskio_reads_per_second', (c: DiskCounters) => c.reads],
  ['diskio_writes_per_second', (c: DiskCounters) => c.writes],
  ['diskio_io_time_ms_per_second', (c: DiskCounters) => c.ioMs],
] as const;

/**
 * Per whole block device (label `device`; partitions, loop, ram and zram devices skipped),
 * rates over the last interval from /proc/diskstats: `diskio_read_bytes_per_second`,
 * `diskio_write_bytes_per_second`, `diskio_reads_per_second`, `diskio_writes_per_second`
 * and `diskio_io_time_ms_per_second` (milliseconds busy per second: 1000 is saturated).
 * The first call only takes a baseline. Linux only; elsewhere it returns nothing.
 */
export function createDiskIoCollector(options: DiskIoCollectorOptions = {}): Collector {
  const diskstats = options.diskstats ?? '/proc/diskstats';
  const sysBlock = options.sysBlock ?? '/sys/block';
  let previous: { at: number; counters: Map<string, DiskCounters> } | undefined;
  return {
    name: 'diskio',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      if (process.platform !== 'linux' && options.diskstats === undefined) return [];
      const ts = Date.now();
      const at = performance.now();
      const [text, whole] = await Promise.all([readProcFile(diskstats), wholeDisks(sysBlock)]);
      const counters = parseProcDiskstats(text);
      const before = previous;
      previous = { at, counters };
      const seconds = before ? (at - before.at) / 1000 : 0;
      if (!before || seconds <= 0) return [];

      const samples: Sample[] = [];
      for (const [device, c] of counters) {
        if (VIRTUAL.test(device) || (whole ? !whole.has(device) : PARTITION.test(device))) continue;
        const prev = before.counters.get(device);
        // Counters that went down mean the device was re-created: skip one interval.
        if (!prev || RATES.some(([, get]) => get(c) < get(prev))) continue;
        const labels = { device };
        for (const [metric, get] of RATES) samples.push({ metric, ts, value: (get(c) - get(prev)) / seconds, labels });
      }
      return samples;
    },
  };
}

/** Names in /sys/block (whole disks only: partitions live below them); undefined without sysfs. */
async function wholeDisks(dir: string): Promise<Set<string> | undefined> {
  try {
    return new Set(await readProcDir(dir));
  } catch {
    return undefined;
  }
}

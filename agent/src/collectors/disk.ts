import { statfs } from 'node:fs/promises';
import { parseProcMounts } from './linux-proc.ts';
import { readProcFile } from './proc-read.ts';
import { systemInformation } from './system-information.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export interface DiskCollectorOptions extends CollectorOptions {
  /**
   * `statfs` reads /proc/self/mounts and calls statfs(2) per mount (Linux, no process).
   * `systeminformation` uses `si.fsSize()`, which runs `df` in a shell on every call.
   * Default: by platform.
   */
  source?: 'statfs' | 'systeminformation';
}

// Memory-backed, kernel and image filesystems: their "usage" says nothing about disks.
const PSEUDO_TYPES = new Set(
  (
    'autofs binfmt_misc bpf cgroup cgroup2 configfs debugfs devpts devtmpfs efivarfs erofs fusectl fuse.lxcfs fuse.portal fuse.snapfuse hugetlbfs ' +
    'iso9660 mqueue nsfs proc pstore ramfs rpc_pipefs securityfs selinuxfs squashfs sysfs tmpfs tracefs devfs nullfs'
  ).split(' '),
);
// Container runtimes' layer mounts repeat the host disk once per container.
const SKIPPED_MOUNTS = /^\/(proc|sys|dev|run\/credentials|snap|var\/lib\/docker|var\/lib\/containers)(\/|$)/;

/** True for filesystems the disk collector leaves out (pseudo, memory-backed, container layers). */
export function isPseudoFilesystem(type: string, mount: string): boolean {
  return PSEUDO_TYPES.has(type.toLowerCase()) || SKIPPED_MOUNTS.test(mount);
}

/**
 * Usage per mounted disk, labelled `{mount, fs}` (fs is the device, e.g. `/dev/sda1`):
 * `disk_total_bytes`, `disk_used_bytes`, `disk_used_percent` (used / (used + available to
 * users), as `df` reports it). A device mounted twice is reported once, at its first mount.
 */
export function createDiskCollector(options: DiskCollectorOptions = {}): Collector {
  const source = options.source ?? (process.platform === 'linux' ? 'statfs' : 'systeminformation');
  return {
    name: 'disk',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    collect: source === 'statfs' ? collectStatfs : collectSi,
  };
}

interface Usage {
  mount: string;
  fs: string;
  total: number;
  used: number;
  percent: number;
}

async function collectStatfs(): Promise<Sample[]> {
  const ts = Date.now();
  const seen = new Set<string>();
  const candidates = parseProcMounts(await readProcFile('/proc/self/mounts')).filter((m) => {
    if (isPseudoFilesystem(m.type, m.mount) || seen.has(m.device)) return false;
    seen.add(m.device);
    return true;
  });
  const results = await Promise.allSettled(
    candidates.map(async ({ device, mount }): Promise<Usage | undefined> => {
      const s = await statfs(mount);
      if (s.blocks === 0) return undefined;
      const total = s.blocks * s.bsize;
      const used = (s.blocks - s.bfree) * s.bsize;
      const avail = s.bavail * s.bsize;
      return { mount, fs: device, total, used, percent: used + avail > 0 ? (100 * used) / (used + avail) : 0 };
    }),
  );
  const failed = results.filter((r) => r.status === 'rejected');
  if (candidates.length > 0 && failed.length === candidates.length) throw failed[0]!.reason;
  return toSamples(
    ts,
    results.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : [])),
  );
}

async function collectSi(): Promise<Sample[]> {
  const ts = Date.now();
  const list = await (await systemInformation()).fsSize();
  const usages = list
    .filter((f) => f.size > 0 && !isPseudoFilesystem(f.type, f.mount))
    .map((f) => ({ mount: f.mount, fs: f.fs, total: f.size, used: f.used, percent: f.use }));
  return toSamples(ts, usages);
}

function toSamples(ts: number, usages: Usage[]): Sample[] {
  return usages.flatMap(({ mount, fs, total, used, percent }) => {
    const labels = { mount, fs };
    return [
      { metric: 'disk_total_bytes', ts, value: total, labels },
      { metric: 'disk_used_bytes', ts, value: used, labels },
      { metric: 'disk_used_percent', ts, value: percent, labels },
    ];
  });
}

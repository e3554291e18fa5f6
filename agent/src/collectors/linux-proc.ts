/** Pure parsers for the Linux /proc files the collectors read directly (no process spawns). */

/** Jiffies per CPU state, as in one `cpu…` line of /proc/stat. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

/** Parses /proc/stat into the aggregate `cpu` line and the per-core `cpuN` lines, keyed by N. */
export function parseProcStat(text: string): { total: CpuTimes; cores: Map<string, CpuTimes> } | undefined {
  let total: CpuTimes | undefined;
  const cores = new Map<string, CpuTimes>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    const [label = '', ...rest] = line.trim().split(/\s+/);
    // guest and guest_nice (fields 9-10) are already included in user and nice.
    const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = rest.map(Number);
    if (user === undefined || nice === undefined || system === undefined || idle === undefined) continue;
    const times = { user, nice, system, idle, iowait, irq, softirq, steal };
    if (label === 'cpu') total = times;
    else cores.set(label.slice(3), times);
  }
  return total ? { total, cores } : undefined;
}

/** Counters for one interface from /proc/net/dev. */
export interface NetCounters {
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDrops: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDrops: number;
}

/** Parses /proc/net/dev into counters per interface name. */
export function parseProcNetDev(text: string): Map<string, NetCounters> {
  const result = new Map<string, NetCounters>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    // Receive: bytes packets errs drop fifo frame compressed multicast; then the same for transmit.
    if (f.length < 12 || f.some((n) => !Number.isFinite(n))) continue;
    const [rxBytes = 0, rxPackets = 0, rxErrors = 0, rxDrops = 0] = f;
    const [txBytes = 0, txPackets = 0, txErrors = 0, txDrops = 0] = f.slice(8);
    result.set(line.slice(0, colon).trim(), {
      rxBytes,
      rxPackets,
      rxErrors,
      rxDrops,
      txBytes,
      txPackets,
      txErrors,
      txDrops,
    });
  }
  return result;
}

/** Cumulative I/O counters for one block device from /proc/diskstats. */
export interface DiskCounters {
  reads: number;
  readSectors: number;
  writes: number;
  writtenSectors: number;
  /** Milliseconds the device had I/O in flight ("io_ticks"). */
  ioMs: number;
}

/** Parses /proc/diskstats into counters per device name (partitions included; callers filter). */
export function parseProcDiskstats(text: string): Map<string, DiskCounters> {
  const result = new Map<string, DiskCounters>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    // major minor name, then: reads merged sectors ms, writes merged sectors ms, in-flight, io_ms, …
    if (f.length < 14) continue;
    const n = f.slice(3, 13).map(Number);
    if (n.some((v) => !Number.isFinite(v))) continue;
    const [reads = 0, , readSectors = 0, , writes = 0, , writtenSectors = 0, , , ioMs = 0] = n;
    result.set(f[2]!, { reads, readSectors, writes, writtenSectors, ioMs });
  }
  return result;
}

/** One line of /proc/self/mounts. */
export interface MountEntry {
  device: string;
  mount: string;
  type: string;
}

/** Parses /proc/self/mounts, undoing the kernel's octal escapes (`\040` for a space). */
export function parseProcMounts(text: string): MountEntry[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mount, type] = line.split(' ');
    if (!device || !mount || !type) continue;
    entries.push({ device: unescape(device), mount: unescape(mount), type });
  }
  return entries;
}

/** Memory and swap in bytes from /proc/meminfo, as systeminformation's `mem()` derives them. */
export interface MemInfo {
  total: number;
  available: number;
  swapTotal: number;
  swapUsed: number;
}

/**
 * Parses /proc/meminfo (`MemTotal:  16318400 kB` lines). Kernels before 3.14 have no
 * MemAvailable; then free + buffers + cached + slab stands in for it, as in systeminformation.
 */
export function parseProcMeminfo(text: string): MemInfo | undefined {
  const kib = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) kib.set(line.slice(0, colon), Number.parseInt(line.slice(colon + 1), 10) * 1024);
  }
  const get = (key: string) => (Number.isFinite(kib.get(key)) ? kib.get(key)! : 0);
  const total = get('MemTotal');
  if (!total) return undefined;
  const available = kib.has('MemAvailable')
    ? get('MemAvailable')
    : get('MemFree') + get('Buffers') + get('Cached') + get('Slab');
  const swapTotal = get('SwapTotal');
  return { total, available, swapTotal, swapUsed: swapTotal - get('SwapFree') };
}

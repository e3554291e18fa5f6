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
  rxErrors: number;
  txBytes: number;
  txErrors: number;
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
    const [rxBytes, , rxErrors] = f;
    const txBytes = f[8];
    const txErrors = f[10];
    if (rxBytes === undefined || rxErrors === undefined || txBytes === undefined || txErrors === undefined) continue;
    result.set(line.slice(0, colon).trim(), { rxBytes, rxErrors, txBytes, txErrors });
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

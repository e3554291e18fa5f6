/** Pure parsers for the per-process files under /proc/<pid> that the process watch reads. */

/** CPU time and start time of a process, in clock ticks, and its major faults, from /proc/<pid>/stat. */
export interface PidStat {
  /** utime + stime: user and system CPU time of the process itself. */
  cpuTicks: number;
  /** Ticks after boot when the process started: with the pid, identifies it across reuse of pids. */
  startTicks: number;
  /** Page faults that had to read from disk, all threads together; absent when the field is not a number. */
  majorFaults?: number;
}

/** Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses. */
export function parsePidStat(text: string): PidStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") ": field 3 (state) is index 0, so field N is index N − 3.
  const f = text.slice(close + 2).split(' ');
  const majflt = Number(f[12 - 3]);
  const utime = Number(f[14 - 3]);
  const stime = Number(f[15 - 3]);
  const start = Number(f[22 - 3]);
  if (![utime, stime, start].every(Number.isFinite)) return undefined;
  const stat: PidStat = { cpuTicks: utime + stime, startTicks: start };
  if (Number.isFinite(majflt)) stat.majorFaults = majflt;
  return stat;
}

/**
 * Run delay in nanoseconds from /proc/<pid>/schedstat ("<on-cpu ns> <run delay ns> <timeslices>"):
 * how long the task was runnable but waiting for a CPU. The kernel answers for the main thread
 * (the thread group leader) only, as it does for the context switches in /proc/<pid>/status.
 */
export function parseSchedstatRunDelayNs(text: string): number | undefined {
  const f = text.trim().split(/\s+/);
  if (f.length < 3) return undefined;
  const delay = Number(f[1]);
  return Number.isFinite(delay) ? delay : undefined;
}

/**
 * Whether the reading process's own /proc/self/schedstat holds real figures. A kernel with
 * scheduler statistics off answers "0 0 0", which would read as no delay; this process has
 * certainly run, so a zero on-CPU time means the figures are missing.
 */
export function schedstatWorks(selfSchedstat: string): boolean {
  const onCpuNs = Number(selfSchedstat.trim().split(/\s+/)[0]);
  return Number.isFinite(onCpuNs) && onCpuNs > 0;
}

/** Voluntary (it blocked: I/O, sleep, lock) and involuntary (preempted) context switches. */
export interface ContextSwitches {
  voluntary: number;
  involuntary: number;
}

/** The `voluntary_ctxt_switches` and `nonvoluntary_ctxt_switches` lines of /proc/<pid>/status. */
export function parseContextSwitches(status: string): ContextSwitches | undefined {
  const voluntary = /^voluntary_ctxt_switches:\s*(\d+)$/m.exec(status);
  const involuntary = /^nonvoluntary_ctxt_switches:\s*(\d+)$/m.exec(status);
  if (!voluntary || !involuntary) return undefined;
  return { voluntary: Number(voluntary[1]), involuntary: Number(involuntary[1]) };
}

/** Resident pages from /proc/<pid>/statm (its second field). */
export function parsePidStatmResident(text: string): number | undefined {
  const resident = Number(text.split(' ')[1]);
  return Number.isFinite(resident) ? resident : undefined;
}

/** /proc/<pid>/cmdline (arguments separated by NUL) as one line; empty for kernel threads. */
export function parseCmdline(buf: Buffer | string): string {
  return buf.toString().replace(/\0+$/, '').replaceAll('\0', ' ').trim();
}

/**
 * Turns a watch's `match` into a test on the command line: `/regex/flags` is a regular
 * expression, anything else a plain substring. An invalid regex throws a SyntaxError.
 */
export function commandMatcher(match: string): (cmdline: string) => boolean {
  const re = /^\/(.+)\/([dgimsuy]*)$/.exec(match);
  if (re) {
    // 'g' and 'y' make test() stateful across calls; they mean nothing for a yes/no match.
    const pattern = new RegExp(re[1]!, re[2]!.replace(/[gy]/g, ''));
    return (cmdline) => pattern.test(cmdline);
  }
  return (cmdline) => cmdline.includes(match);
}

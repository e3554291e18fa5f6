/** Pure parsers for the per-process files under /proc/<pid> that the process watch reads. */

/** CPU time and start time of a process, in clock ticks, from /proc/<pid>/stat. */
export interface PidStat {
  /** utime + stime: user and system CPU time of the process itself. */
  cpuTicks: number;
  /** Ticks after boot when the process started: with the pid, identifies it across reuse of pids. */
  startTicks: number;
}

/** Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses. */
export function parsePidStat(text: string): PidStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") ": field 3 (state) is index 0, so field N is index N − 3.
  const f = text.slice(close + 2).split(' ');
  const utime = Number(f[14 - 3]);
  const stime = Number(f[15 - 3]);
  const start = Number(f[22 - 3]);
  if (![utime, stime, start].every(Number.isFinite)) return undefined;
  return { cpuTicks: utime + stime, startTicks: start };
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

import { readdir, readFile } from 'node:fs/promises';
import type { ProcessWatch } from '../../../schema/wire/agent-config.ts';
import type { Logger } from '../log.ts';
import { commandMatcher, parseCmdline, parsePidStat, parsePidStatmResident } from './proc-pid.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export type { ProcessWatch };

export interface ProcessesCollectorOptions extends CollectorOptions {
  /** Groups to watch, as remote config gives them. */
  watches: readonly ProcessWatch[];
  /** Where a watch with an invalid regex is reported. */
  log?: Logger;
  /** The proc filesystem; tests may point it elsewhere. Default `/proc`. */
  proc?: string;
}

// USER_HZ is 100 on every architecture Linux ships for servers; reading it needs `getconf`, a process.
const TICKS_PER_SECOND = 100;

/**
 * Per watched group (label `process` = the watch's name): `process_count`, `process_rss_bytes`
 * (summed), and from the second run `process_cpu_percent` (summed, % of one core, so 250 is
 * two and a half cores busy). A process belongs to a group when its command line contains
 * `match`, or matches it when written `/regex/`. Read from /proc/<pid>/{cmdline,stat,statm}
 * with no process spawned (systeminformation's `processes()` ran 96 when measured).
 * Linux only; elsewhere it returns nothing.
 */
export function createProcessesCollector(options: ProcessesCollectorOptions): Collector {
  const proc = options.proc ?? '/proc';
  const groups = options.watches.flatMap((w) => {
    try {
      return [{ name: w.name, test: commandMatcher(w.match) }];
    } catch (err) {
      options.log?.warn('process watch has an invalid pattern; skipping it', { process: w.name, match: w.match, err });
      return [];
    }
  });
  let previous: { at: number; ticks: Map<string, number> } | undefined;
  const pageBytes = pageSize(proc);

  return {
    name: 'processes',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    async collect() {
      if (groups.length === 0 || (process.platform !== 'linux' && options.proc === undefined)) return [];
      const ts = Date.now();
      const at = performance.now();
      const pids = (await readdir(proc)).filter((d) => /^\d+$/.test(d));
      const cmdlines = await Promise.all(pids.map((pid) => read(`${proc}/${pid}/cmdline`)));
      const members = groups.map(() => [] as string[]);
      pids.forEach((pid, i) => {
        const cmd = cmdlines[i] === undefined ? '' : parseCmdline(cmdlines[i]!);
        if (cmd) groups.forEach((g, gi) => g.test(cmd) && members[gi]!.push(pid));
      });

      const wanted = [...new Set(members.flat())];
      const details = new Map<string, { key: string; ticks: number; rss: number }>();
      const page = await pageBytes;
      await Promise.all(
        wanted.map(async (pid) => {
          const [stat, statm] = await Promise.all([read(`${proc}/${pid}/stat`), read(`${proc}/${pid}/statm`)]);
          // The process exited after its cmdline was read: leave it out.
          const s = stat === undefined ? undefined : parsePidStat(stat);
          const resident = statm === undefined ? undefined : parsePidStatmResident(statm);
          if (!s || resident === undefined) return;
          details.set(pid, { key: `${pid}:${s.startTicks}`, ticks: s.cpuTicks, rss: resident * page });
        }),
      );

      const before = previous;
      previous = { at, ticks: new Map([...details.values()].map((d) => [d.key, d.ticks])) };
      const seconds = before ? (at - before.at) / 1000 : 0;
      const samples: Sample[] = [];
      groups.forEach((g, gi) => {
        const labels = { process: g.name };
        const found = members[gi]!.flatMap((pid) => details.get(pid) ?? []);
        samples.push(
          { metric: 'process_count', ts, value: found.length, labels },
          { metric: 'process_rss_bytes', ts, value: found.reduce((sum, d) => sum + d.rss, 0), labels },
        );
        if (!before || seconds <= 0) return;
        // Only processes seen last time have a baseline; a new one counts from the next run.
        let ticks = 0;
        for (const d of found) {
          const prev = before.ticks.get(d.key);
          if (prev !== undefined && d.ticks >= prev) ticks += d.ticks - prev;
        }
        samples.push({ metric: 'process_cpu_percent', ts, value: (100 * ticks) / TICKS_PER_SECOND / seconds, labels });
      });
      return samples;
    },
  };
}

async function read(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    // Gone (ENOENT/ESRCH) or another user's process we may not read (EACCES).
    return undefined;
  }
}

/**
 * The kernel page size, from this process's own resident pages (/proc/self/statm) against
 * its RSS in bytes, rounded to a power of two; `getconf PAGESIZE` would be a process spawn.
 */
async function pageSize(proc: string): Promise<number> {
  const resident = parsePidStatmResident((await read(`${proc}/self/statm`)) ?? '');
  const rss = process.memoryUsage.rss();
  if (!resident) return 4096;
  return 2 ** Math.round(Math.log2(rss / resident));
}

import { readdir, readFile } from 'node:fs/promises';
import type { ProcessWatch } from '../../../schema/wire/agent-config.ts';
import type { Logger } from '../log.ts';
import {
  commandMatcher,
  parseCmdline,
  parseContextSwitches,
  parsePidStat,
  parsePidStatmResident,
  parseSchedstatRunDelayNs,
  schedstatWorks,
} from './proc-pid.ts';
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

/** One process's running totals; a figure whose file could not be read is absent. */
interface Counters {
  ticks: number;
  runDelayNs?: number;
  voluntary?: number;
  involuntary?: number;
  majorFaults?: number;
}

/** The per-second rates, each from one running total, scaled to its unit. */
const RATES: readonly { metric: string; counter: keyof Counters; scale: number }[] = [
  { metric: 'process_cpu_percent', counter: 'ticks', scale: 100 / TICKS_PER_SECOND },
  { metric: 'process_run_delay_rate', counter: 'runDelayNs', scale: 1e-9 },
  { metric: 'process_context_switches_voluntary_per_second', counter: 'voluntary', scale: 1 },
  { metric: 'process_context_switches_involuntary_per_second', counter: 'involuntary', scale: 1 },
  { metric: 'process_major_faults_per_second', counter: 'majorFaults', scale: 1 },
];

/**
 * Per watched group (label `process` = the watch's name): `process_count`, `process_rss_bytes`
 * and `process_run_delay_seconds_total` (summed), and from the second run `process_cpu_percent`
 * (summed, % of one core, so 250 is two and a half cores busy), `process_run_delay_rate`
 * (seconds waiting for a CPU per second), context switches and major faults per second. A
 * process belongs to a group when its command line contains `match`, or matches it when
 * written `/regex/`. Read from /proc/<pid>/{cmdline,stat,statm,status,schedstat} with no
 * process spawned (systeminformation's `processes()` ran 96 when measured). A figure none of
 * the group's processes could be read for is left out, not sent as 0.
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
  let previous: { at: number; counters: Map<string, Counters> } | undefined;
  const pageBytes = pageSize(proc);
  // Without CONFIG_SCHED_INFO there is no schedstat; with scheduler statistics off it reads 0.
  const hasSchedstat = read(`${proc}/self/schedstat`).then((t) => t !== undefined && schedstatWorks(t));

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
      const details = new Map<string, { key: string; rss: number; counters: Counters }>();
      const [page, schedstat] = await Promise.all([pageBytes, hasSchedstat]);
      await Promise.all(
        wanted.map(async (pid) => {
          const [stat, statm, status, sched] = await Promise.all([
            read(`${proc}/${pid}/stat`),
            read(`${proc}/${pid}/statm`),
            read(`${proc}/${pid}/status`),
            schedstat ? read(`${proc}/${pid}/schedstat`) : undefined,
          ]);
          // The process exited after its cmdline was read: leave it out.
          const s = stat === undefined ? undefined : parsePidStat(stat);
          const resident = statm === undefined ? undefined : parsePidStatmResident(statm);
          if (!s || resident === undefined) return;
          const switches = status === undefined ? undefined : parseContextSwitches(status);
          const counters: Counters = {
            ticks: s.cpuTicks,
            runDelayNs: sched === undefined ? undefined : parseSchedstatRunDelayNs(sched),
            voluntary: switches?.voluntary,
            involuntary: switches?.involuntary,
            majorFaults: s.majorFaults,
          };
          details.set(pid, { key: `${pid}:${s.startTicks}`, rss: resident * page, counters });
        }),
      );

      const before = previous;
      previous = { at, counters: new Map([...details.values()].map((d) => [d.key, d.counters])) };
      const seconds = before ? (at - before.at) / 1000 : 0;
      const rates = schedstat ? RATES : RATES.filter((r) => r.counter !== 'runDelayNs');
      const samples: Sample[] = [];
      groups.forEach((g, gi) => {
        const labels = { process: g.name };
        const found = members[gi]!.flatMap((pid) => details.get(pid) ?? []);
        // An empty group sums to 0; a group whose files could not be read has no figure at all.
        const readable = (c: keyof Counters) => found.length === 0 || found.some((d) => d.counters[c] !== undefined);
        samples.push(
          { metric: 'process_count', ts, value: found.length, labels },
          { metric: 'process_rss_bytes', ts, value: found.reduce((sum, d) => sum + d.rss, 0), labels },
        );
        if (schedstat && readable('runDelayNs')) {
          const ns = found.reduce((sum, d) => sum + (d.counters.runDelayNs ?? 0), 0);
          samples.push({ metric: 'process_run_delay_seconds_total', ts, value: ns / 1e9, labels });
        }
        if (!before || seconds <= 0) return;
        for (const r of rates.filter((r) => readable(r.counter))) {
          // Only processes seen last time have a baseline; a new one counts from the next run.
          let delta = 0;
          for (const d of found) {
            const now = d.counters[r.counter];
            const prev = before.counters.get(d.key)?.[r.counter];
            if (now !== undefined && prev !== undefined && now >= prev) delta += now - prev;
          }
          samples.push({ metric: r.metric, ts, value: (delta * r.scale) / seconds, labels });
        }
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

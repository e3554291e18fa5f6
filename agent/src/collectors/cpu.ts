import { parseProcStat, type CpuTimes } from './linux-proc.ts';
import { readProcFile } from './proc-read.ts';
import { systemInformation } from './system-information.ts';
import { DEFAULT_INTERVAL_MS, type Collector, type CollectorOptions, type Sample } from './types.ts';

export interface CpuCollectorOptions extends CollectorOptions {
  /**
   * `proc` reads /proc/stat directly (Linux; gives iowait and steal). `systeminformation` uses
   * `si.currentLoad()`, which on Linux spawns `sh -c 'cat /proc/stat | grep cpu'` synchronously
   * on every call, so it is only the fallback for other platforms. Default: by platform.
   */
  source?: 'proc' | 'systeminformation';
}

/**
 * CPU usage over the last interval, in percent of all cores (0–100):
 * `cpu_usage_percent` (busy = user + system + steal; iowait counts as idle, as in psutil),
 * `cpu_user_percent` (incl. nice), `cpu_system_percent` (incl. irq/softirq),
 * `cpu_iowait_percent` and `cpu_steal_percent` (Linux), and
 * `cpu_core_usage_percent{core}`. The first call only takes a baseline and returns nothing.
 */
export function createCpuCollector(options: CpuCollectorOptions = {}): Collector {
  const source = options.source ?? (process.platform === 'linux' ? 'proc' : 'systeminformation');
  return {
    name: 'cpu',
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    collect: source === 'proc' ? procReader() : siReader(),
  };
}

type Snapshot = NonNullable<ReturnType<typeof parseProcStat>>;

function procReader(): () => Promise<Sample[]> {
  let previous: Snapshot | undefined;
  return async () => {
    const ts = Date.now();
    const current = parseProcStat(await readProcFile('/proc/stat'));
    if (!current) throw new Error('/proc/stat has no aggregate "cpu" line');
    const before = previous;
    previous = current;
    if (!before) return [];

    const samples: Sample[] = [];
    const total = percentages(before.total, current.total);
    if (total) {
      samples.push(
        { metric: 'cpu_usage_percent', ts, value: total.usage },
        { metric: 'cpu_user_percent', ts, value: total.user },
        { metric: 'cpu_system_percent', ts, value: total.system },
        { metric: 'cpu_iowait_percent', ts, value: total.iowait },
        { metric: 'cpu_steal_percent', ts, value: total.steal },
      );
    }
    for (const [core, times] of current.cores) {
      const prev = before.cores.get(core);
      const p = prev && percentages(prev, times);
      if (p) samples.push({ metric: 'cpu_core_usage_percent', ts, value: p.usage, labels: { core } });
    }
    return samples;
  };
}

function percentages(a: CpuTimes, b: CpuTimes) {
  // iowait (and on some NO_HZ kernels idle) can step backwards; a negative share is noise.
  const d = (k: keyof CpuTimes) => Math.max(0, b[k] - a[k]);
  const user = d('user') + d('nice');
  const system = d('system') + d('irq') + d('softirq');
  const iowait = d('iowait');
  const steal = d('steal');
  const total = user + system + d('idle') + iowait + steal;
  if (total <= 0) return undefined;
  const pct = (v: number) => Math.min(100, (100 * v) / total);
  return {
    usage: pct(user + system + steal),
    user: pct(user),
    system: pct(system),
    iowait: pct(iowait),
    steal: pct(steal),
  };
}

function siReader(): () => Promise<Sample[]> {
  let primed = false;
  return async () => {
    const ts = Date.now();
    const load = await (await systemInformation()).currentLoad();
    // systeminformation's first reading is the average since boot, not the last interval.
    if (!primed) {
      primed = true;
      return [];
    }
    const samples: Sample[] = [
      { metric: 'cpu_usage_percent', ts, value: load.currentLoad },
      { metric: 'cpu_user_percent', ts, value: load.currentLoadUser + load.currentLoadNice },
      { metric: 'cpu_system_percent', ts, value: load.currentLoadSystem + load.currentLoadIrq },
    ];
    if (process.platform === 'linux') samples.push({ metric: 'cpu_steal_percent', ts, value: load.currentLoadSteal });
    load.cpus.forEach((c, i) =>
      samples.push({ metric: 'cpu_core_usage_percent', ts, value: c.load, labels: { core: String(i) } }),
    );
    return samples;
  };
}

import { readFileSync } from 'node:fs';
import { workerdPids } from './proc-tree.ts';

/**
 * workerd's memory over a soak: the summed RSS of the `wrangler dev`'s workerd processes every
 * few seconds (and, when an inspector is attached, the Worker isolate's V8 heap), with a verdict
 * on whether it stays flat once warmed up. RSS alone cannot tell our objects from workerd's own
 * memory; the heap beside it can: JS objects we keep alive show up in both.
 */

export interface MemoryPoint {
  /** Seconds since sampling started. */
  t: number;
  rssMiB: number;
  /** Of which anonymous memory (heaps, malloc: objects, caches) and file-backed pages (mapped files). */
  anonMiB: number;
  fileMiB: number;
  /** The Worker isolate's used V8 heap, when a heap probe was given. */
  heapMiB?: number;
}

type Key = 'rssMiB' | 'anonMiB' | 'fileMiB' | 'heapMiB';

export interface MemorySeries {
  points: MemoryPoint[];
  /** Times the workerd processes changed under us (wrangler dev reloads on a source change). */
  restarts: number;
  stop(): Promise<void>;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** VmRSS, RssAnon and RssFile of a process in MiB; undefined once it is gone. */
function rssOf(pid: number): { rss: number; anon: number; file: number } | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/**
 * Samples every `intervalMs` until stopped. A process that disappeared reads as 0 MiB, so the
 * pids are looked up again and the point after a restart is not mistaken for a drop.
 */
export function sampleMemory(
  persistTo: string,
  intervalMs: number,
  heapMiB?: () => Promise<number | undefined>,
): MemorySeries {
  let pids = workerdPids(persistTo);
  const t0 = performance.now();
  const series: MemorySeries = { points: [], restarts: 0, stop: async () => {} };
  let busy: Promise<void> = Promise.resolve();
  let stopped: Promise<void> | undefined;
  const sample = async () => {
    let now = pids.map(rssOf);
    if (now.some((r) => r === undefined)) {
      // Gone: a reload (counted), or the platform stopped before us (nothing left to sample).
      try {
        pids = workerdPids(persistTo);
      } catch {
        return;
      }
      series.restarts++;
      now = pids.map(rssOf);
    }
    const sum = (k: 'rss' | 'anon' | 'file') => round1(now.reduce((n, r) => n + (r?.[k] ?? 0), 0));
    const heap = await heapMiB?.().catch(() => undefined);
    series.points.push({
      t: Math.round((performance.now() - t0) / 1000),
      rssMiB: sum('rss'),
      anonMiB: sum('anon'),
      fileMiB: sum('file'),
      ...(heap !== undefined && { heapMiB: round1(heap) }),
    });
  };
  const timer = setInterval(() => (busy = busy.then(sample)), intervalMs);
  busy = sample();
  series.stop = () =>
    (stopped ??= (async () => {
      clearInterval(timer);
      await busy;
      await sample();
    })());
  return series;
}

/** One figure per `stepS` seconds (the mean of the points in it), for printing and the results JSON. */
export function compact(points: MemoryPoint[], key: Key, stepS = 30): { t: number; mib: number }[] {
  const buckets = new Map<number, number[]>();
  for (const p of points) {
    const v = p[key];
    if (v === undefined) continue;
    const b = Math.floor(p.t / stepS) * stepS;
    buckets.set(b, [...(buckets.get(b) ?? []), v]);
  }
  return [...buckets].map(([t, vs]) => ({ t, mib: round1(mean(vs)) }));
}

const mean = (vs: number[]) => vs.reduce((a, b) => a + b, 0) / Math.max(1, vs.length);

/** Least-squares slope of v over t, per minute. */
function slopePerMin(ps: { t: number; v: number }[]): number {
  const mt = mean(ps.map((p) => p.t));
  const mv = mean(ps.map((p) => p.v));
  const num = ps.reduce((a, p) => a + (p.t - mt) * (p.v - mv), 0);
  const den = ps.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60;
}

export interface Flatness {
  firstThirdMiB: number;
  middleThirdMiB: number;
  lastThirdMiB: number;
  /** Last third's mean against the middle third's, in %. */
  lastVsMiddlePct: number;
  /** Slope over the last two thirds (after warm-up), MiB per minute. */
  slopeMiBPerMin: number;
  /** The last third is at most 5 % (or 10 MiB, whichever is more) above the middle third. */
  flat: boolean;
}

/**
 * "Flat after warm-up": the first third of the run is warm-up (objects created, caches filled);
 * the last third's mean must not be more than 5 % above the middle third's. The slope over both says how
 * fast it would grow if it did not level off.
 */
export function flatness(points: MemoryPoint[], key: Key = 'rssMiB'): Flatness | undefined {
  const ps = points.filter((p) => p[key] !== undefined).map((p) => ({ t: p.t, v: p[key]! }));
  if (ps.length < 6) return undefined;
  const end = ps.at(-1)!.t;
  const third = (k: number) => ps.filter((p) => p.t >= (end * k) / 3 && (k === 2 || p.t < (end * (k + 1)) / 3));
  const [first, middle, last] = [0, 1, 2].map((k) => mean(third(k).map((p) => p.v)));
  const growth = last! - middle!;
  return {
    firstThirdMiB: round1(first!),
    middleThirdMiB: round1(middle!),
    lastThirdMiB: round1(last!),
    lastVsMiddlePct: round1((growth / middle!) * 100),
    slopeMiBPerMin: round1(slopePerMin(ps.filter((p) => p.t >= end / 3))),
    flat: growth <= Math.max(0.05 * middle!, 10),
  };
}

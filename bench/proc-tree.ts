/**
 * Finding a child's processes and sampling their memory. `VmHWM` (proc-stats.ts) is a peak
 * since the process started and never resets, so the peak during one phase of a long-lived
 * process (workerd during an export) has to be sampled from `VmRSS`.
 */
import { readFileSync, readdirSync } from 'node:fs';

const pids = () =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // The process ended while we looked.
  }
}

/** Every live descendant of `root`, from each process's parent in /proc/<pid>/stat. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const stat = readProc(pid, 'stat');
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const out: number[] = [];
  for (let todo = [root]; todo.length > 0;) {
    const next = children.get(todo.pop()!) ?? [];
    out.push(...next);
    todo.push(...next);
  }
  return out;
}

/** The first process whose command line holds every one of `parts`. */
export function findProcess(...parts: string[]): number | undefined {
  return pids().find((pid) => {
    const cmd = readProc(pid, 'cmdline')?.split('\0').join(' ');
    return cmd !== undefined && parts.every((p) => cmd.includes(p));
  });
}

/** workerd processes of the `wrangler dev` that keeps its state in `persistTo`. */
export function workerdPids(persistTo: string): number[] {
  const wrangler = findProcess('wrangler', ' dev ', persistTo);
  if (wrangler === undefined) throw new Error(`no wrangler dev process for ${persistTo}`);
  return descendants(wrangler).filter((pid) => readProc(pid, 'comm')?.trim() === 'workerd');
}

/** Resident set size now, in MiB (0 once the process is gone). */
export function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readProc(pid, 'status') ?? '')?.[1];
  return Number(kb ?? 0) / 1024;
}

/** Samples the summed RSS of `pids` every `intervalMs` until stopped; returns the peak. */
export function sampleRss(pids: number[], intervalMs = 100): { stop(): number } {
  const total = () => pids.reduce((n, pid) => n + rssMiB(pid), 0);
  let peak = total();
  const timer = setInterval(() => (peak = Math.max(peak, total())), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, total());
    },
  };
}

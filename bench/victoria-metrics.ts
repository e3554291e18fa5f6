import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { openSync, closeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { freePort } from '../scripts/local/free-port.ts';
import { findOrInstall as findOrInstallDebian } from './debian.ts';
import type { BenchContext } from './types.ts';

const gzipAsync = promisify(gzip);
const BINARY = 'victoria-metrics'; // Debian's name; upstream ships victoria-metrics-prod.
export const VM_LOG = join(tmpdir(), 'edgewatch-bench-vm.log');

/** The VictoriaMetrics binary, or why the peer is skipped. */
export const findOrInstall = (ctx: BenchContext) => findOrInstallDebian(ctx, BINARY, 'victoria-metrics');

export interface Vm {
  url: string;
  stop(): Promise<void>;
}

/** Starts VM on a free loopback port with throwaway storage; stop() also deletes the data. */
export async function startVm(ctx: BenchContext, bin: string): Promise<Vm> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-bench-vm-'));
  const port = await freePort();
  // One log, overwritten by each instance: it only matters when the last start or import failed.
  const logFd = openSync(VM_LOG, 'w');
  const child = spawn(
    bin,
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, 'data')}`,
      // Samples are up to ~1 day old; the default (1 month) would do, but be explicit.
      '-retentionPeriod=1y',
      // Count queries must see the newest samples rather than hide the last 30 s.
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-loggerLevel=WARN',
    ],
    { stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  ctx.defer(stop);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${BINARY} exited with ${child.exitCode}; see ${VM_LOG}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, stop };
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  throw new Error(`${BINARY} did not answer /health within 10 s`);
}

/**
 * JSON line import, returning the round trip in ms. VM answers 204 once the rows are in its
 * in-memory buffers, before they are on disk or searchable.
 */
export async function vmImport(url: string, lines: string, gz: boolean): Promise<number> {
  const body = gz ? await gzipAsync(lines, { level: 6 }) : lines;
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/import`, {
    method: 'POST',
    headers: gz ? { 'content-encoding': 'gzip' } : {},
    body,
  });
  const text = await res.text();
  if (res.status !== 204) throw new Error(`VM import: HTTP ${res.status} ${text.slice(0, 300)}`);
  return performance.now() - t0;
}

/** The installed version for the table, e.g. "1.79.x" from dpkg; undefined when unknown. */
export function vmVersion(): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'victoria-metrics'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout.replace(/\+.*$/, '') : undefined;
}

/** Samples VM can return for the benchmark's series, after forcing buffered rows to disk. */
export async function vmQueryableCount(url: string): Promise<number> {
  const flush = await fetch(`${url}/internal/force_flush`);
  await flush.text();
  if (!flush.ok) throw new Error(`VM force_flush: HTTP ${flush.status}`);
  const q = encodeURIComponent('sum(count_over_time({agent=~"bench-.+"}[3d]))');
  const res = await fetch(`${url}/api/v1/query?query=${q}&nocache=1`);
  const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  if (!res.ok) throw new Error(`VM query: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return Number(body.data?.result?.[0]?.value[1] ?? 0);
}

/** Polls until `expected` samples are queryable; returns the ms it took, or throws at the timeout. */
export async function waitQueryable(url: string, expected: number, timeoutMs = 30_000): Promise<number> {
  const start = performance.now();
  let got = 0;
  while (performance.now() - start < timeoutMs) {
    got = await vmQueryableCount(url);
    if (got >= expected) return performance.now() - start;
    await sleep(50);
  }
  throw new Error(`VM: only ${got}/${expected} samples queryable after ${timeoutMs / 1000} s`);
}

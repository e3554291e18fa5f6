import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { freePort } from '../scripts/local/free-port.ts';
import { startPeerProcess, waitReady } from './peer-process.ts';
import { findOrInstall as findOrInstallDebian } from './debian.ts';
import { dirBytes } from './disk.ts';
import type { BenchContext } from './types.ts';

const gzipAsync = promisify(gzip);
const BINARY = 'victoria-metrics'; // Debian's name; upstream ships victoria-metrics-prod.
export const VM_LOG = join(tmpdir(), 'edgewatch-bench-vm.log');

/** The VictoriaMetrics binary, or why the peer is skipped. */
export const findOrInstall = (ctx: BenchContext) => findOrInstallDebian(ctx, BINARY, 'victoria-metrics');

export interface Vm {
  url: string;
  /** The process, for RSS sampling. */
  pid: number;
  /** `-storageDataPath`, for bytes at rest. */
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts VM on a free loopback port with throwaway storage; stop() also deletes the data. */
export async function startVm(ctx: BenchContext, bin: string): Promise<Vm> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-bench-vm-'));
  const dataDir = join(dir, 'data');
  const port = await freePort();
  const peer = startPeerProcess(
    ctx,
    bin,
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dataDir}`,
      // Samples are up to ~31 days old (the query benchmark); the default (1 month) would cut them.
      '-retentionPeriod=1y',
      // Count queries must see the newest samples rather than hide the last 30 s.
      '-search.latencyOffset=0s',
      '-search.disableCache',
      '-loggerLevel=WARN',
    ],
    { log: VM_LOG, dir },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(peer, BINARY, VM_LOG, async () => (await fetch(`${url}/health`)).ok);
  return { url, pid: peer.child.pid!, dataDir, stop: peer.stop };
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

async function vmInternal(url: string, what: 'force_flush' | 'force_merge'): Promise<void> {
  const res = await fetch(`${url}/internal/${what}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`VM ${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
}

/** Makes buffered rows searchable. In 1.79 the new parts stay in memory a few seconds before they are files. */
export const vmForceFlush = (url: string) => vmInternal(url, 'force_flush');
/** Merges every partition's parts (no `partition_prefix`: all of them); 1.79 answers when the merge is done. */
export const vmForceMerge = (url: string) => vmInternal(url, 'force_merge');

/** Samples VM can return for the benchmark's series, after forcing buffered rows to disk. */
export async function vmQueryableCount(url: string): Promise<number> {
  await vmForceFlush(url);
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

export interface VmSeries {
  metric: Record<string, string>;
  /** [unix seconds, value as text] */
  values: Array<[number, string]>;
}

/** `/api/v1/query_range` as the URL path and query, so callers can time it with their own client. */
export function vmQueryRangePath(query: string, startMs: number, endMs: number, step: string): string {
  const q = new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step });
  return `/api/v1/query_range?${q}`;
}

/** The series of a `query_range` answer; throws on an error status. */
export function vmMatrix(text: string): VmSeries[] {
  const body = JSON.parse(text) as { status: string; error?: string; data?: { result: VmSeries[] } };
  if (body.status !== 'success' || !body.data) throw new Error(`VM query_range: ${body.error ?? text.slice(0, 300)}`);
  return body.data.result;
}

/**
 * Runs the peer's half of a benchmark, or says why it did not run: a missing or broken peer
 * must not hide Edgewatch's own figures.
 */
export async function runVmPeer<T>(ctx: BenchContext, run: (bin: string) => Promise<T>): Promise<T | string> {
  const found = findOrInstall(ctx);
  if ('skip' in found) return `skipped: ${found.skip}`;
  try {
    return await run(found.bin);
  } catch (err) {
    ctx.log(`  VictoriaMetrics failed: ${(err as Error).message}`);
    return `failed: ${(err as Error).message}`;
  }
}

export interface VmStored {
  /** Rows in storage parts, in memory or on disk (`vm_rows`, small + big). */
  rows: number;
  /** `vm_data_size_bytes` of those parts and of the index. */
  dataBytes: number;
  indexBytes: number;
}

/** What VM itself reports about its storage, from `/metrics`. */
export async function vmStored(url: string): Promise<VmStored> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sum = (metric: string, type: RegExp) =>
    [...text.matchAll(new RegExp(`^${metric}\\{type="([^"]+)"\\} (\\S+)$`, 'gm'))]
      .filter((m) => type.test(m[1]!))
      .reduce((n, m) => n + Number(m[2]), 0);
  return {
    rows: sum('vm_rows', /^storage\//),
    dataBytes: sum('vm_data_size_bytes', /^storage\//),
    indexBytes: sum('vm_data_size_bytes', /^indexdb/),
  };
}

/**
 * Flushes, then waits until all `expected` rows are in parts and the data folder holds just
 * those parts: 1.79 keeps freshly flushed parts in memory (searchable, not on disk) for a few
 * seconds, and after a merge the replaced parts stay on disk a moment longer.
 */
export async function vmWaitOnDisk(vm: Vm, expected: number, timeoutMs = 60_000): Promise<VmStored> {
  const start = performance.now();
  await vmForceFlush(vm.url);
  for (;;) {
    const stored = await vmStored(vm.url);
    const data = dirBytes(join(vm.dataDir, 'data')).bytes;
    const settled = data >= stored.dataBytes && data <= stored.dataBytes * 1.1 + 65_536;
    if (stored.rows >= expected && settled && dirBytes(join(vm.dataDir, 'indexdb')).bytes >= stored.indexBytes)
      return stored;
    if (performance.now() - start > timeoutMs)
      throw new Error(`VM: ${stored.rows}/${expected} rows, parts not all on disk after ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

/**
 * InfluxDB 1.6 (Debian `influxdb`) as a second ingest and storage peer: our own `influxd` with a
 * throwaway config and data folder, line protocol in through `/write`, InfluxQL out through
 * `/query`. stop() ends the process and deletes its data; it is registered with the run's
 * cleanup, so a failure or Ctrl-C stops it too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { freePort } from '../scripts/local/free-port.ts';
import { startPeerProcess, waitReady } from './peer-process.ts';
import { findOrInstall as findOrInstallDebian } from './debian.ts';
import type { Sample } from './series.ts';
import type { BenchContext } from './types.ts';

const gzipAsync = promisify(gzip);
export const INFLUX_LOG = join(tmpdir(), 'edgewatch-bench-influxdb.log');
export const INFLUX_DB = 'bench';

/** The `influxd` binary, or why the peer is skipped. */
export const findInfluxd = (ctx: BenchContext) => findOrInstallDebian(ctx, 'influxd', 'influxdb');

export interface Influx {
  url: string;
  pid: number;
  /** `[data] dir` (TSM files) and `[data] wal-dir`: what bytes at rest are measured on. */
  dataDir: string;
  walDir: string;
  stop(): Promise<void>;
}

export interface InfluxOptions {
  /**
   * How long a shard takes no writes before its cache is snapshotted to TSM and before it is
   * fully compacted. The defaults (10 min, 4 h) are InfluxDB's; the storage benchmark shortens
   * them so the state it measures is reached in seconds rather than hours.
   */
  snapshotColdAfter?: string;
  compactColdAfter?: string;
}

/**
 * Everything under `dir`, HTTP on a loopback port, every other listener (UDP, graphite,
 * collectd, opentsdb) off, and nothing that writes on its own: no `_internal` monitor database,
 * no continuous queries, no retention or shard-precreation services, no usage reporting.
 * `wal-fsync-delay = "0s"` is InfluxDB's default: the WAL is fsynced before each write is
 * acknowledged, as Edgewatch's ack waits for durable storage.
 */
function config(dir: string, httpPort: number, rpcPort: number, o: InfluxOptions): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  index-version = "inmem"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "${o.snapshotColdAfter ?? '10m'}"
  compact-full-write-cold-duration = "${o.compactColdAfter ?? '4h'}"

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true

[continuous_queries]
  enabled = false
`;
}

/** Starts influxd on free loopback ports with throwaway storage and creates the bench database. */
export async function startInflux(ctx: BenchContext, bin: string, o: InfluxOptions = {}): Promise<Influx> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-bench-influxdb-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'influxdb.conf');
  await writeFile(conf, config(dir, httpPort, rpcPort, o));
  const peer = startPeerProcess(ctx, bin, ['-config', conf], { log: INFLUX_LOG, dir });
  const url = `http://127.0.0.1:${httpPort}`;
  await waitReady(peer, 'influxd', INFLUX_LOG, async () => (await fetch(`${url}/ping`)).status === 204);
  await influxQuery(url, `CREATE DATABASE ${INFLUX_DB}`, 'POST');
  return { url, pid: peer.child.pid!, dataDir: join(dir, 'data'), walDir: join(dir, 'wal'), stop: peer.stop };
}

/** The installed version for the table, e.g. "1.6.7" from dpkg; undefined when unknown. */
export function influxVersion(): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'influxdb'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout.replace(/[~+].*$/, '') : undefined;
}

// Line protocol escaping: measurement names escape commas and spaces; tag keys and values also `=`.
const escMeasurement = (s: string) => s.replace(/[, \\]/g, (c) => `\\${c}`);
const escTag = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);

/**
 * The samples as line protocol at ms precision: the metric is the measurement, the device an
 * `agent` tag beside the sample's labels (as for VictoriaMetrics), the value one float field.
 */
export function toLineProtocol(samples: Sample[], device: string): string {
  let out = '';
  for (const s of samples) {
    let key = `${escMeasurement(s.metric)},agent=${escTag(device)}`;
    // Tags in key order, as InfluxDB recommends (it would sort them itself otherwise).
    if (s.labels) for (const k of Object.keys(s.labels).sort()) key += `,${escTag(k)}=${escTag(s.labels[k]!)}`;
    // A float field whatever the value: an integer literal would need an `i` suffix and type the field.
    const float = Number.isInteger(s.value) && Math.abs(s.value) < 1e21 ? `${s.value}.0` : String(s.value);
    out += `${key} value=${float} ${s.ts}\n`;
  }
  return out;
}

/**
 * `/write` with line protocol at ms precision, returning the round trip in ms. InfluxDB answers
 * 204 once the points are in its WAL (fsynced, with the default `wal-fsync-delay`) and in its
 * in-memory cache, which queries read: acked points are durable and queryable.
 */
export async function influxWrite(url: string, lines: string, gz: boolean): Promise<number> {
  const body = gz ? await gzipAsync(lines, { level: 6 }) : lines;
  const t0 = performance.now();
  const res = await fetch(`${url}/write?db=${INFLUX_DB}&precision=ms`, {
    method: 'POST',
    headers: gz ? { 'content-encoding': 'gzip' } : {},
    body,
  });
  const text = await res.text();
  if (res.status !== 204) throw new Error(`InfluxDB write: HTTP ${res.status} ${text.slice(0, 300)}`);
  return performance.now() - t0;
}

interface InfluxSeries {
  name: string;
  columns: string[];
  values: unknown[][];
}

/** One InfluxQL statement through `/query` (POST for statements that change things); its series. */
export async function influxQuery(url: string, q: string, method: 'GET' | 'POST' = 'GET'): Promise<InfluxSeries[]> {
  const params = new URLSearchParams({ db: INFLUX_DB, q, epoch: 'ms' });
  const res = await fetch(`${url}/query?${params}`, { method });
  const text = await res.text();
  const body = JSON.parse(text) as { error?: string; results?: Array<{ error?: string; series?: InfluxSeries[] }> };
  const err = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`InfluxDB query ${q}: HTTP ${res.status} ${err ?? text.slice(0, 300)}`);
  return body.results?.flatMap((r) => r.series ?? []) ?? [];
}

/** Samples InfluxDB can return for the agents matching `agentRe`: `count(value)` summed over every measurement. */
export async function influxCount(url: string, agentRe: string): Promise<number> {
  const series = await influxQuery(url, `SELECT count(value) FROM /.*/ WHERE agent =~ /${agentRe}/`);
  return series.reduce((n, s) => n + Number(s.values[0]?.[1] ?? 0), 0);
}

/** Polls until `expected` samples count; returns the ms it took, or throws at the timeout. */
export async function influxWaitQueryable(
  url: string,
  agentRe: string,
  expected: number,
  timeoutMs = 60_000,
): Promise<number> {
  const start = performance.now();
  let got = 0;
  while (performance.now() - start < timeoutMs) {
    got = await influxCount(url, agentRe);
    if (got >= expected) return performance.now() - start;
    await sleep(50);
  }
  throw new Error(`InfluxDB: only ${got}/${expected} samples queryable after ${timeoutMs / 1000} s`);
}

/** The engine's own figures from `/debug/vars`, summed over shards. */
export async function influxEngineStats(url: string): Promise<{ cacheBytes: number; compactionsActive: number }> {
  const vars = (await (await fetch(`${url}/debug/vars`)).json()) as Record<
    string,
    { name?: string; values?: Record<string, number> }
  >;
  let [cacheBytes, compactionsActive] = [0, 0];
  for (const v of Object.values(vars)) {
    if (v?.name === 'tsm1_cache') cacheBytes += v.values?.memBytes ?? 0;
    if (v?.name === 'tsm1_engine')
      for (const [k, n] of Object.entries(v.values ?? {}))
        if (/Active$/.test(k) && /ompaction/.test(k)) compactionsActive += n;
  }
  return { cacheBytes, compactionsActive };
}

/**
 * Runs the peer's half of a benchmark, or says why it did not run: a missing or broken peer
 * must not hide Edgewatch's own figures.
 */
export async function runInfluxPeer<T>(ctx: BenchContext, run: (bin: string) => Promise<T>): Promise<T | string> {
  const found = findInfluxd(ctx);
  if ('skip' in found) {
    ctx.log(`  InfluxDB skipped: ${found.skip}`);
    return `skipped: ${found.skip}`;
  }
  try {
    return await run(found.bin);
  } catch (err) {
    ctx.log(`  InfluxDB failed: ${(err as Error).message}`);
    return `failed: ${(err as Error).message}`;
  }
}

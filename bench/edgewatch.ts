import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ROOT } from '../scripts/local/wrangler.ts';
import { startLocalPlatform, type LocalPlatform, type LocalPlatformOptions } from '../test/e2e/local-platform.ts';
import type { Sample } from './series.ts';
import type { BenchContext } from './types.ts';

const gzipAsync = promisify(gzip);
export const WORKER_LOG = join(tmpdir(), 'edgewatch-bench-worker.log');

/**
 * wrangler refuses to start when the assets folder is missing. Build it if `scripts/build.ts`
 * offers `buildAll`; otherwise put a placeholder there for this run only (ingest never serves it).
 */
async function ensureDashboardAssets(ctx: BenchContext): Promise<void> {
  const dist = join(ROOT, 'workers/dashboard/dist');
  if (existsSync(dist)) return;
  const buildPath = join(ROOT, 'scripts/build.ts');
  const build = existsSync(buildPath)
    ? ((await import(pathToFileURL(buildPath).href)) as { buildAll?: () => Promise<unknown> })
    : {};
  if (typeof build.buildAll === 'function') {
    ctx.log('  building the dashboard (workers/dashboard/dist is missing)…');
    await build.buildAll();
    return;
  }
  ctx.log('  workers/dashboard/dist is missing and buildAll is not exported: using a placeholder');
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>bench placeholder</title>\n');
  ctx.defer(() => rm(dist, { recursive: true, force: true }));
}

/** A fresh migrated and seeded platform, stopped and deleted by the context's cleanup. */
export async function startPlatform(ctx: BenchContext, options?: LocalPlatformOptions): Promise<LocalPlatform> {
  await ensureDashboardAssets(ctx);
  const platform = await startLocalPlatform(options);
  const stop = async () => {
    // Keep the Worker's log past the temp dir's deletion, for restarts or errors seen in the run.
    await copyFile(join(platform.dir, 'worker.log'), WORKER_LOG).catch(() => {});
    await platform.stop();
  };
  ctx.defer(stop);
  return { ...platform, stop };
}

export interface Device {
  deviceId: string;
  deviceToken: string;
}

export async function enroll(url: string, token: string, name: string): Promise<Device> {
  const res = await fetch(`${url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, name }),
  });
  if (res.status !== 201) throw new Error(`enroll ${name}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Device;
}

/** The series-grouped body's `series` (as the agent sends it): one entry per series, points in order. */
export function groupSamples(samples: Sample[]) {
  const bySeries = new Map<string, { metric: string; labels?: Record<string, string>; points: [number, number][] }>();
  for (const s of samples) {
    const key = s.metric + JSON.stringify(s.labels ?? {});
    let entry = bySeries.get(key);
    if (!entry)
      bySeries.set(key, (entry = { metric: s.metric, ...(s.labels ? { labels: s.labels } : {}), points: [] }));
    entry.points.push([s.ts, s.value]);
  }
  return [...bySeries.values()];
}

/** Times wrangler dev restarted the Worker under us (it reloads when a source file changes). */
export let workerRestarts = 0;

/**
 * Posts one batch, returning its round trip in ms, and checks the ack: Edgewatch answers 200
 * only once the batch is durable, so an ack with every sample accepted is the end-to-end signal.
 * A batch cut off by a Worker restart is resent with the same id, as the agent would; then a
 * duplicate ack is fine, since the first attempt may have landed.
 */
export async function ingest(
  url: string,
  device: Device,
  batchId: string,
  samples: Sample[],
  gz: boolean,
  grouped = false,
) {
  const json = JSON.stringify(grouped ? { batchId, series: groupSamples(samples) } : { batchId, samples });
  const headers: Record<string, string> = {
    authorization: `Bearer ${device.deviceToken}`,
    'content-type': 'application/json',
  };
  if (gz) headers['content-encoding'] = 'gzip';
  const body = gz ? await gzipAsync(json, { level: 6 }) : json;
  const t0 = performance.now();
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${url}/v1/ingest`, { method: 'POST', headers, body });
    const text = await res.text();
    if (res.status === 503 && /restarted/i.test(text) && attempt < 5) {
      workerRestarts++;
      continue;
    }
    if (res.status !== 200) throw new Error(`ingest ${batchId}: HTTP ${res.status} ${text.slice(0, 300)}`);
    const ack = JSON.parse(text) as { accepted: number; duplicate: boolean };
    const ok = ack.duplicate ? attempt > 1 : ack.accepted === samples.length;
    if (!ok)
      throw new Error(`ingest ${batchId}: accepted ${ack.accepted}/${samples.length}, duplicate ${ack.duplicate}`);
    return performance.now() - t0;
  }
}

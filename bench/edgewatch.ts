import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ROOT } from '../scripts/local/wrangler.ts';
import { startLocalPlatform, type LocalPlatform } from '../test/e2e/local-platform.ts';
import type { Sample } from './series.ts';
import type { BenchContext } from './types.ts';

const gzipAsync = promisify(gzip);

/**
 * wrangler refuses to start when the assets folder is missing. Build it if `scripts/build.ts`
 * offers `buildAll`; otherwise put a placeholder there for this run only (ingest never serves it).
 */
async function ensureDashboardAssets(ctx: BenchContext): Promise<void> {
  const dist = join(ROOT, 'workers/dashboard/dist');
  if (existsSync(dist)) return;
  const buildPath = join(ROOT, 'scripts/build.ts');
  const build = existsSync(buildPath) ? ((await import(buildPath)) as { buildAll?: () => Promise<unknown> }) : {};
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
export async function startPlatform(ctx: BenchContext): Promise<LocalPlatform> {
  await ensureDashboardAssets(ctx);
  const platform = await startLocalPlatform();
  ctx.defer(() => platform.stop());
  return platform;
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

/**
 * Posts one batch and checks the ack: Edgewatch answers 200 only once the batch is durable,
 * so an ack with every sample accepted is the end-to-end signal.
 */
export async function ingest(url: string, device: Device, batchId: string, samples: Sample[], gz: boolean) {
  const json = JSON.stringify({ batchId, samples });
  const headers: Record<string, string> = {
    authorization: `Bearer ${device.deviceToken}`,
    'content-type': 'application/json',
  };
  if (gz) headers['content-encoding'] = 'gzip';
  const res = await fetch(`${url}/v1/ingest`, {
    method: 'POST',
    headers,
    body: gz ? await gzipAsync(json, { level: 6 }) : json,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`ingest ${batchId}: HTTP ${res.status} ${text.slice(0, 300)}`);
  const ack = JSON.parse(text) as { accepted: number; duplicate: boolean };
  if (ack.duplicate || ack.accepted !== samples.length) {
    throw new Error(`ingest ${batchId}: accepted ${ack.accepted}/${samples.length}, duplicate ${ack.duplicate}`);
  }
  return json.length;
}

import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { freePort } from '../scripts/local/free-port.ts';
import { newSeed, seedSql, type Seed } from '../scripts/local/seed.ts';
import { executeLocal, migrateLocal, startWorker } from '../scripts/local/wrangler.ts';
import { settle, signInFromPage } from '../test/e2e/watched-page.ts';
import type { BenchContext } from './types.ts';

/** What the fleet benchmark measured in the page. */
export interface FleetFigures {
  devices: number;
  /** Seconds from navigation until the first device's name was on screen. */
  firstRowSeconds: number;
  frames: number[];
  samplesSent: number;
  heapUsedMiB: number;
  /** `performance.memory.usedJSHeapSize`, Chromium's own coarse figure. */
  performanceMemoryMiB: number | null;
}

export const FLEET_DEVICES = Number(process.env.BENCH_DASHBOARD_DEVICES ?? 1000);
const MEASURE_MS = Number(process.env.BENCH_DASHBOARD_SECONDS ?? 10) * 1000;
/** Each simulated device reports every 5 s, like an agent on a short interval. */
const DEVICE_PERIOD_MS = 5000;
const FRAME_EVERY_MS = 50;

const deviceId = (i: number) => `dev_bench${String(i).padStart(5, '0')}`;
const deviceName = (i: number) => `bench-${String(i).padStart(4, '0')}`;
const seriesId = (dev: string, metric: string) =>
  `s_${createHash('sha256').update(`${dev}\0${metric}`).digest('hex').slice(0, 24)}`;

/** The devices as rows of D1 (inserting them is faster than 1,000 enrollments), 100 a statement. */
function devicesSql(seed: Seed, now: number): string {
  const statements: string[] = [];
  for (let from = 0; from < FLEET_DEVICES; from += 100) {
    const rows = Array.from(
      { length: Math.min(100, FLEET_DEVICES - from) },
      (_, k) =>
        `('${deviceId(from + k)}', '${seed.orgId}', '${deviceName(from + k)}', 'host', '${randomUUID()}', '["bench"]', '0.1.0', ${now}, ${now})`,
    );
    statements.push(
      `INSERT INTO devices (id, org_id, name, kind, token_hash, tags, agent_version, last_seen_at, created_at) VALUES ${rows.join(', ')};`,
    );
  }
  return statements.join('\n');
}

/** One device's batch as the stream delivers it: the values the fleet table shows. */
function batch(orgId: string, i: number, ts: number) {
  const dev = deviceId(i);
  const wave = Math.sin(ts / 10_000 + i);
  const values: Array<[string, Record<string, string>, number]> = [
    ['cpu_usage_percent', {}, 40 + 30 * wave],
    ['mem_used_bytes', {}, (4 + wave) * 2 ** 30],
    ['mem_total_bytes', {}, 8 * 2 ** 30],
    ['disk_used_percent', { mount: '/' }, 60 + 5 * wave],
    ['net_rx_bytes_per_second', { interface: 'eth0' }, 1e5 * (1 + wave)],
    ['net_tx_bytes_per_second', { interface: 'eth0' }, 3e4 * (1 + wave)],
    ['load1', {}, 1 + wave],
    ['temperature_celsius', { sensor: 'cpu' }, 50 + 5 * wave],
    ['host_uptime_seconds', {}, 86_400 + ts / 1000],
  ];
  return values.map(([metric, labels, value]) => ({
    subject: `org.${orgId}.site._.device.${dev}.metric.${metric}`,
    seriesId: seriesId(dev, metric + JSON.stringify(labels)),
    deviceId: dev,
    metric,
    labels,
    ts,
    value,
  }));
}

/**
 * Plays the stream server to the page: welcome, subscribed, pong; `feed` then pushes data
 * frames as if the whole fleet were reporting. The page's code runs unchanged.
 */
function fakeStream(orgId: string) {
  const sockets: WebSocketRoute[] = [];
  const epoch = randomUUID();
  let seq = 1;
  let sent = 0;
  const handler = (ws: WebSocketRoute) => {
    sockets.push(ws);
    ws.onMessage((raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; id?: string; subject?: string };
      if (msg.type === 'hello') ws.send(JSON.stringify({ type: 'welcome', v: 1, epoch, seq, resumed: false }));
      if (msg.type === 'subscribe') ws.send(JSON.stringify({ type: 'subscribed', id: msg.id, subject: msg.subject }));
      if (msg.type === 'ping') ws.send('{"type":"pong"}');
    });
  };
  let next = 0;
  const perFrame = Math.max(1, Math.round((FLEET_DEVICES * FRAME_EVERY_MS) / DEVICE_PERIOD_MS));
  const tick = () => {
    const ts = Date.now();
    const samples = Array.from({ length: perFrame }, (_, k) => batch(orgId, (next + k) % FLEET_DEVICES, ts)).flat();
    next = (next + perFrame) % FLEET_DEVICES;
    seq += 1;
    for (const ws of sockets) ws.send(JSON.stringify({ type: 'data', seq, epoch, samples }));
    sent += samples.length * sockets.length;
  };
  return { handler, sockets, start: () => setInterval(tick, FRAME_EVERY_MS), sent: () => sent };
}

/** Animation-frame intervals recorded in the page over `ms`. */
const recordFrames = (page: Page, ms: number) =>
  page.evaluate<number[]>(`new Promise((done) => {
    const out = []; let last = performance.now(); const end = last + ${ms};
    const step = (now) => { out.push(now - last); last = now; now < end ? requestAnimationFrame(step) : done(out); };
    requestAnimationFrame(step);
  })`);

/** The fleet page with 1,000 devices receiving live values: frame times and heap. */
export async function measureFleet(browser: Browser, ctx: BenchContext): Promise<FleetFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-bench-dashboard-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const persistTo = join(dir, 'state');
  await migrateLocal(persistTo);
  const seed = newSeed();
  const now = Date.now();
  await writeFile(join(dir, 'seed.sql'), `${await seedSql(seed, now)}\n${devicesSql(seed, now)}`);
  await executeLocal(persistTo, join(dir, 'seed.sql'));
  const port = await freePort();
  const worker = await startWorker({ port, persistTo, logFile: join(dir, 'worker.log') });
  ctx.defer(() => worker.stop());
  const url = `http://127.0.0.1:${port}`;

  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  ctx.defer(() => context.close());
  const stream = fakeStream(seed.orgId);
  await context.routeWebSocket(/\/v1\/stream$/, stream.handler);
  const page = await context.newPage();
  await page.goto(url);
  await settle(page, 60_000);
  await signInFromPage(page, seed.email, seed.password);
  const t0 = performance.now();
  await page.goto(url);
  await page.getByText(deviceName(0), { exact: true }).first().waitFor({ timeout: 60_000 });
  const firstRowSeconds = (performance.now() - t0) / 1000;
  ctx.log(`  fleet: ${FLEET_DEVICES} devices listed in ${firstRowSeconds.toFixed(1)} s; streaming live values`);

  const timer = stream.start();
  ctx.defer(() => clearInterval(timer));
  const frames = await recordFrames(page, MEASURE_MS);
  clearInterval(timer);
  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  const perfMemory = await page.evaluate<number | null>('performance.memory?.usedJSHeapSize ?? null');
  return {
    devices: FLEET_DEVICES,
    firstRowSeconds,
    frames,
    samplesSent: stream.sent(),
    heapUsedMiB: heap / 2 ** 20,
    performanceMemoryMiB: perfMemory === null ? null : perfMemory / 2 ** 20,
  };
}

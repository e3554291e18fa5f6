import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../scripts/local/free-port.ts';
import { startPlatform } from './edgewatch.ts';
import { percentile } from './load.ts';
import { enrollFleet, newFleetStats, startFleet } from './soak-fleet.ts';
import { heapProbe } from './soak-heap.ts';
import { workerSocketUrl } from './worker-socket.ts';
import { compact, flatness, sampleMemory } from './soak-memory.ts';
import { startViewers, undelivered, type ViewerStats } from './soak-viewers.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';

/**
 * `npm run bench -- load`: a bounded load and soak on loopback (issue 15). A fleet of agents
 * (HTTPS and MQTT) each send one realistic batch every interval on its own phase, while stream
 * viewers each follow a few devices; it reports every error, ingest and delivery latency, and
 * workerd's memory over time with a verdict on whether it stays flat after warm-up.
 */

const env = (name: string, fallback: number) => Number(process.env[`EDGEWATCH_LOAD_${name}`] ?? fallback);
// The issue's load by default; shorter runs for development through the environment.
const SECONDS = env('SECONDS', 600);
const AGENTS = env('AGENTS', 1000);
const MQTT_AGENTS = env('MQTT_AGENTS', Math.round(AGENTS / 5));
const VIEWERS = env('VIEWERS', 500);
const DEVICES_PER_VIEWER = env('DEVICES_PER_VIEWER', 4);
const SERIES = env('SERIES', 60);
const INTERVAL_MS = env('INTERVAL_SECONDS', 10) * 1000;
const SAMPLE_MS = env('SAMPLE_SECONDS', 5) * 1000;
/** Viewers are spread over this many read-only API keys, as over several users (and relays). */
const KEYS = env('KEYS', 10);
/** After the load stops, memory is followed this long more, to see whether it comes back down. */
const COOLDOWN_MS = env('COOLDOWN_SECONDS', 30) * 1000;
/** `<publish shards>x<relays>`, comma-separated for several runs, e.g. `1x1,3x2`. */
const LAYOUTS = (process.env.EDGEWATCH_LOAD_LAYOUTS ?? '1x1').split(',').map((l) => l.trim());
/** Sample the Worker isolate's V8 heap through the inspector beside RSS (0 to leave it detached). */
const HEAP = env('HEAP', 1) !== 0;
/**
 * `proxy` (default): agents and viewers go through wrangler dev's proxy, as `npm start` serves
 * them. `socket`: straight to the Worker's own workerd socket, as a deployed Worker is reached;
 * the proxy queues requests for minutes and runs out of file descriptors at 800 HTTPS agents.
 */
const VIA = process.env.EDGEWATCH_LOAD_VIA ?? 'proxy';

async function readKeys(url: string, admin: string, n: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `soak viewer ${i}`, scopes: ['read'] }),
    });
    if (res.status !== 201) throw new Error(`create API key: HTTP ${res.status} ${await res.text()}`);
    keys.push(((await res.json()) as { key: string }).key);
  }
  return keys;
}

const errorTotal = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const p = (vs: number[], q: number) => Math.round(percentile(vs, q) * 10) / 10;

async function soak(ctx: BenchContext, layout: string): Promise<Row[]> {
  const [shards, relays] = layout.split('x').map(Number);
  const inspectorPort = HEAP ? await freePort() : undefined;
  const vars = { STREAM_PUBLISH_SHARDS: String(shards ?? 1), STREAM_RELAYS: String(relays ?? 1) };
  const platform = await startPlatform(ctx, { vars, inspectorPort });
  const heap = inspectorPort === undefined ? undefined : await heapProbe(inspectorPort);
  if (heap) ctx.defer(() => heap.close());
  const idle = sampleMemory(platform.persistTo, 1000, heap && (() => heap.usedMiB()));
  await idle.stop();
  const baseline = idle.points.at(-1)!;

  const url = VIA === 'socket' ? await workerSocketUrl(platform) : platform.url;
  if (!url) throw new Error("EDGEWATCH_LOAD_VIA=socket: the Worker's own socket was not found");
  ctx.log(`  enrolling ${AGENTS} agents…`);
  const devices = await enrollFleet(url, platform.seed.enrollmentToken, AGENTS);
  const keys = await readKeys(url, platform.seed.apiKey, KEYS);
  const viewerStats: ViewerStats = { deliveryMs: [], errors: new Map(), firstErrors: [], measuring: false, frames: 0 };
  const fleetStats = newFleetStats(AGENTS);
  const memory = sampleMemory(platform.persistTo, SAMPLE_MS, heap && (() => heap.usedMiB()));
  ctx.defer(() => memory.stop());

  const viewers = await startViewers(
    ctx,
    {
      url,
      orgId: platform.seed.orgId,
      keys,
      devices,
      viewers: VIEWERS,
      devicesPerViewer: DEVICES_PER_VIEWER,
    },
    viewerStats,
  );
  ctx.log(`  ${VIEWERS} viewers subscribed; starting ${AGENTS - MQTT_AGENTS} HTTPS and ${MQTT_AGENTS} MQTT agents`);
  const https = AGENTS - MQTT_AGENTS;
  const fleet = await startFleet(ctx, { url, devices, https, series: SERIES, intervalMs: INTERVAL_MS }, fleetStats);

  // Latencies from after the first minute (or tenth of the run): every object exists by then.
  const warmupMs = Math.min(60_000, (SECONDS * 1000) / 10);
  const t0 = performance.now();
  const progress = setInterval(() => {
    const last = memory.points.at(-1);
    const acked = fleetStats.acked.reduce((n, a) => n + a.length, 0);
    const errors = errorTotal(fleetStats.errors) + errorTotal(viewerStats.errors);
    const heapNote = last?.heapMiB === undefined ? '' : `, V8 heap ${last.heapMiB} MiB`;
    ctx.log(
      `    ${Math.round((performance.now() - t0) / 1000)} s: ${acked} batches acked, ${viewerStats.frames} frames to viewers, ${errors} errors; workerd ${last?.rssMiB} MiB${heapNote}`,
    );
  }, 30_000);
  ctx.defer(() => clearInterval(progress));
  await sleep(warmupMs);
  fleetStats.measuring = viewerStats.measuring = true;
  await sleep(SECONDS * 1000 - warmupMs);
  await fleet.stop();
  // The last batches' frames are on their way: wait until nothing more arrives.
  for (let last = -1; viewerStats.frames !== last;) {
    last = viewerStats.frames;
    await sleep(2000);
  }
  clearInterval(progress);
  const loadEnd = memory.points.length;
  for (const v of viewers) v.client.close();
  const overruns = viewers.reduce((n, v) => n + v.client.stats().overruns, 0);
  const duplicates = viewers.reduce((n, v) => n + v.client.stats().duplicates, 0);
  await sleep(COOLDOWN_MS);
  await memory.stop();

  heap?.close();
  // wrangler dev reloads the Worker in the same workerd when a source file changes (another
  // engineer's edit): every object restarts, so memory and errors after it are not this load's.
  const log = await readFile(join(platform.dir, 'worker.log'), 'utf8').catch(() => '');
  const reloads = log.split('Reloading local server').length - 1;
  const crashes = log.split('The Workers runtime crashed').length - 1;
  // The next layout's run measures a fresh platform alone.
  await platform.stop();

  const loss = undelivered(viewers, fleetStats.acked, SERIES);
  const errors: Record<string, number> = {
    ...Object.fromEntries(fleetStats.errors),
    ...Object.fromEntries(viewerStats.errors),
    ...(loss.lost && { 'stream batch lost': loss.lost }),
    ...(loss.incomplete && { 'stream batch incomplete': loss.incomplete }),
    ...(overruns && { 'stream credit overrun': overruns }),
    ...(duplicates && { 'stream duplicate frame': duplicates }),
    ...(memory.restarts && { 'workerd restarted': memory.restarts }),
    ...(reloads && { 'Worker reloaded (a source file changed)': reloads }),
    ...(crashes && { 'workerd crashed (wrangler restarted it)': crashes }),
  };
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  for (const e of [...fleetStats.firstErrors, ...viewerStats.firstErrors]) ctx.log(`  error: ${e}`);

  const during = memory.points.slice(0, loadEnd);
  const rss = compact(during, 'rssMiB');
  const heapSeries = compact(during, 'heapMiB');
  const cooldown = memory.points.slice(loadEnd);
  const verdict = flatness(during, 'rssMiB');
  const anonVerdict = flatness(during, 'anonMiB');
  const heapVerdict = flatness(during, 'heapMiB');
  const acked = fleetStats.acked.reduce((n, a) => n + a.length, 0);
  const seconds = (performance.now() - t0) / 1000;
  const tag = `${shards} shard(s), ${relays} relay(s), via ${VIA === 'socket' ? "the Worker's socket" : "wrangler dev's proxy"}`;
  const load = `${https} HTTPS + ${MQTT_AGENTS} MQTT agents × ${SERIES} series every ${INTERVAL_MS / 1000} s, ${VIEWERS} viewers × ${DEVICES_PER_VIEWER} devices, ${SECONDS} s`;

  ctx.log(`  ${load}; ${tag}`);
  ctx.log(`  errors: ${errorCount}${errorCount ? ` ${JSON.stringify(errors)}` : ''}`);
  ctx.log(
    `  ingest HTTPS p50 ${p(fleetStats.httpsMs, 50)} ms, p99 ${p(fleetStats.httpsMs, 99)} ms (${fleetStats.httpsMs.length} batches)`,
  );
  ctx.log(
    `  ingest MQTT PUBACK p50 ${p(fleetStats.mqttMs, 50)} ms, p99 ${p(fleetStats.mqttMs, 99)} ms (${fleetStats.mqttMs.length} batches)`,
  );
  ctx.log(
    `  delivery (sample ts → viewer) p50 ${p(viewerStats.deliveryMs, 50)} ms, p99 ${p(viewerStats.deliveryMs, 99)} ms; ${loss.expected} batch deliveries expected, ${loss.lost} lost, ${loss.incomplete} incomplete`,
  );
  ctx.log(
    `  workerd RSS before enrolment ${baseline.rssMiB} MiB; every 30 s under load (MiB): ${rss.map((r) => r.mib).join(' ')}`,
  );
  const anon = compact(during, 'anonMiB').map((r) => r.mib);
  const file = compact(during, 'fileMiB').map((r) => r.mib);
  ctx.log(`  of which anonymous: ${anon.join(' ')}; file-backed: ${file.join(' ')}`);
  if (heapSeries.length)
    ctx.log(`  V8 heap (MiB, before ${baseline.heapMiB}): ${heapSeries.map((r) => r.mib).join(' ')}`);
  ctx.log(
    `  after the load (MiB RSS / heap): ${cooldown.map((c) => `${c.t}s ${c.rssMiB}/${c.heapMiB ?? '-'}`).join(', ')}`,
  );
  const judge = (f: typeof verdict, what: string) =>
    f
      ? `${what} thirds ${f.firstThirdMiB} / ${f.middleThirdMiB} / ${f.lastThirdMiB} MiB, last vs middle ${f.lastVsMiddlePct} %, slope ${f.slopeMiBPerMin} MiB/min: ${f.flat ? 'flat after warm-up' : 'GROWING'}`
      : `${what}: too few points to judge`;
  ctx.log(`  ${judge(verdict, 'RSS')}`);
  ctx.log(`  ${judge(anonVerdict, 'anonymous RSS')}`);
  if (heapVerdict) ctx.log(`  ${judge(heapVerdict, 'V8 heap')}`);

  const common = { benchmark: 'load' };
  const errNote = `${errorCount} errors`;
  return [
    {
      ...common,
      system: `Edgewatch ingest HTTPS (${layout})`,
      samplesPerSec: Math.round((acked * SERIES) / seconds),
      p50Ms: p(fleetStats.httpsMs, 50),
      p99Ms: p(fleetStats.httpsMs, 99),
      notes: `${load}; ${acked} batches acked (both transports); ${errNote}`,
      extra: {
        errors,
        firstErrors: [...fleetStats.firstErrors, ...viewerStats.firstErrors],
        layout: { shards, relays },
      },
    },
    {
      ...common,
      system: `Edgewatch ingest MQTT PUBACK (${layout})`,
      p50Ms: p(fleetStats.mqttMs, 50),
      p99Ms: p(fleetStats.mqttMs, 99),
      notes: `${MQTT_AGENTS} agents, MQTT 5 QoS 1, ${fleetStats.mqttMs.length} batches after warm-up`,
    },
    {
      ...common,
      system: `Edgewatch delivery ts → viewer (${layout})`,
      p50Ms: p(viewerStats.deliveryMs, 50),
      p99Ms: p(viewerStats.deliveryMs, 99),
      notes: `${VIEWERS} viewers; ${loss.expected} batch deliveries, ${loss.lost} lost, ${loss.incomplete} incomplete`,
      extra: { ...loss, frames: viewerStats.frames },
    },
    {
      ...common,
      system: `Edgewatch workerd memory (${layout})`,
      peakRssMiB: Math.max(...during.map((pt) => pt.rssMiB)),
      notes: verdict ? judge(verdict, 'RSS') : 'too short to judge',
      extra: {
        baseline,
        rssEvery30s: rss,
        heapEvery30s: heapSeries,
        cooldown,
        rss: verdict,
        anon: anonVerdict,
        heap: heapVerdict,
        samples: during,
      },
    },
  ];
}

export const loadBench: BenchModule = {
  name: 'load',
  async run(ctx) {
    const rows: Row[] = [];
    for (const layout of LAYOUTS) rows.push(...(await soak(ctx, layout)));
    return rows;
  },
};

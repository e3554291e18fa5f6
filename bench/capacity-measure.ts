import { connectAsync, type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { mqttTopics } from '../schema/wire/mqtt.ts';
import { createStreamClient, type StreamClient } from '../clients/stream/src/index.ts';
import { enroll, ingest, startPlatform, type Device } from './edgewatch.ts';
import { join } from 'node:path';
import { sqliteFiles, sqliteTables } from './disk.ts';
import { cpuSeconds } from './proc-stats.ts';
import { workerdPids } from './proc-tree.ts';
import type { BenchContext } from './types.ts';

/**
 * Measures what one device and one viewer cost, locally, at the agent's default interval:
 * devices (HTTPS and MQTT) send a batch every interval and poll their config every minute,
 * viewers follow the whole org, and the
 * Worker's own counters (METER, services/meter) count D1 statements and rows and the calls
 * into each Durable Object class over a steady window after a warm-up.
 */

export interface MeasureOptions {
  httpsDevices: number;
  mqttDevices: number;
  viewers: number;
  /** Series in each batch, one sample each. */
  series: number;
  intervalMs: number;
  /** How often each device polls its config and host notices with its ETag, as the agent does (60 s by default). */
  configPollMs: number;
  warmupMs: number;
  windowMs: number;
  /** `[vars]` for this run, e.g. a sharded stream layout. */
  vars?: Record<string, string>;
}

export interface Measured {
  options: MeasureOptions;
  windowSeconds: number;
  /** Batches acknowledged in the window (HTTPS 200 or MQTT PUBACK). */
  batches: number;
  /** Config polls answered in the window, and how many of them were 304 (nothing new). */
  configPolls: number;
  configPolls304: number;
  /** The Worker's counters over the window. */
  counters: Record<string, number>;
  /** Cron runs in the window (the bench triggers them at the production cadence, scaled). */
  cronRuns: number;
  /** workerd CPU seconds over the window, less what it burned idle for as long before the load. */
  cpuSeconds: number;
  idleCpuSeconds: number;
  viewerFrames: number;
  viewerBytes: number;
  /** Raw bytes per stored sample, as the devices' objects report them to D1. */
  rawBytesPerSample: number | null;
  /** D1 pages of the device and series tables (with their indexes) per device, by dbstat. */
  d1BytesPerDevice: number;
  errors: string[];
}

async function readKey(url: string, adminKey: string, name: string): Promise<string> {
  const res = await fetch(`${url}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, scopes: ['read'] }),
  });
  if (res.status !== 201) throw new Error(`create API key ${name}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** The production cron runs every 5 minutes; the window is shorter, so it runs it once. */
const CRON = '*/5 * * * *';

export async function measureUnits(ctx: BenchContext, o: MeasureOptions): Promise<Measured> {
  const platform = await startPlatform(ctx, { vars: { ...o.vars, METER: 'true' }, testScheduled: true });
  const errors: string[] = [];
  const fail = (what: string) => (err: unknown) => void (errors.length < 20 && errors.push(`${what}: ${String(err)}`));
  const devices: Device[] = [];
  for (let i = 0; i < o.httpsDevices + o.mqttDevices; i++) {
    devices.push(await enroll(platform.url, platform.seed.enrollmentToken, `capacity-${i}`));
  }
  const pids = workerdPids(platform.persistTo);
  const cpu = () => {
    try {
      return pids.reduce((n, pid) => n + cpuSeconds(pid), 0);
    } catch {
      // wrangler dev starts a new workerd when a source file changes, and the counters start again.
      throw new Error('workerd restarted during the measurement (did a source file change?); run it again');
    }
  };
  // The idle floor: what wrangler dev and workerd burn with nothing to do, over as long as the window.
  const idle0 = cpu();
  await sleep(o.windowMs / 4);
  const idleCpuSeconds = (cpu() - idle0) * 4;

  const mqtt: MqttClient[] = [];
  ctx.defer(() => Promise.all(mqtt.map((c) => c.endAsync(true))).then(() => undefined));
  for (const d of devices.slice(o.httpsDevices)) {
    mqtt.push(
      await connectAsync(`${platform.url.replace('http', 'ws')}/mqtt`, {
        username: d.deviceId,
        password: d.deviceToken,
        clientId: `edgewatch-${d.deviceId}`,
        protocolVersion: 4,
        reconnectPeriod: 0,
      }),
    );
  }

  const viewers: StreamClient[] = [];
  ctx.defer(() => viewers.forEach((v) => v.close()));
  let viewerFrames = 0;
  let viewerBytes = 0;
  let counting = false;
  for (let k = 0; k < o.viewers; k++) {
    // A key each, as separate users would have: a relay is chosen by credential.
    const key = await readKey(platform.url, platform.seed.apiKey, `capacity-viewer-${k}`);
    const v = createStreamClient({
      url: `${platform.url.replace('http', 'ws')}/v1/stream`,
      headers: { authorization: `Bearer ${key}` },
      window: 1000,
      onData: (frame) => {
        if (!counting) return;
        viewerFrames++;
        viewerBytes += JSON.stringify(frame).length;
      },
      onError: (err) => fail(`viewer ${k}`)(`${err.code}: ${err.message}`),
    });
    v.subscribe('all', `org.${platform.seed.orgId}.**`);
    viewers.push(v);
  }

  let batches = 0;
  let stopping = false;
  const metrics = Array.from({ length: o.series }, (_, i) => `capacity_series_${i}`);
  const batchOf = (d: number, n: number) => {
    const ts = Date.now();
    return { batchId: `cap-${d}-${n}`, samples: metrics.map((metric, i) => ({ metric, ts, value: d + n + i / 10 })) };
  };
  // Each device on its own phase of the interval, as a fleet's agents are.
  const loops = devices.map(async (device, d) => {
    await sleep((o.intervalMs * d) / devices.length);
    for (let n = 0; !stopping; n++) {
      const started = Date.now();
      const batch = batchOf(d, n);
      try {
        if (d < o.httpsDevices) await ingest(platform.url, device, batch.batchId, batch.samples, true);
        else
          await mqtt[d - o.httpsDevices]!.publishAsync(mqttTopics(device.deviceId).ingest, JSON.stringify(batch), {
            qos: 1,
          });
        if (counting) batches++;
      } catch (err) {
        fail(`device ${d}`)(err);
      }
      await sleep(Math.max(0, o.intervalMs - (Date.now() - started)));
    }
  });

  // Every agent, over HTTPS or MQTT, also polls `GET /v1/agents/config` with its ETag (MQTT
  // agents get changes pushed besides); each on its own phase of the poll interval.
  let configPolls = 0;
  let configPolls304 = 0;
  // The first poll goes at once, as an agent's does when it starts (without an ETag), so the
  // hubs' copies are built in the warm-up; the window sees the steady polls.
  const polls = devices.map(async (device, d) => {
    let etag: string | null = null;
    for (let n = 0; !stopping; n++) {
      if (n === 1) await sleep((o.configPollMs * d) / devices.length);
      const started = Date.now();
      try {
        const res = await fetch(`${platform.url}/v1/agents/config`, {
          headers: { authorization: `Bearer ${device.deviceToken}`, ...(etag ? { 'if-none-match': etag } : {}) },
        });
        await res.arrayBuffer();
        if (res.status !== 200 && res.status !== 304) throw new Error(`config poll: HTTP ${res.status}`);
        etag = res.headers.get('etag') ?? etag;
        if (counting) {
          configPolls++;
          if (res.status === 304) configPolls304++;
        }
      } catch (err) {
        fail(`config poll ${d}`)(err);
      }
      if (n > 0) await sleep(Math.max(0, o.configPollMs - (Date.now() - started)));
    }
  });

  // However the window ends, the senders stop: a sender left running keeps the bench alive.
  ctx.defer(async () => {
    stopping = true;
    await Promise.all([...loops, ...polls]);
  });
  await sleep(o.warmupMs);
  await fetch(`${platform.url}/health/meter?reset=true`);
  const cpu0 = cpu();
  counting = true;
  await sleep(o.windowMs / 2);
  const cron = await fetch(`${platform.url}/__scheduled?cron=${encodeURIComponent(CRON)}`);
  if (!cron.ok) fail('cron')(`HTTP ${cron.status}`);
  await sleep(o.windowMs / 2);
  counting = false;
  const meter = (await (await fetch(`${platform.url}/health/meter`)).json()) as {
    since: number;
    at: number;
    counters: Record<string, number>;
  };
  const cpuWindow = cpu() - cpu0;

  const summary = (await (
    await fetch(`${platform.url}/v1/summary`, { headers: { authorization: `Bearer ${platform.seed.apiKey}` } })
  ).json()) as { storage: { rawBytes: number; rawSamples: number } };
  const { rawBytes, rawSamples } = summary.storage;
  const d1 = sqliteFiles(join(platform.persistTo, 'v3/d1/miniflare-D1DatabaseObject'));
  const tables = d1.length === 1 ? await sqliteTables(d1[0]!) : new Map<string, { bytes: number }>();
  const relational = (tables.get('devices')?.bytes ?? 0) + (tables.get('series')?.bytes ?? 0);
  return {
    options: o,
    windowSeconds: (meter.at - meter.since) / 1000,
    batches,
    configPolls,
    configPolls304,
    counters: meter.counters,
    cronRuns: 1,
    cpuSeconds: Math.max(0, cpuWindow - idleCpuSeconds),
    idleCpuSeconds,
    viewerFrames,
    viewerBytes,
    rawBytesPerSample: rawSamples > 0 ? rawBytes / rawSamples : null,
    d1BytesPerDevice: relational / devices.length,
    errors,
  };
}

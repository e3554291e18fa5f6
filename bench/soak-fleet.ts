import { connectAsync, type MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { mqttTopics } from '../schema/wire/mqtt.ts';
import { enroll, groupSamples, type Device } from './edgewatch.ts';
import type { Sample } from './series.ts';
import type { BenchContext } from './types.ts';

/**
 * The soak's simulated agents: HTTPS and MQTT devices, each sending one batch of `series`
 * samples (one per series, the same timestamp) every interval on its own phase, as the agent
 * does (gzip-compressed, series-grouped body; MQTT 5 at QoS 1, so a refused batch comes back
 * as a PUBACK reason code rather than a silent close).
 */

const gzipAsync = promisify(gzip);
/** A batch not acknowledged within this counts as failed, and its loop goes on (an agent would resend). */
const SEND_TIMEOUT_MS = 30_000;

/** Rejects after `ms`, leaving `p` to settle on its own (mqtt.js ends it when the client is closed). */
function within<T>(p: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = () =>
      reject(new Error(signal.aborted ? 'still unacknowledged when the run ended' : `no ack within ${ms / 1000} s`));
    const timer = setTimeout(fail, ms);
    signal.addEventListener('abort', () => setTimeout(fail, 5000), { once: true });
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/**
 * One HTTPS batch as the agent sends it, given up (and its request aborted) after the timeout:
 * a request left open would hold a socket in the bench and in workerd for as long as the
 * Worker takes, and an overloaded Worker then runs out of file descriptors.
 */
async function post(url: string, device: Device, batchId: string, samples: Sample[]) {
  const body = await gzipAsync(JSON.stringify({ batchId, series: groupSamples(samples) }));
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/ingest`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${device.deviceToken}`,
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    },
    body,
    // Not cut short when the run ends: a batch in flight then is still this run's to count.
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status} ${text.slice(0, 200)}`);
  const { accepted } = JSON.parse(text) as { accepted: number };
  if (accepted !== samples.length) throw new Error(`accepted ${accepted}/${samples.length}`);
  return performance.now() - t0;
}

/** Host-like series: 15 metrics × 4 label values, the shape of the agent's default collectors. */
const METRICS: [string, string][] = [
  ['cpu_usage_percent', 'core'],
  ['cpu_iowait_percent', 'core'],
  ['disk_used_bytes', 'mount'],
  ['disk_free_bytes', 'mount'],
  ['disk_inodes_used', 'mount'],
  ['diskio_read_bytes_total', 'device'],
  ['diskio_write_bytes_total', 'device'],
  ['net_rx_bytes_total', 'iface'],
  ['net_tx_bytes_total', 'iface'],
  ['net_rx_errors_total', 'iface'],
  ['temperature_celsius', 'sensor'],
  ['memory_bytes', 'kind'],
  ['load_average', 'window'],
  ['process_count', 'state'],
  ['fan_rpm', 'fan'],
];

export function batchSamples(series: number, device: number, n: number, ts: number): Sample[] {
  return Array.from({ length: series }, (_, i) => {
    const [metric, label] = METRICS[i % METRICS.length]!;
    const value = Math.round((50 + 40 * Math.sin((n + device + i) / 7)) * 100) / 100;
    return { metric, labels: { [label]: String(Math.floor(i / METRICS.length)) }, ts, value };
  });
}

/** Enrolls `count` devices, a few at a time (one at a time would take minutes for 1,000). */
export async function enrollFleet(url: string, token: string, count: number, parallel = 8): Promise<Device[]> {
  const devices: Device[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let d = next++; d < count; d = next++) devices[d] = await enroll(url, token, `soak-${d}`);
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return devices;
}

export interface FleetStats {
  /** Round trips of acknowledged batches after warm-up, ms. */
  httpsMs: number[];
  mqttMs: number[];
  /** Per device: the sample ts of every acknowledged batch (its identity for the viewers). */
  acked: number[][];
  errors: Map<string, number>;
  firstErrors: string[];
  /** Set once warm-up is over: latencies are kept from then on; errors always count. */
  measuring: boolean;
}

export function newFleetStats(devices: number): FleetStats {
  return {
    httpsMs: [],
    mqttMs: [],
    acked: Array.from({ length: devices }, () => []),
    errors: new Map(),
    firstErrors: [],
    measuring: false,
  };
}

export function countError(s: { errors: Map<string, number>; firstErrors: string[] }, kind: string, detail: unknown) {
  s.errors.set(kind, (s.errors.get(kind) ?? 0) + 1);
  if (s.firstErrors.length < 10) s.firstErrors.push(`${kind}: ${String(detail).slice(0, 200)}`);
}

export interface FleetOptions {
  url: string;
  devices: Device[];
  /** The first `https` devices send over HTTPS, the rest over MQTT. */
  https: number;
  series: number;
  intervalMs: number;
}

/**
 * Connects the MQTT devices, then starts every device's send loop. `stop()` ends the loops
 * (a pending pacing wait is cut short) and the connections, and resolves once all are done.
 */
export async function startFleet(
  ctx: BenchContext,
  o: FleetOptions,
  stats: FleetStats,
): Promise<{ stop(): Promise<void> }> {
  const halt = new AbortController();
  const mqtt = new Map<number, MqttClient>();
  const loops: Promise<void>[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      halt.abort();
      await Promise.all(loops);
      await Promise.all([...mqtt.values()].map((c) => c.endAsync(true)));
    })());
  ctx.defer(stop);
  for (let d = o.https; d < o.devices.length; d++) {
    const device = o.devices[d]!;
    const client = await connectAsync(`${o.url.replace('http', 'ws')}/mqtt`, {
      username: device.deviceId,
      password: device.deviceToken,
      clientId: `edgewatch-${device.deviceId}`,
      protocolVersion: 5,
      reconnectPeriod: 0,
    });
    // With no reconnect, a close before the end is a lost agent connection: an error of the run.
    client.on('close', () => halt.signal.aborted || countError(stats, 'mqtt close', device.deviceId));
    client.on('error', (err) => countError(stats, 'mqtt error', err.message));
    mqtt.set(d, client);
  }
  const send = async (d: number, n: number) => {
    const ts = Date.now();
    const device = o.devices[d]!;
    const samples = batchSamples(o.series, d, n, ts);
    const batchId = `soak-${d}-${n}`;
    const client = mqtt.get(d);
    try {
      let ms: number;
      if (!client) ms = await post(o.url, device, batchId, samples);
      else {
        const body = await gzipAsync(JSON.stringify({ batchId, series: groupSamples(samples) }));
        const t0 = performance.now();
        // mqtt.js rejects on a PUBACK reason code ≥ 0x80 (refused, quota, could not store).
        const topic = mqttTopics(device.deviceId).ingest;
        await within(client.publishAsync(topic, body, { qos: 1 }), SEND_TIMEOUT_MS, halt.signal);
        ms = performance.now() - t0;
      }
      stats.acked[d]!.push(ts);
      if (stats.measuring) (client ? stats.mqttMs : stats.httpsMs).push(ms);
    } catch (err) {
      countError(stats, client ? 'mqtt publish' : 'https ingest', err instanceof Error ? err.message : err);
    }
  };
  const paced = async (d: number) => {
    const start = performance.now() + (o.intervalMs * d) / o.devices.length;
    for (let n = 0; !halt.signal.aborted; n++) {
      // On schedule, not after the previous batch: a slow ack does not shift the phase for good.
      const wait = start + n * o.intervalMs - performance.now();
      if (wait > 0) await sleep(wait, undefined, { signal: halt.signal }).catch(() => {});
      if (halt.signal.aborted) return;
      await send(d, n);
    }
  };
  for (let d = 0; d < o.devices.length; d++) loops.push(paced(d));
  return { stop };
}

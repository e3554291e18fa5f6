import { createStreamClient, type DataFrame, type StreamClient } from '../clients/stream/src/index.ts';
import type { Device } from './edgewatch.ts';
import { countError } from './soak-fleet.ts';
import type { BenchContext } from './types.ts';

/**
 * The soak's stream viewers: each follows a handful of devices (one subscription per device,
 * `org.<org>.*.*.device.<id>.**`), as a dashboard page of a few devices does, rather than the
 * whole org. Every viewer records when each batch of its devices arrived, so the run can tell
 * delivery latency (receipt − the batch's sample ts, which is its send time) and any batch
 * that was acknowledged but never delivered.
 */

export interface ViewerStats {
  /** Receipt − sample ts, ms, one figure per device batch per viewer, after warm-up. */
  deliveryMs: number[];
  errors: Map<string, number>;
  firstErrors: string[];
  measuring: boolean;
  frames: number;
}

export interface Viewer {
  client: StreamClient;
  /** Device index → the time its subscription was confirmed. */
  since: Map<number, number>;
  /** `<device index>:<ts>` → samples received of that batch. */
  got: Map<string, number>;
}

export interface ViewerOptions {
  url: string;
  orgId: string;
  /** API keys to spread viewers over (a relay is chosen per credential). */
  keys: string[];
  devices: Device[];
  viewers: number;
  devicesPerViewer: number;
}

export const followed = (k: number, o: { devicesPerViewer: number }, devices: number) =>
  Array.from({ length: o.devicesPerViewer }, (_, j) => (k * o.devicesPerViewer + j) % devices);

export async function startViewers(ctx: BenchContext, o: ViewerOptions, stats: ViewerStats): Promise<Viewer[]> {
  const index = new Map(o.devices.map((d, i) => [d.deviceId, i]));
  const viewers: Viewer[] = [];
  ctx.defer(() => viewers.forEach((v) => v.client.close()));
  const onData = (v: Viewer) => (frame: DataFrame) => {
    const now = Date.now();
    stats.frames++;
    if (frame.conflated) countError(stats, 'stream conflated frame', frame.seq);
    // A frame holds whole device batches: one latency figure per batch, not per sample.
    const batches = new Map<string, { ts: number; n: number }>();
    for (const s of frame.samples) {
      const key = `${index.get(s.deviceId)}:${s.ts}`;
      const b = batches.get(key) ?? { ts: s.ts, n: 0 };
      b.n++;
      batches.set(key, b);
    }
    for (const [key, b] of batches) {
      if (stats.measuring) stats.deliveryMs.push(now - b.ts);
      v.got.set(key, (v.got.get(key) ?? 0) + b.n);
    }
  };
  // A few at a time, each waiting for its subscriptions: 500 upgrades at once would only queue.
  const group = 25;
  for (let k0 = 0; k0 < o.viewers; k0 += group) {
    const ready: Promise<void>[] = [];
    for (let k = k0; k < Math.min(o.viewers, k0 + group); k++) {
      const v: Viewer = { since: new Map(), got: new Map() } as Viewer;
      v.client = createStreamClient({
        url: `${o.url.replace('http', 'ws')}/v1/stream`,
        headers: { authorization: `Bearer ${o.keys[k % o.keys.length]}` },
        window: 1000,
        onData: onData(v),
        onError: (err) => countError(stats, `stream error ${err.code}`, err.message),
        onGap: (gap) => countError(stats, `stream gap ${gap.reason}`, `viewer ${k}`),
        onState: (state, info) => {
          if (state === 'reconnecting' && info.code !== undefined)
            countError(stats, `stream close ${info.code}`, `viewer ${k}: ${info.reason ?? ''}`);
        },
      });
      viewers.push(v);
      for (const d of followed(k, o, o.devices.length)) {
        const subject = `org.${o.orgId}.*.*.device.${o.devices[d]!.deviceId}.**`;
        ready.push(v.client.subscribe(`d${d}`, subject).then(() => void v.since.set(d, Date.now())));
      }
    }
    await Promise.all(ready);
  }
  return viewers;
}

/**
 * Batches acknowledged after a viewer's subscription was confirmed that it never received
 * (lost), or received only in part (incomplete: conflated, or cut).
 */
export function undelivered(viewers: Viewer[], acked: number[][], series: number) {
  let expected = 0;
  let lost = 0;
  let incomplete = 0;
  for (const v of viewers) {
    for (const [d, since] of v.since) {
      for (const ts of acked[d]!) {
        if (ts <= since) continue;
        expected++;
        const n = v.got.get(`${d}:${ts}`) ?? 0;
        if (n === 0) lost++;
        else if (n < series) incomplete++;
      }
    }
  }
  return { expected, lost, incomplete };
}

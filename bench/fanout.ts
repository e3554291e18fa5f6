import { connectAsync, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { createStreamClient, type StreamClient } from '../clients/stream/src/index.ts';
import { findOrInstall } from './debian.ts';
import { enroll, ingest, startPlatform, workerRestarts } from './edgewatch.ts';
import { Receipts, publishPaced, type Delivery } from './fanout-load.ts';
import { startMosquitto } from './mosquitto.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';

// Overridable for trial runs; the documented figures use the defaults.
const SUBSCRIBERS = Number(process.env.BENCH_FANOUT_SUBSCRIBERS ?? 100);
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_FANOUT_SECONDS ?? 15);
const METRIC = 'fanout_probe';
const PUBLISHER_DEVICES = 4;
const TOPIC = 'bench/fanout';

/** One publisher → 100 WebSocket subscribers through the local Worker's ChannelHub. */
async function edgewatch(ctx: BenchContext): Promise<Delivery> {
  const platform = await startPlatform(ctx);
  // The publisher rotates over several devices so that 100 batches/s stays under each device's
  // ingest rate limit (600 a minute); the subscribers see one stream either way.
  const publishers = await Promise.all(
    Array.from({ length: PUBLISHER_DEVICES }, (_, d) =>
      enroll(platform.url, platform.seed.enrollmentToken, `fanout-publisher-${d}`),
    ),
  );
  const receipts = new Receipts(SUBSCRIBERS);
  const clients: StreamClient[] = [];
  ctx.defer(() => clients.forEach((c) => c.close()));
  let errors = 0;
  let gaps = 0;
  const closes: Record<string, number> = {};
  for (let k = 0; k < SUBSCRIBERS; k++) {
    const client = createStreamClient({
      url: `${platform.url.replace('http', 'ws')}/v1/stream`,
      headers: { authorization: `Bearer ${platform.seed.apiKey}` },
      // Generous, so flow control never throttles a subscriber that keeps up.
      window: 1000,
      onData: (frame) => {
        for (const s of frame.samples) if (s.metric === METRIC) receipts.record(k, s.value, s.ts);
      },
      onState: (state, info) => {
        if (state !== 'reconnecting' || info.code === undefined) return;
        const key = `${info.code} ${info.reason ?? ''}`.trim();
        if ((closes[key] = (closes[key] ?? 0) + 1) === 1) ctx.log(`  subscriber ${k} reconnecting after close ${key}`);
      },
      onGap: () => void gaps++,
      onError: (err) => void (errors++ < 3 && ctx.log(`  subscriber ${k}: ${err.code}: ${err.message}`)),
    });
    client.subscribe('all', `org.${platform.seed.orgId}.**`);
    clients.push(client);
  }
  const send = (i: number, ts: number) =>
    ingest(
      platform.url,
      // Warm-up messages have negative indices.
      publishers[Math.abs(i) % PUBLISHER_DEVICES]!,
      `fanout-${i}-${ts}`,
      [{ metric: METRIC, ts, value: i }],
      false,
    ).then(() => {});
  const result = await publishPaced(ctx, 'edgewatch', receipts, send, { rate: RATE, seconds: SECONDS });
  const stats = clients.map((c) => c.stats());
  // Nothing of this run may keep using CPU (or reconnect) while mosquitto is measured.
  for (const c of clients) c.close();
  await platform.stop();
  return {
    ...result,
    extra: {
      reconnects: stats.reduce((n, s) => n + s.connections - 1, 0),
      creditOverruns: stats.reduce((n, s) => n + s.overruns, 0),
      closes,
      gaps,
      workerRestarts,
      errors,
    },
  };
}

/** The same load through our own mosquitto: publish QoS 1 (acked, like ingest), subscribers QoS 0. */
async function mosquitto(ctx: BenchContext, bin: string): Promise<Delivery> {
  const broker = await startMosquitto(ctx, bin);
  const receipts = new Receipts(SUBSCRIBERS);
  const clients: MqttClient[] = [];
  ctx.defer(() => Promise.all(clients.map((c) => c.endAsync(true))).then(() => {}));
  const opts = { reconnectPeriod: 0, clean: true };
  for (let k = 0; k < SUBSCRIBERS; k++) {
    const sub = await connectAsync(broker.url, { ...opts, clientId: `fanout-sub-${k}` });
    clients.push(sub);
    sub.on('message', (_topic, payload) => {
      const frame = JSON.parse(payload.toString()) as { samples: { ts: number; value: number }[] };
      for (const s of frame.samples) receipts.record(k, s.value, s.ts);
    });
    await sub.subscribeAsync(TOPIC, { qos: 0 });
  }
  const pub = await connectAsync(broker.url, { ...opts, clientId: 'fanout-pub' });
  clients.push(pub);
  // The payload is a stream data frame with ids as long as the platform's, so bytes on the wire compare.
  const [org, site, dev] = [randomUUID(), randomUUID(), randomUUID()];
  const subject = `org.${org}.site.${site}.device.${dev}.metric.${METRIC}`;
  const epoch = randomUUID();
  const send = async (i: number, ts: number) => {
    const sample = { subject, seriesId: randomUUID(), deviceId: dev, metric: METRIC, labels: {}, ts, value: i };
    const frame = JSON.stringify({ type: 'data', seq: i + 1000, epoch, samples: [sample] });
    await pub.publishAsync(TOPIC, frame, { qos: 1 });
  };
  return publishPaced(ctx, 'mosquitto', receipts, send, { rate: RATE, seconds: SECONDS });
}

function row(system: string, d: Delivery, notes: string, ratio?: number): Row {
  return {
    benchmark: 'fanout',
    system,
    samplesPerSec: Math.round(d.deliveredPerSec),
    p50Ms: d.p50Ms,
    p99Ms: d.p99Ms,
    ...(ratio !== undefined && { ratio }),
    notes: `${d.sent} msgs × ${SUBSCRIBERS} subs at ${d.publishedPerSec}/s, ${d.delivered} delivered${notes}`,
    extra: {
      ...d.extra,
      targetRate: RATE,
      seconds: SECONDS,
      publishP50Ms: d.publishP50Ms,
      afterAck: d.afterAck,
      lost: d.lost,
    },
  };
}

/** What the hub adds to the ingest acknowledgement: delivery at a subscriber − the ack at the publisher. */
function afterAckRow(d: Delivery, peer: string): Row {
  return {
    benchmark: 'fanout',
    system: 'Edgewatch: delivery after the ingest ack',
    p50Ms: d.afterAck.p50Ms,
    p99Ms: d.afterAck.p99Ms,
    notes: `each receipt's time − its message's ingest ack (one machine's clock); goal p50 ≤ 3 ms${peer}`,
  };
}

export const fanoutBench: BenchModule = {
  name: 'fanout',
  async run(ctx) {
    ctx.log(`  ${SUBSCRIBERS} subscribers, ${RATE} msgs/s for ${SECONDS} s, 1 sample per message`);
    const ew = await edgewatch(ctx);
    const x = ew.extra as { reconnects: number; gaps: number };
    const churn = x.reconnects || x.gaps ? `; ${x.reconnects} reconnects, ${x.gaps} gaps` : '';
    const peer = findOrInstall(ctx, 'mosquitto', 'mosquitto');
    if ('skip' in peer)
      return [row('Edgewatch (WebSocket)', ew, `${churn}; mosquitto skipped: ${peer.skip}`), afterAckRow(ew, '')];
    const mq = await mosquitto(ctx, peer.bin);
    const r = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const latency = `; p50 ${r(ew.p50Ms, mq.p50Ms)}×, p99 ${r(ew.p99Ms, mq.p99Ms)}× mosquitto's`;
    return [
      row('Edgewatch (WebSocket)', ew, `${churn}${latency}; ratio = msgs/s`, r(ew.deliveredPerSec, mq.deliveredPerSec)),
      afterAckRow(ew, `; mosquitto after PUBACK: p50 ${mq.afterAck.p50Ms} ms, p99 ${mq.afterAck.p99Ms} ms`),
      row('mosquitto 2 (MQTT, pub QoS 1, sub QoS 0)', mq, ''),
    ];
  },
};

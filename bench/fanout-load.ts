import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from './types.ts';

/** What one system's fan-out run measured. */
export interface Delivery {
  sent: number;
  delivered: number;
  lost: number;
  /** Messages received by all subscribers together ÷ (last receipt − first send). */
  deliveredPerSec: number;
  /** Receive time − the sample's ts (its send time), over every receipt. */
  p50Ms: number;
  p99Ms: number;
  /** The publisher's acknowledgement round trip (ingest 200, MQTT PUBACK). */
  publishP50Ms: number;
  /**
   * Receive time − the time the publisher got that message's acknowledgement, over every
   * receipt: what delivery adds after the ack (negative when a frame beat the ack).
   */
  afterAck: { p50Ms: number; p99Ms: number };
  /** Messages acknowledged ÷ the publishing phase's wall time: below the target when acks lag. */
  publishedPerSec: number;
  extra?: Record<string, unknown>;
}

/** Receipts of all subscribers. Warm-up messages carry a negative value and are not measured. */
export class Receipts {
  readonly warm = new Set<number>();
  readonly latencies: number[] = [];
  /** Message index → receive times (Date.now()), to compare with its ack time afterwards. */
  readonly receivedAt = new Map<number, number[]>();
  lastReceive = 0;
  readonly subscribers: number;

  constructor(subscribers: number) {
    this.subscribers = subscribers;
  }

  record(subscriber: number, value: number, ts: number): void {
    const now = Date.now();
    if (value < 0) {
      this.warm.add(subscriber);
      return;
    }
    this.latencies.push(now - ts);
    this.lastReceive = now;
    const times = this.receivedAt.get(value);
    if (times) times.push(now);
    else this.receivedAt.set(value, [now]);
  }
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/**
 * Warms up until every subscriber has received a message, then publishes `rate` messages/s for
 * `seconds` on a fixed schedule (open loop, at most 16 in flight, so a slow ack delays sends
 * rather than silently lowering the rate), then waits for the deliveries to drain.
 */
export async function publishPaced(
  ctx: BenchContext,
  name: string,
  receipts: Receipts,
  send: (i: number, ts: number) => Promise<void>,
  load: { rate: number; seconds: number },
): Promise<Delivery> {
  for (let j = 1; receipts.warm.size < receipts.subscribers; j++) {
    if (j > 60)
      throw new Error(`${name}: only ${receipts.warm.size}/${receipts.subscribers} subscribers got the warm-up`);
    await send(-j, Date.now());
    await sleep(250);
  }
  ctx.log(`  ${name}: ${receipts.subscribers} subscribers receiving; publishing`);
  const total = Math.round(load.rate * load.seconds);
  const inFlight = new Set<Promise<void>>();
  const acks: number[] = [];
  // Both clocks are this machine's: the ack's and the subscribers' Date.now().
  const ackedAt = new Map<number, number>();
  const startWall = Date.now();
  const t0 = performance.now();
  let nextLog = t0 + 5000;
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / load.rate - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight.size >= 16) await Promise.race(inFlight);
    const sentAt = performance.now();
    const p: Promise<void> = send(i, Date.now()).then(() => {
      ackedAt.set(i, Date.now());
      acks.push(performance.now() - sentAt);
    });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    if (performance.now() > nextLog) {
      nextLog += 5000;
      ctx.log(`  ${name}: ${i + 1}/${total} sent, ${receipts.latencies.length} received`);
    }
  }
  await Promise.all(inFlight);
  const publishSeconds = (performance.now() - t0) / 1000;
  // Drain: stop once everything arrived, or nothing more did for 3 s.
  const expected = total * receipts.subscribers;
  for (let last = -1, idle = 0; receipts.latencies.length < expected && idle < 12;) {
    idle = receipts.latencies.length === last ? idle + 1 : 0;
    last = receipts.latencies.length;
    await sleep(250);
  }
  const delivered = receipts.latencies.length;
  const sorted = [...receipts.latencies].sort((a, b) => a - b);
  const acksSorted = [...acks].sort((a, b) => a - b);
  const afterAck: number[] = [];
  for (const [i, times] of receipts.receivedAt) {
    const acked = ackedAt.get(i);
    if (acked !== undefined) for (const t of times) afterAck.push(t - acked);
  }
  afterAck.sort((a, b) => a - b);
  const seconds = Math.max(1, receipts.lastReceive - startWall) / 1000;
  const result: Delivery = {
    sent: total,
    delivered,
    lost: expected - delivered,
    deliveredPerSec: delivered / seconds,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    publishP50Ms: Math.round(quantile(acksSorted, 0.5) * 10) / 10,
    publishedPerSec: Math.round((acks.length / publishSeconds) * 10) / 10,
    afterAck: { p50Ms: quantile(afterAck, 0.5), p99Ms: quantile(afterAck, 0.99) },
  };
  ctx.log(
    `  ${name}: published ${result.publishedPerSec} msgs/s (ack p50 ${result.publishP50Ms} ms); ` +
      `${delivered}/${expected} delivered, ${Math.round(result.deliveredPerSec)} msgs/s, ` +
      `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; after the ack p50 ${result.afterAck.p50Ms} ms, ` +
      `p99 ${result.afterAck.p99Ms} ms`,
  );
  return result;
}

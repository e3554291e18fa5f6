import { setTimeout as sleep } from 'node:timers/promises';
import { enroll, ingest, startPlatform, type Device } from './edgewatch.ts';
import { DEVICES_PER_SENDER, SENDERS, rate, warmThenMeasure, type Run } from './ingest.ts';
import { percentile, type SendFn } from './load.ts';
import { ALERT_METRIC, ALERT_THRESHOLD, startPrometheusAlerting } from './prometheus-alerting.ts';
import { SERIES, makeBatch, spanMs } from './series.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';
import { startReceiver, type Received } from './webhook-receiver.ts';

const RULES_PER_DEVICE = 50;
/** Threshold crossings timed per system; overridable for quick trial runs. */
const CYCLES = Number(process.env.BENCH_ALERT_CYCLES ?? 20);
/**
 * A random pause before each crossing, so crossings fall anywhere in Prometheus' 1 s scrape and
 * evaluation cycle instead of in step with it (and the same for both systems).
 */
const offsetMs = () => Math.random() * 1000;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

interface Api {
  url: string;
  key: string;
}

async function call<T>(api: Api, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${api.key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * 50 org-wide rules over the benchmark's host series, none of which fires: what is measured is
 * the evaluation on every batch. A mix of plain thresholds, windowed means and rates, as people
 * write them.
 */
function quietRules(): unknown[] {
  return Array.from({ length: RULES_PER_DEVICE }, (_, i) => {
    const s = SERIES[i % SERIES.length]!;
    const matchers = Object.entries(s.labels ?? {}).map(([label, value]) => ({ label, op: '=', value }));
    const levels = { op: '>', warning: { value: 1e15, clear: 1e14 }, critical: { value: 1e16 } };
    const condition =
      i % 5 === 1
        ? { kind: 'threshold', ...levels, aggregation: { fn: 'mean', windowMs: 60_000 } }
        : i % 5 === 3
          ? { kind: 'rate', ...levels, windowMs: 60_000 }
          : { kind: 'threshold', ...levels };
    return { name: `bench rule ${i}`, scope: { kind: 'org' }, metric: s.metric, matchers, condition, forMs: 30_000 };
  });
}

/** Ingest with no rules, with 50 per device, and with them disabled again (the baseline is the mean of both). */
async function evaluationCost(ctx: BenchContext, api: Api, enrollmentToken: string) {
  const devices: Device[] = [];
  for (let d = 0; d < SENDERS * DEVICES_PER_SENDER; d++)
    devices.push(await enroll(api.url, enrollmentToken, `bench-rules-${d}`));
  const base = Date.now() - spanMs(3) - 3600_000;
  const phase = (variant: number, label: string): Promise<Run> => {
    const send: SendFn = (s, i) =>
      ingest(
        api.url,
        devices[s * DEVICES_PER_SENDER + (i % DEVICES_PER_SENDER)]!,
        `bench-rules-${variant}-${s}-${i}`,
        makeBatch(base, variant, s, i),
        false,
      );
    return warmThenMeasure(ctx, label, send);
  };
  const before = await phase(0, 'no rules');
  const rules: { id: string }[] = [];
  for (const body of quietRules()) rules.push(await call<{ id: string }>(api, 'POST', '/v1/alert-rules', body));
  const withRules = await phase(1, `${RULES_PER_DEVICE} rules per device`);
  for (const r of rules) await call(api, 'PATCH', `/v1/alert-rules/${r.id}`, { enabled: false });
  const after = await phase(2, 'rules disabled');
  return { before: rate(before.measured), withRules: rate(withRules.measured), after: rate(after.measured) };
}

const typeOf = (r: Received) => (r.body as { type?: string } | null)?.type;

/** Ingest of a crossing sample → the signed webhook on loopback, then back below to resolve. */
async function edgewatchLatency(ctx: BenchContext, api: Api, enrollmentToken: string) {
  // Known only once the channel exists, which needs the receiver's URL first.
  const signing: { secret?: string } = {};
  const receiver = await startReceiver(() => signing.secret);
  ctx.defer(receiver.close);
  const hook = await call<{ id: string; secret: string }>(api, 'POST', '/v1/webhooks', {
    name: 'bench',
    kind: 'generic',
    url: receiver.url,
    filters: {},
  });
  signing.secret = hook.secret;
  const device = await enroll(api.url, enrollmentToken, 'bench-alert');
  await call(api, 'POST', '/v1/alert-rules', {
    name: 'bench value high',
    scope: { kind: 'device', value: device.deviceId },
    metric: ALERT_METRIC,
    condition: { kind: 'threshold', op: '>', critical: { value: ALERT_THRESHOLD } },
  });
  const send = (i: number, value: number) =>
    ingest(api.url, device, `bench-alert-${i}-${value}`, [{ metric: ALERT_METRIC, ts: Date.now(), value }], false);
  const latencies: number[] = [];
  let unverified = 0;
  for (let i = 0; i < CYCLES + 1; i++) {
    await sleep(offsetMs());
    const t0 = performance.now();
    const firing = receiver.next((r) => typeOf(r) === 'alert.firing');
    await send(i, 100);
    const got = await firing;
    if (got.verified !== true) unverified++;
    // The first crossing also warms the rule cache and the queue consumer: not counted.
    if (i > 0) latencies.push(got.at - t0);
    const resolved = receiver.next((r) => typeOf(r) === 'alert.resolved');
    await send(i, 0);
    await resolved;
  }
  ctx.log(
    `    Edgewatch: p50 ${round(percentile(latencies, 50))} ms, p99 ${round(percentile(latencies, 99))} ms over ${latencies.length} crossings`,
  );
  return { latencies, unverified };
}

async function prometheusLatency(ctx: BenchContext) {
  const receiver = await startReceiver();
  ctx.defer(receiver.close);
  const peer = await startPrometheusAlerting(ctx, receiver.url);
  if ('skip' in peer) return peer;
  const status = (r: Received) => (r.body as { status?: string } | null)?.status;
  const latencies: number[] = [];
  for (let i = 0; i < CYCLES + 1; i++) {
    await sleep(offsetMs());
    const t0 = performance.now();
    peer.set(100);
    const got = await receiver.next((r) => status(r) === 'firing', 60_000);
    if (i > 0) latencies.push(got.at - t0);
    peer.set(0);
    await receiver.next((r) => status(r) === 'resolved', 60_000);
  }
  ctx.log(
    `    ${peer.versions}: p50 ${round(percentile(latencies, 50))} ms, p99 ${round(percentile(latencies, 99))} ms`,
  );
  return { latencies, versions: peer.versions };
}

export const alertsBench: BenchModule = {
  name: 'alerts',
  async run(ctx) {
    ctx.log('  starting a fresh local platform (migrate, seed, wrangler dev)…');
    const platform = await startPlatform(ctx, { vars: { ALLOW_PRIVATE_WEBHOOKS: 'true' } });
    const api = { url: platform.url, key: platform.seed.apiKey };
    const cost = await evaluationCost(ctx, api, platform.seed.enrollmentToken);
    const ew = await edgewatchLatency(ctx, api, platform.seed.enrollmentToken);
    await platform.stop(); // Before the peer runs, so the two never share the 2 cores.
    let peer: Awaited<ReturnType<typeof prometheusLatency>> | { skip: string };
    try {
      peer = await prometheusLatency(ctx);
    } catch (err) {
      peer = { skip: `failed: ${(err as Error).message}` };
    }

    const baseline = (cost.before + cost.after) / 2;
    const costPct = (1 - cost.withRules / baseline) * 100;
    ctx.log(`    evaluation cost: ${round(costPct)} % of ingest throughput`);
    const [p50, p99] = [percentile(ew.latencies, 50), percentile(ew.latencies, 99)];
    const rows: Row[] = [
      {
        benchmark: 'alerts ingest',
        system: 'Edgewatch, no rules',
        samplesPerSec: baseline,
        notes: `mean of before (${Math.round(cost.before)}) and after (${Math.round(cost.after)}) the rules`,
      },
      {
        benchmark: 'alerts ingest',
        system: `Edgewatch, ${RULES_PER_DEVICE} rules/device`,
        samplesPerSec: cost.withRules,
        ratio: cost.withRules / baseline,
        notes: `evaluation costs ${round(costPct)} % (goal < 10 %)`,
      },
    ];
    const peerP50 = 'latencies' in peer ? percentile(peer.latencies, 50) : undefined;
    rows.push({
      benchmark: 'alert latency',
      system: 'Edgewatch (ingest → signed webhook)',
      p50Ms: round(p50),
      p99Ms: round(p99),
      ratio: peerP50 ? p50 / peerP50 : undefined,
      notes: `${ew.latencies.length} crossings; ${ew.unverified} signatures failed standardwebhooks`,
    });
    rows.push(
      'latencies' in peer
        ? {
            benchmark: 'alert latency',
            system: `${peer.versions} (gauge set → webhook)`,
            p50Ms: round(percentile(peer.latencies, 50)),
            p99Ms: round(percentile(peer.latencies, 99)),
            notes: '1 s scrape and evaluation, for 0s, group_wait 0s',
          }
        : { benchmark: 'alert latency', system: 'Prometheus + Alertmanager', notes: `skipped: ${peer.skip}` },
    );
    return rows;
  },
};

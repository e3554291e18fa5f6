import { WORKER_LOG, enroll, ingest, startPlatform, workerRestarts, type Device } from './edgewatch.ts';
import { fmtRate, percentile, runPhase, type PhaseResult, type SendFn } from './load.ts';
import { MAX_BATCHES_PER_SENDER, SAMPLES_PER_BATCH, makeBatch, spanMs, toVmJsonLines } from './series.ts';
import { influxIngest } from './ingest-influx.ts';
import { DIRECT } from './query-plan.ts';
import { SOCKET_NOT_FOUND, workerSocketUrl } from './worker-socket.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';
import { findOrInstall, startVm, vmImport, vmVersion, waitQueryable } from './victoria-metrics.ts';

export const SENDERS = 4;
export const DEVICES_PER_SENDER = 3;
const WARMUP_MS = 3_000;
// Overridable for quick trial runs; the documented figures use the default.
const MEASURE_MS = Number(process.env.BENCH_INGEST_SECONDS ?? 20) * 1000;
/**
 * Bodies in the series-grouped form, as the agent sends them; the flat form (one object per
 * sample, still accepted) gets a row of its own for comparison, with no peer run of its own.
 */
const VARIANTS = [
  { name: 'json', gz: false, grouped: true, peer: true },
  { name: 'gzip', gz: true, grouped: true, peer: true },
  { name: 'flat-gzip', gz: true, grouped: false, peer: false },
] as const;
type Variant = (typeof VARIANTS)[number];

export interface Run {
  warm: PhaseResult;
  measured: PhaseResult;
}

export const rate = (p: PhaseResult) => (p.batches * SAMPLES_PER_BATCH) / p.seconds;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const latency = (p: PhaseResult) => ({
  p50Ms: round(percentile(p.latenciesMs, 50)),
  p99Ms: round(percentile(p.latenciesMs, 99)),
});

/** A 3 s warm-up (JIT, Durable Object start-up), then the measured phase continuing the same series. */
export async function warmThenMeasure(ctx: BenchContext, label: string, send: SendFn, counts?: Run): Promise<Run> {
  const common = { senders: SENDERS, maxPerSender: MAX_BATCHES_PER_SENDER, samplesPerBatch: SAMPLES_PER_BATCH };
  const zero = new Array<number>(SENDERS).fill(0);
  const warm = await runPhase(send, {
    ...common,
    label: `${label} warm-up`,
    startAt: zero,
    ...(counts ? { counts: counts.warm.perSender } : { durationMs: WARMUP_MS }),
    progress: false,
  });
  const measured = await runPhase(send, {
    ...common,
    label,
    startAt: warm.perSender,
    ...(counts ? { counts: counts.measured.perSender } : { durationMs: MEASURE_MS }),
    progress: true,
  });
  ctx.log(
    `    ${label}: ${measured.batches} batches in ${measured.seconds.toFixed(1)} s = ${fmtRate(rate(measured))} samples/s`,
  );
  return { warm, measured };
}

interface EdgewatchRun extends Run {
  restarts: number;
}

interface EdgewatchRuns {
  /** One per variant, through wrangler dev. */
  runs: EdgewatchRun[];
  /** The json variant again at workerd's own socket (worker-socket.ts), or why it was not run. */
  direct: EdgewatchRun | string;
}

async function enrollDevices(url: string, token: string, prefix: string): Promise<Device[]> {
  // Each sender rotates over DEVICES_PER_SENDER devices: one device alone would hit its ingest
  // rate limit (600 batches a minute) long before the Worker's throughput is reached.
  const devices: Device[] = [];
  for (let d = 0; d < SENDERS * DEVICES_PER_SENDER; d++) devices.push(await enroll(url, token, `${prefix}-${d}`));
  return devices;
}

async function edgewatchRuns(ctx: BenchContext, base: number): Promise<EdgewatchRuns> {
  ctx.log('  starting a fresh local platform (migrate, seed, wrangler dev)…');
  const platform = await startPlatform(ctx);
  const token = platform.seed.enrollmentToken;
  // `slot` places the run's timestamps (makeBatch); the direct run takes the slot after the variants'.
  const measure = async (url: string, devices: Device[], variant: Variant, slot: number, label: string) => {
    const before = workerRestarts;
    const send: SendFn = (s, i) =>
      ingest(
        url,
        devices[s * DEVICES_PER_SENDER + (i % DEVICES_PER_SENDER)]!,
        `bench-${slot}-${variant.name}-${s}-${i}`,
        makeBatch(base, slot, s, i),
        variant.gz,
        variant.grouped,
      );
    return { ...(await warmThenMeasure(ctx, label, send)), restarts: workerRestarts - before };
  };
  const devices = await enrollDevices(platform.url, token, 'bench');
  const runs: EdgewatchRun[] = [];
  for (const [v, variant] of VARIANTS.entries())
    runs.push(await measure(platform.url, devices, variant, v, `Edgewatch ${variant.name}`));
  await platform.stop();
  // The first variant once more without wrangler dev's proxy in front, on a fresh platform like
  // the first run's (the objects of the runs above would still be sealing in the background).
  ctx.log("  a fresh platform again, for the json run at workerd's own socket…");
  const fresh = await startPlatform(ctx);
  const socket = await workerSocketUrl(fresh);
  const direct = socket
    ? await measure(
        socket,
        await enrollDevices(fresh.url, fresh.seed.enrollmentToken, 'direct'),
        VARIANTS[0],
        VARIANTS.length,
        `${DIRECT} json`,
      )
    : SOCKET_NOT_FOUND;
  await fresh.stop(); // Before the peer runs, so the two never share the 2 cores.
  return { runs, direct };
}

interface PeerResult {
  /** The peer's rows for each variant (a single skip or failure row goes with the first). */
  rows: Row[][];
  ack: number[];
  queryable: number[];
}

const peerNote = (notes: string): PeerResult => ({
  rows: [[{ benchmark: 'ingest', system: 'VictoriaMetrics', notes }]],
  ack: [],
  queryable: [],
});

/** Replays exactly the batches Edgewatch accepted, per sender and phase, into a fresh VM each. */
async function vmRuns(ctx: BenchContext, base: number, ew: Run[]): Promise<PeerResult> {
  const found = findOrInstall(ctx);
  if ('skip' in found) {
    ctx.log(`  VictoriaMetrics skipped: ${found.skip}`);
    return peerNote(`skipped: ${found.skip}`);
  }
  const system = `VictoriaMetrics ${vmVersion() ?? ''}`.trim();
  const out: PeerResult = { rows: [], ack: [], queryable: [] };
  for (const [v, variant] of VARIANTS.entries()) {
    if (!variant.peer) continue;
    const vm = await startVm(ctx, found.bin);
    const send: SendFn = (s, i) => vmImport(vm.url, toVmJsonLines(makeBatch(base, v, s, i), `bench-${s}`), variant.gz);
    const run = await warmThenMeasure(ctx, `VM ${variant.name}`, send, ew[v]);
    const total = (run.warm.batches + run.measured.batches) * SAMPLES_PER_BATCH;
    const waitMs = await waitQueryable(vm.url, total);
    await vm.stop();
    // Queryable: from the first measured import until every sample counts, after force_flush.
    const qRate = (run.measured.batches * SAMPLES_PER_BATCH) / (run.measured.seconds + waitMs / 1000);
    ctx.log(`    VM ${variant.name}: all ${total} samples queryable ${waitMs.toFixed(0)} ms after the last ack`);
    out.ack.push(rate(run.measured));
    out.queryable.push(qRate);
    out.rows.push([
      {
        benchmark: 'ingest',
        system: `${system} (${variant.name}, ack)`,
        samplesPerSec: rate(run.measured),
        ...latency(run.measured),
        notes: `same ${run.measured.batches} batches via /api/v1/import; acks before flush`,
        extra: { batches: run.measured.batches, seconds: round(run.measured.seconds, 2) },
      },
      {
        benchmark: 'ingest',
        system: `${system} (${variant.name}, queryable)`,
        samplesPerSec: qRate,
        notes: `ack time + force_flush until all ${total} samples count: +${waitMs.toFixed(0)} ms`,
        extra: { waitMs: round(waitMs) },
      },
    ]);
  }
  return out;
}

export const ingestBench: BenchModule = {
  name: 'ingest',
  async run(ctx) {
    // All timestamps in the past (Edgewatch refuses > 10 min ahead), an hour of slack.
    // One span more: the direct run follows the variants' spans.
    const base = Date.now() - spanMs(VARIANTS.length + 1) - 3600_000;
    const { runs: ew, direct } = await edgewatchRuns(ctx, base);
    let peer: PeerResult;
    try {
      peer = await vmRuns(ctx, base, ew);
    } catch (err) {
      // A broken peer should not hide Edgewatch's own figures.
      ctx.log(`  VictoriaMetrics failed: ${(err as Error).message}`);
      peer = peerNote(`failed: ${(err as Error).message}`);
    }
    const influx = await influxIngest(ctx, base, VARIANTS, ew);
    const rows = ew.flatMap((run, v): Row[] => {
      const r = rate(run.measured);
      const variant = VARIANTS[v]!;
      // The flat row is compared with the peer's run of the same encoding.
      const p = variant.peer ? v : VARIANTS.findIndex((x) => x.peer && x.gz === variant.gz);
      const [vmAck, vmQ] = [peer.ack[p], peer.queryable[p]];
      if (vmAck && vmQ)
        ctx.log(
          `  Edgewatch/VM (${variant.name}): ${(r / vmQ).toFixed(3)} vs queryable, ${(r / vmAck).toFixed(3)} vs ack`,
        );
      const row = edgewatchRow(`Edgewatch (${variant.name})`, run, variant, vmAck, vmQ);
      return [row, ...((variant.peer && peer.rows[v]) || []), ...((variant.peer && influx.rows[v]) || [])];
    });
    if (typeof direct === 'string') rows.push({ benchmark: 'ingest', system: DIRECT, notes: direct });
    else {
      const row = edgewatchRow(`${DIRECT} (json)`, direct, VARIANTS[0], peer.ack[0], peer.queryable[0]);
      row.notes += "; the json run again at the Worker's workerd socket, without the wrangler dev proxy in front";
      rows.push(row);
    }
    return rows;
  },
};

/** An Edgewatch ingest row; `ratio` is against VictoriaMetrics' queryable rate of the same encoding. */
function edgewatchRow(
  system: string,
  { measured, restarts }: Pick<EdgewatchRun, 'measured' | 'restarts'>,
  variant: Variant,
  vmAck: number | undefined,
  vmQ: number | undefined,
): Row {
  const r = rate(measured);
  const notes = [
    variant.grouped ? 'series-grouped body (as the agent sends)' : 'flat body (one object per sample)',
    `${SENDERS} senders x ${SAMPLES_PER_BATCH}`,
    `${round(measured.batches / measured.seconds)} batches/s`,
    'ack = durable',
  ];
  if (vmAck) notes.push(`${(r / vmAck).toFixed(3)}x VM ack`);
  if (restarts) notes.push(`${restarts} Worker restarts (files changed?), see ${WORKER_LOG}`);
  return {
    benchmark: 'ingest',
    system,
    samplesPerSec: r,
    ...latency(measured),
    // Against "queryable": the closest to Edgewatch acking only once the batch is durable.
    ratio: vmQ ? r / vmQ : undefined,
    notes: notes.join('; '),
    extra: {
      batches: measured.batches,
      seconds: round(measured.seconds, 2),
      perSender: measured.perSender,
      restarts,
    },
  };
}

/**
 * Loads a data set as fast as the system takes it: a few requests in flight, each a large batch.
 * The load is a setup step for the read benchmarks, not a measurement; its rate is only logged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { INGEST_MAX_SAMPLES } from '../schema/wire/ingest.ts';
import { enroll, ingest, type Device } from './edgewatch.ts';
import { deviceBatches, deviceName, totalSamples, type Dataset } from './dataset.ts';
import { fmtRate } from './load.ts';
import { toVmJsonLines, type Sample } from './series.ts';
import type { BenchContext } from './types.ts';
import { vmImport } from './victoria-metrics.ts';

/** Requests in flight: enough to keep workerd's one thread busy without queueing behind it. */
const CONCURRENCY = 4;

interface Job {
  device: number;
  index: number;
  samples: Sample[];
}

/** Every device's batches, interleaved round-robin so concurrent requests go to different devices. */
function* jobs(d: Dataset, maxSamples: number): Generator<Job> {
  const gens = Array.from({ length: d.devices }, (_, device) => ({
    device,
    index: 0,
    gen: deviceBatches(d, device, maxSamples),
  }));
  while (gens.length > 0) {
    for (let g = 0; g < gens.length; g++) {
      const cur = gens[g]!;
      const next = cur.gen.next();
      if (next.done) gens.splice(g--, 1);
      else yield { device: cur.device, index: cur.index++, samples: next.value };
    }
  }
}

async function drive(ctx: BenchContext, label: string, d: Dataset, send: (job: Job) => Promise<unknown>) {
  const queue = jobs(d, INGEST_MAX_SAMPLES);
  const t0 = performance.now();
  let done = 0;
  const timer = setInterval(() => ctx.log(`    ${label}: ${fmtRate(done)}/${fmtRate(totalSamples(d))} samples`), 5000);
  try {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let job = queue.next(); !job.done; job = queue.next()) {
          await send(job.value);
          done += job.value.samples.length;
        }
      }),
    );
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - t0) / 1000;
  ctx.log(`    ${label}: ${fmtRate(done)} samples in ${seconds.toFixed(1)} s (${fmtRate(done / seconds)}/s)`);
  return seconds;
}

/** Enrolls the data set's devices, in device order. */
export async function enrollAll(url: string, enrollmentToken: string, d: Dataset): Promise<Device[]> {
  const devices: Device[] = [];
  for (let i = 0; i < d.devices; i++) devices.push(await enroll(url, enrollmentToken, deviceName(d, i)));
  return devices;
}

/**
 * `wrangler dev` reloads the Worker when a source file changes, cutting the connections in
 * flight (a TypeError from fetch). The batch is resent with the same id; if the cut-off
 * attempt had landed, the resend is acked as a duplicate, which is then the expected answer.
 */
async function resending(send: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return;
    } catch (err) {
      if (attempt > 1 && /duplicate true/.test((err as Error).message)) return;
      if (!(err instanceof TypeError) || attempt >= 10) throw err;
      await sleep(1000 * attempt);
    }
  }
}

/** Posts every batch to `/v1/ingest` (each acked once durable); returns the seconds it took. */
export function loadEdgewatch(ctx: BenchContext, url: string, devices: Device[], d: Dataset): Promise<number> {
  return drive(ctx, `Edgewatch load ${d.name}`, d, (job) =>
    resending(() => ingest(url, devices[job.device]!, `${d.name}-${job.device}-${job.index}`, job.samples, false)),
  );
}

/** The same batches through VictoriaMetrics' JSON line import. */
export function loadVm(ctx: BenchContext, vmUrl: string, d: Dataset): Promise<number> {
  return drive(ctx, `VM load ${d.name}`, d, (job) =>
    vmImport(vmUrl, toVmJsonLines(job.samples, deviceName(d, job.device)), false),
  );
}

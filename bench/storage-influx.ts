/**
 * InfluxDB's half of the storage benchmark: the same samples as Edgewatch and VictoriaMetrics,
 * written as line protocol in the same batches, then measured on disk once InfluxDB has
 * snapshotted its cache into TSM files and fully compacted each shard into one file.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INGEST_MAX_SAMPLES } from '../schema/wire/ingest.ts';
import { deviceBatches, deviceName, totalSamples, type Dataset } from './dataset.ts';
import {
  influxCount,
  influxEngineStats,
  influxVersion,
  influxWrite,
  runInfluxPeer,
  startInflux,
  toLineProtocol,
  type Influx,
} from './influxdb.ts';
import { fmtRate } from './load.ts';
import type { BenchContext, Row } from './types.ts';

/** Requests in flight, as for the other systems' bulk loads. */
const CONCURRENCY = 4;

interface Disk {
  bytes: number;
  tsmBytes: number;
  tsmFiles: number;
  tmpFiles: number;
  /** `.tsm` files per shard folder. */
  tsmPerShard: number[];
}

/**
 * Bytes each file occupies: its allocated blocks, capped at its length. InfluxDB 1.6's series
 * file preallocates 4 MiB segments sparsely; their apparent size would count space never written.
 */
function disk(dir: string, out: Disk = { bytes: 0, tsmBytes: 0, tsmFiles: 0, tmpFiles: 0, tsmPerShard: [] }): Disk {
  let tsmHere = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) disk(path, out);
    else if (e.isFile()) {
      const st = lstatSync(path);
      const bytes = Math.min(st.size, st.blocks * 512);
      out.bytes += bytes;
      if (e.name.endsWith('.tsm')) {
        tsmHere++;
        out.tsmBytes += bytes;
      }
      if (e.name.endsWith('.tmp')) out.tmpFiles++;
    }
  }
  if (tsmHere) out.tsmPerShard.push(tsmHere);
  out.tsmFiles += tsmHere;
  return out;
}

/** The data set's batches (same split as the other systems' loads), round-robin over devices. */
async function load(ctx: BenchContext, influx: Influx, d: Dataset): Promise<number> {
  const gens = Array.from({ length: d.devices }, (_, device) => ({
    device,
    gen: deviceBatches(d, device, INGEST_MAX_SAMPLES),
  }));
  function* jobs() {
    while (gens.length > 0)
      for (let g = 0; g < gens.length; g++) {
        const next = gens[g]!.gen.next();
        if (next.done) gens.splice(g--, 1);
        else yield { device: gens[g]!.device, samples: next.value };
      }
  }
  const queue = jobs();
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let job = queue.next(); !job.done; job = queue.next()) {
        await influxWrite(influx.url, toLineProtocol(job.value.samples, deviceName(d, job.value.device)), false);
        done += job.value.samples.length;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  ctx.log(
    `    InfluxDB load ${d.name}: ${fmtRate(done)} samples in ${seconds.toFixed(1)} s (${fmtRate(done / seconds)}/s)`,
  );
  return seconds;
}

export interface InfluxStored {
  /** Data (TSM, series file, field index) + WAL right after the last write was acked. */
  afterWriteBytes: number;
  /** The same once the cache is in TSM and every shard is one fully compacted file. */
  compactedBytes: number;
  dataBytes: number;
  walBytes: number;
  /** The TSM files alone: compressed blocks and their index, without the series file. */
  tsmBytes: number;
  tsmFiles: number;
  /** False when the compaction did not settle within the timeout: the figure is then of the last state seen. */
  settled: boolean;
  samples: number;
}

async function measure(ctx: BenchContext, bin: string, d: Dataset): Promise<InfluxStored> {
  // A shard counts as cold 1 s after its last write (defaults: 10 min to snapshot, 4 h to fully
  // compact), so the compacted state is reached in seconds; the on-disk format is the same.
  const influx = await startInflux(ctx, bin, { snapshotColdAfter: '1s', compactColdAfter: '1s' });
  await load(ctx, influx, d);
  const n = totalSamples(d);
  const counted = await influxCount(influx.url, `^${d.name}-`);
  if (counted !== n) throw new Error(`InfluxDB counts ${counted} of ${n} samples`);
  const afterWriteBytes = disk(influx.dataDir).bytes + disk(influx.walDir).bytes;
  const start = performance.now();
  let settled = false;
  let stableSince = 0;
  let last = -1;
  // Settled: nothing in the cache, no compaction running or left half-written, one TSM file per
  // shard, and the same bytes for two seconds.
  while (performance.now() - start < 180_000) {
    const stats = await influxEngineStats(influx.url);
    const data = disk(influx.dataDir);
    const total = data.bytes + disk(influx.walDir).bytes;
    const quiet = stats.cacheBytes === 0 && stats.compactionsActive === 0 && data.tmpFiles === 0;
    const one = data.tsmPerShard.length > 0 && data.tsmPerShard.every((k) => k === 1);
    if (quiet && one && total === last) {
      if (performance.now() - stableSince >= 2000) {
        settled = true;
        break;
      }
    } else stableSince = performance.now();
    last = total;
    await sleep(500);
  }
  const data = disk(influx.dataDir);
  const walBytes = disk(influx.walDir).bytes;
  const out = {
    afterWriteBytes,
    compactedBytes: data.bytes + walBytes,
    dataBytes: data.bytes,
    walBytes,
    tsmBytes: data.tsmBytes,
    tsmFiles: data.tsmFiles,
    settled,
    samples: n,
  };
  ctx.log(
    `    InfluxDB: ${(afterWriteBytes / n).toFixed(1)} B/sample after the writes, ${(out.compactedBytes / n).toFixed(1)} B/sample compacted (${data.tsmFiles} TSM files${settled ? '' : ', NOT settled'})`,
  );
  await influx.stop();
  return out;
}

/** InfluxDB's storage row for data set `d`, or a row saying why it was skipped or failed. */
export async function influxStorageRow(ctx: BenchContext, d: Dataset): Promise<Row> {
  const r = await runInfluxPeer(ctx, (bin) => measure(ctx, bin, d));
  if (typeof r === 'string') return { benchmark: 'storage', system: 'InfluxDB', notes: r };
  const b = (bytes: number) => `${(bytes / r.samples).toFixed(1)} B`;
  return {
    benchmark: 'storage',
    system: `InfluxDB ${influxVersion() ?? ''} (cache snapshotted, full compaction)`.replace('  ', ' '),
    notes: [
      `${b(r.compactedBytes)}/sample: ${(r.compactedBytes / 2 ** 20).toFixed(1)} MiB in data + wal (${r.tsmFiles} TSM files${r.settled ? '' : ', compaction NOT settled after 180 s'})`,
      `TSM files alone ${b(r.tsmBytes)}/sample, the rest is the series file and field index`,
      `${b(r.afterWriteBytes)}/sample right after the writes (WAL + cache)`,
    ].join('; '),
    extra: { ...r },
  };
}

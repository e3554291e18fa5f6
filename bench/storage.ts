/**
 * `storage`: bytes per sample at rest. Edgewatch keeps raw samples and its rollups (minute blocks
 * per hour in `minute_hours`, hour blocks per day in `hour_days`, day blocks per 128 days in
 * `day_spans`) in each device's Durable Object (SQLite), measured with dbstat in wrangler's state
 * folder once the Worker has stopped. VictoriaMetrics stores the same samples; its data folder is measured
 * after a flush and again after a forced merge.
 */
import { join } from 'node:path';
import { enrollAll, loadEdgewatch, loadVm } from './bulk-load.ts';
import { METRIC, endOf, totalSamples, type Dataset } from './dataset.ts';
import { checkpoint, dirBytes, sqliteFile, sqliteFiles, sqliteRows, sqliteTables, sqliteUsedBytes } from './disk.ts';
import { startPlatform } from './edgewatch.ts';
import { listSeries } from './edgewatch-api.ts';
import { waitAllRollups } from './rollup-wait.ts';
import { influxStorageRow } from './storage-influx.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';
import { runVmPeer, startVm, vmForceMerge, vmVersion, vmWaitOnDisk, type VmStored } from './victoria-metrics.ts';

const HOUR = 3_600_000;
/** The rollup tables, summed over the DeviceHub databases. */
const ROLLUPS = ['minute_hours', 'hour_days', 'day_spans'] as const;
const ROLLUP_NAMES: Record<(typeof ROLLUPS)[number], string> = {
  minute_hours: '1m (hour rows)',
  hour_days: '1h (day rows)',
  day_spans: '1d (128-day rows)',
};

/** 20 devices × 10 series × 12 h at 10 s (an agent's default interval): 864,000 samples. */
function dataset(now = Date.now()): Dataset {
  const start = Math.floor(now / HOUR) * HOUR - 13 * HOUR;
  return { name: 'st', devices: 20, seriesPerDevice: 10, start, intervalMs: 10_000, points: 4_320 };
}

interface EdgewatchBytes {
  /**
   * The raw data's share of the DeviceHub databases: pages in use (what `databaseSize` reports)
   * less the rollups' pages, which the rollups row counts.
   */
  rawBytes: number;
  /** The files on disk, free pages included (workerd refuses VACUUM; later writes reuse them). */
  rawFileBytes: number;
  rawFreeBytes: number;
  rawFiles: number;
  samplesTableBytes: number;
  blocksTableBytes: number;
  /** Samples still in the head (`samples` rows) when measured; sealing moves them into blocks. */
  headRows: number;
  blocks: number;
  rollups: Record<(typeof ROLLUPS)[number], { bytes: number; rows: number }>;
  d1FileBytes: number;
}

/** Checkpoints every database in `dir`, then measures the files: what stays at rest. */
async function atRest(dir: string) {
  const files = sqliteFiles(dir);
  for (const f of files) await checkpoint(f);
  return { databases: files, bytes: dirBytes(dir, sqliteFile).bytes };
}

async function edgewatch(ctx: BenchContext, d: Dataset): Promise<EdgewatchBytes> {
  ctx.log('  starting a fresh local platform (migrate, seed, wrangler dev --test-scheduled)…');
  const platform = await startPlatform(ctx, { testScheduled: true });
  const api = { url: platform.url, apiKey: platform.seed.apiKey };
  await loadEdgewatch(ctx, platform.url, await enrollAll(platform.url, platform.seed.enrollmentToken, d), d);
  const ids = (await listSeries(api, METRIC)).map((s) => s.id);
  await waitAllRollups(ctx, api, { ids, from: d.start, to: endOf(d), expected: totalSamples(d) });
  const hubDir = join(platform.persistTo, 'v3/do/edgewatch-DeviceHub');
  await waitSealed(ctx, hubDir);
  await platform.stopWorker();
  const raw = await atRest(hubDir);
  let [samplesTableBytes, blocksTableBytes, headRows, blocks, usedBytes, freeBytes] = [0, 0, 0, 0, 0, 0];
  const rollups = Object.fromEntries(ROLLUPS.map((t) => [t, { bytes: 0, rows: 0 }])) as EdgewatchBytes['rollups'];
  for (const f of raw.databases) {
    const t = await sqliteTables(f, [...ROLLUPS, 'samples', 'blocks']);
    samplesTableBytes += t.get('samples')?.bytes ?? 0;
    blocksTableBytes += t.get('blocks')?.bytes ?? 0;
    headRows += t.get('samples')?.rows ?? 0;
    blocks += t.get('blocks')?.rows ?? 0;
    for (const name of ROLLUPS) {
      rollups[name].bytes += t.get(name)?.bytes ?? 0;
      rollups[name].rows += t.get(name)?.rows ?? 0;
    }
    const usage = await sqliteUsedBytes(f);
    usedBytes += usage.used;
    freeBytes += usage.free;
  }
  const d1 = await atRest(join(platform.persistTo, 'v3/d1/miniflare-D1DatabaseObject'));
  if (d1.databases.length !== 1) throw new Error(`expected one D1 database, found ${d1.databases.length}`);
  await platform.stop();
  return {
    rawBytes: usedBytes - ROLLUPS.reduce((s, t) => s + rollups[t].bytes, 0),
    rawFileBytes: raw.bytes,
    rawFreeBytes: freeBytes,
    rawFiles: raw.databases.length,
    samplesTableBytes,
    blocksTableBytes,
    headRows,
    blocks,
    rollups,
    d1FileBytes: d1.bytes,
  };
}

/**
 * Waits until the DeviceHubs' alarms have sealed the loaded samples into blocks: the head
 * (`samples` rows) read from the databases while the Worker runs (WAL allows the read) is empty,
 * or has not shrunk for 10 s (at most 3 minutes).
 */
async function waitSealed(ctx: BenchContext, dir: string): Promise<void> {
  const started = Date.now();
  let [last, since] = [Infinity, Date.now()];
  for (;;) {
    let head = 0;
    for (const f of sqliteFiles(dir)) head += await sqliteRows(f, 'samples').catch(() => 0);
    if (head === 0 || Date.now() - since > 10_000 || Date.now() - started > 180_000) {
      ctx.log(
        `  ${head.toLocaleString('en-US')} samples left in the DeviceHubs' heads after ${((Date.now() - started) / 1000).toFixed(0)} s of sealing`,
      );
      return;
    }
    if (head < last) [last, since] = [head, Date.now()];
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

interface VmMeasure extends VmStored {
  /** Every file under `-storageDataPath`. */
  dirBytes: number;
}

async function vm(ctx: BenchContext, bin: string, d: Dataset): Promise<{ flushed: VmMeasure; merged: VmMeasure }> {
  const vm = await startVm(ctx, bin);
  await loadVm(ctx, vm.url, d);
  const flushed = { ...(await vmWaitOnDisk(vm, totalSamples(d))), dirBytes: dirBytes(vm.dataDir).bytes };
  await vmForceMerge(vm.url);
  const merged = { ...(await vmWaitOnDisk(vm, totalSamples(d))), dirBytes: dirBytes(vm.dataDir).bytes };
  await vm.stop();
  return { flushed, merged };
}

const perSample = (bytes: number, n: number) => bytes / n;
const b = (n: number) => `${n.toFixed(1)} B`;
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function rows(d: Dataset, ew: EdgewatchBytes, peer: { flushed: VmMeasure; merged: VmMeasure } | string): Row[] {
  const n = totalSamples(d);
  const vmBest = typeof peer === 'string' ? undefined : perSample(peer.merged.dirBytes, n);
  const rollupBytes = ROLLUPS.reduce((s, t) => s + ew.rollups[t].bytes, 0);
  const perRow = ROLLUPS.map((t) => {
    const r = ew.rollups[t];
    return `${ROLLUP_NAMES[t]} ${r.rows.toLocaleString('en-US')} rows × ${b(r.bytes / r.rows)}`;
  });
  const out: Row[] = [
    {
      benchmark: 'storage',
      system: 'Edgewatch raw (DeviceHub SQLite)',
      ratio: vmBest && perSample(ew.rawBytes, n) / vmBest,
      notes: [
        `${b(perSample(ew.rawBytes, n))}/sample: ${mib(ew.rawBytes)} of pages in use in ${ew.rawFiles} DeviceHub databases (rollup rows not counted) for ${n.toLocaleString('en-US')} samples`,
        `blocks table ${b(perSample(ew.blocksTableBytes, n))}/sample in ${ew.blocks.toLocaleString('en-US')} blocks; head ${ew.headRows.toLocaleString('en-US')} rows (${b(perSample(ew.samplesTableBytes, n))}/sample)`,
        `files on disk ${mib(ew.rawFileBytes)}, of which ${mib(ew.rawFreeBytes)} free pages the load left (workerd refuses VACUUM; later writes reuse them)`,
        'vs peer = B/sample / VM merged',
      ].join('; '),
      extra: { ...ew, samples: n },
    },
    {
      benchmark: 'storage',
      system: 'Edgewatch rollups (DeviceHub SQLite)',
      ratio: vmBest && perSample(rollupBytes, n) / vmBest,
      notes: [
        `${b(perSample(rollupBytes, n))}/raw sample: ${mib(rollupBytes)} of rollup pages`,
        perRow.join(', '),
        `D1 file ${mib(ew.d1FileBytes)} (the relational model only)`,
        'vs peer = B/raw sample / VM merged',
      ].join('; '),
    },
  ];
  if (typeof peer === 'string') return [...out, { benchmark: 'storage', system: 'VictoriaMetrics', notes: peer }];
  const name = `VictoriaMetrics ${vmVersion() ?? ''}`.trim();
  for (const [label, v] of [
    ['flush, on disk', peer.flushed],
    ['force_merge', peer.merged],
  ] as const)
    out.push({
      benchmark: 'storage',
      system: `${name} (after ${label})`,
      notes: [
        `${b(perSample(v.dirBytes, n))}/sample: ${mib(v.dirBytes)} in its data folder`,
        `parts ${b(perSample(v.dataBytes, n))}/sample, index ${(v.indexBytes / 1024).toFixed(0)} KiB (vm_data_size_bytes)`,
      ].join('; '),
      extra: { ...v, samples: n },
    });
  return out;
}

export const storageBench: BenchModule = {
  name: 'storage',
  async run(ctx) {
    const d = dataset();
    const ew = await edgewatch(ctx, d);
    const out = rows(d, ew, await runVmPeer(ctx, (bin) => vm(ctx, bin, d)));
    return [...out, await influxStorageRow(ctx, d)];
  },
};

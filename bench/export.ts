/**
 * `export`: 1,000,000 raw rows streamed as NDJSON (10 series × 100,000 samples over 5 devices),
 * read by the client as they arrive, with the Worker's memory sampled throughout. The peer
 * exports the same samples through `/api/v1/export` (JSON lines) and `/api/v1/export/csv`.
 */
import { enrollAll, loadEdgewatch, loadVm } from './bulk-load.ts';
import { METRIC, endOf, totalSamples, type Dataset } from './dataset.ts';
import { startPlatform } from './edgewatch.ts';
import { listSeries, workerReloads, type Api } from './edgewatch-api.ts';
import { waitRolledUp } from './rollup-wait.ts';
import { streamGet, type StreamResult } from './export-stream.ts';
import { fmtRate } from './load.ts';
import { rssMiB, sampleRss, workerdPids } from './proc-tree.ts';
import type { BenchContext, BenchModule, Row } from './types.ts';
import { runVmPeer, startVm, vmForceFlush, vmVersion } from './victoria-metrics.ts';

const HOUR = 3_600_000;

function dataset(now = Date.now()): Dataset {
  // 100,000 s at 1 s ends about an hour before now, so every sample is in the past.
  const start = Math.floor(now / HOUR) * HOUR - 29 * HOUR;
  return { name: 'ex', devices: 5, seriesPerDevice: 2, start, intervalMs: 1000, points: 100_000 };
}

// One export takes a few seconds, so single runs swing by a third on a shared machine.
const RUNS = 3;

interface Exported extends StreamResult {
  /** Every run's seconds; the result is the median run's. */
  runSeconds: number[];
  rssBeforeMiB: number;
  /** The highest summed RSS of the serving processes during any run. */
  peakRssMiB: number;
}

/** Streams the export RUNS times while sampling the serving processes' RSS every 100 ms. */
async function measured(
  pids: number[],
  url: string,
  headers: Record<string, string>,
  rowsInLine?: (line: string) => number,
): Promise<Exported> {
  const rssBeforeMiB = pids.reduce((n, pid) => n + rssMiB(pid), 0);
  const sampler = sampleRss(pids);
  const runs: StreamResult[] = [];
  try {
    for (let i = 0; i < RUNS; i++) runs.push(await streamGet(url, headers, rowsInLine));
  } finally {
    sampler.stop();
  }
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(RUNS / 2)]!;
  return { ...median, runSeconds: runs.map((r) => r.seconds), rssBeforeMiB, peakRssMiB: sampler.stop() };
}

/** Rows in one line of a `rows=compact` export: a row is an array, a series header an object. */
const compactRowsInLine = (line: string) => (line.startsWith('[') ? 1 : 0);

async function edgewatch(
  ctx: BenchContext,
  d: Dataset,
): Promise<{ full: Exported; compact: Exported; reloads: number }> {
  ctx.log('  starting a fresh local platform (migrate, seed, wrangler dev)…');
  const platform = await startPlatform(ctx);
  const api: Api = { url: platform.url, apiKey: platform.seed.apiKey };
  await loadEdgewatch(ctx, platform.url, await enrollAll(platform.url, platform.seed.enrollmentToken, d), d);
  const ids = (await listSeries(api, METRIC)).map((s) => s.id);
  if (ids.length !== d.devices * d.seriesPerDevice) throw new Error(`GET /v1/series listed ${ids.length} series`);
  // The DeviceHubs' rollup flushes must be over, or they would share workerd's thread with the export.
  const q = { ids, from: d.start, to: endOf(d), source: '1m' as const, expected: totalSamples(d) };
  await waitRolledUp(ctx, api, q, { timeoutMs: 180_000, pollMs: 2000 });
  ctx.log('  exporting…');
  const path = `/v1/export?series=${ids.join(',')}&from=${d.start}&to=${endOf(d)}&format=ndjson&source=raw`;
  const auth = { authorization: `Bearer ${api.apiKey}` };
  const pids = workerdPids(platform.persistTo);
  const full = await measured(pids, `${api.url}${path}`, auth);
  ctx.log('  exporting with rows=compact…');
  const compact = await measured(pids, `${api.url}${path}&rows=compact`, auth, compactRowsInLine);
  const reloads = await workerReloads(platform.dir);
  await platform.stop(); // Before the peer runs, so the two never share the 2 cores.
  for (const line of [full.first, full.last]) {
    const row = JSON.parse(line) as { seriesId?: string; ts?: number; value?: number };
    if (!row.seriesId || typeof row.ts !== 'number' || typeof row.value !== 'number')
      throw new Error(`unexpected export row: ${line}`);
  }
  const [header, last] = [JSON.parse(compact.first) as { seriesId?: string }, JSON.parse(compact.last) as unknown];
  if (!header.seriesId || !Array.isArray(last) || last.length !== 2)
    throw new Error(`unexpected compact export lines: ${compact.first} … ${compact.last}`);
  return { full, compact, reloads };
}

/** Values in one line of VM's native export: its `timestamps` array is last, so count its commas. */
function valuesInLine(line: string): number {
  const at = line.lastIndexOf('"timestamps":[');
  if (at === -1) return 0;
  let n = 1;
  for (let i = line.indexOf(',', at); i !== -1; i = line.indexOf(',', i + 1)) n++;
  return n;
}

async function vm(ctx: BenchContext, bin: string, d: Dataset): Promise<{ json: Exported; csv: Exported }> {
  const vm = await startVm(ctx, bin);
  await loadVm(ctx, vm.url, d);
  await vmForceFlush(vm.url);
  const range = `match[]=${encodeURIComponent(`${METRIC}{agent=~"${d.name}-.+"}`)}&start=${d.start / 1000}&end=${endOf(d) / 1000}`;
  const json = await measured([vm.pid], `${vm.url}/api/v1/export?${range}`, {}, valuesInLine);
  const fmt = encodeURIComponent('__name__,agent,idx,__timestamp__:unix_ms,__value__');
  const csv = await measured([vm.pid], `${vm.url}/api/v1/export/csv?format=${fmt}&${range}`, {});
  await vm.stop();
  return { json, csv };
}

function row(system: string, e: Exported, expected: number, notes: string[], peer?: Exported): Row {
  const rate = e.rows / e.seconds;
  if (e.rows !== expected) notes.push(`expected ${fmtRate(expected)} rows`);
  return {
    benchmark: 'export',
    system,
    samplesPerSec: rate,
    peakRssMiB: e.peakRssMiB,
    ratio: peer ? rate / (peer.rows / peer.seconds) : undefined,
    notes: [
      `${fmtRate(e.rows)} rows, ${(e.bytes / 2 ** 20).toFixed(1)} MiB in ${e.seconds.toFixed(2)} s (median of ${e.runSeconds.map((x) => x.toFixed(2)).join(', ')})`,
      `RSS ${e.rssBeforeMiB.toFixed(0)} MiB before`,
      ...notes,
    ].join('; '),
    extra: { rows: e.rows, bytes: e.bytes, seconds: e.seconds, runSeconds: e.runSeconds, rssBeforeMiB: e.rssBeforeMiB },
  };
}

export const exportBench: BenchModule = {
  name: 'export',
  async run(ctx) {
    const d = dataset();
    const n = totalSamples(d);
    const ew = await edgewatch(ctx, d);
    const peer = await runVmPeer(ctx, (bin) => vm(ctx, bin, d));
    const name = `VictoriaMetrics ${vmVersion() ?? ''}`.trim();
    const vmJson = typeof peer === 'string' ? undefined : peer.json;
    const reloads = ew.reloads ? [`${ew.reloads} Worker reloads during the run`] : [];
    const rows = [
      row(
        'Edgewatch (NDJSON)',
        ew.full,
        n,
        ['peak RSS of workerd', 'vs peer = rows/s / VM JSON export', ...reloads],
        vmJson,
      ),
      row(
        'Edgewatch (NDJSON, rows=compact)',
        ew.compact,
        n,
        [
          'a header line per series, then [ts,value] rows',
          'peak RSS of workerd, measured after the full form',
          'vs peer = rows/s / VM JSON export',
        ],
        vmJson,
      ),
    ];
    if (typeof peer === 'string') rows.push({ benchmark: 'export', system: 'VictoriaMetrics', notes: peer });
    else
      rows.push(
        row(`${name} (/api/v1/export)`, peer.json, n, ['JSON lines, one per series block']),
        row(`${name} (/api/v1/export/csv)`, peer.csv, n, ['one row per line']),
      );
    return rows;
  },
};

import { describe, expect, it } from 'vitest';
import { computeGoals, formatGoals, type Goal } from '../../bench/goals.ts';
import { toLineProtocol } from '../../bench/influxdb.ts';
import type { Row } from '../../bench/types.ts';

/** Rows shaped like one full `npm run bench` run's (systems and `extra` as the modules write them). */
const RUN: Row[] = [
  { benchmark: 'ingest', system: 'Edgewatch (json)', samplesPerSec: 30_000, notes: '4 senders x 1000' },
  { benchmark: 'ingest', system: 'VictoriaMetrics 1.79.3 (json, ack)', samplesPerSec: 400_000, notes: '' },
  { benchmark: 'ingest', system: 'VictoriaMetrics 1.79.3 (json, queryable)', samplesPerSec: 100_000, notes: '' },
  {
    benchmark: 'ingest',
    system: 'InfluxDB 1.6.7 (json, ack)',
    samplesPerSec: 25_000,
    notes: '',
    extra: { variant: 'json', kind: 'ack' },
  },
  {
    benchmark: 'ingest',
    system: 'InfluxDB 1.6.7 (json, queryable)',
    samplesPerSec: 24_000,
    notes: '',
    extra: { variant: 'json', kind: 'queryable' },
  },
  { benchmark: 'ingest', system: 'Edgewatch (gzip)', samplesPerSec: 10_000, notes: '' },
  { benchmark: 'ingest', system: 'VictoriaMetrics 1.79.3 (gzip, queryable)', samplesPerSec: 80_000, notes: '' },
  { benchmark: 'ingest', system: 'InfluxDB', notes: 'failed: influxd exited with 1' },
  {
    benchmark: 'footprint',
    system: 'edgewatch-agent (node v20.19.0)',
    cpuSeconds: 3,
    peakRssMiB: 92,
    notes: '',
    extra: { steadyCpuSeconds: 2.4 },
  },
  {
    benchmark: 'footprint',
    system: 'prometheus-node-exporter',
    cpuSeconds: 1,
    peakRssMiB: 20,
    notes: '',
    extra: { steadyCpuSeconds: 2 },
  },
  {
    benchmark: 'fanout',
    system: 'Edgewatch (WebSocket)',
    p50Ms: 37,
    notes: '',
    extra: { publishP50Ms: 35 },
  },
  {
    benchmark: 'fanout',
    system: 'mosquitto 2 (MQTT, pub QoS 1, sub QoS 0)',
    p50Ms: 1,
    notes: '',
    extra: { publishP50Ms: 1 },
  },
  { benchmark: 'query', system: 'Edgewatch (raw 24 h, stored points)', p50Ms: 5, notes: '' },
  { benchmark: 'query', system: 'Edgewatch (raw 24 h, step=10s)', p50Ms: 30, notes: '' },
  { benchmark: 'query', system: 'VictoriaMetrics 1.79.3 (raw 24 h, step=10s)', p50Ms: 10, notes: '' },
  { benchmark: 'query', system: 'Edgewatch (30 d, step=1h, 100 series)', p50Ms: 40, notes: '' },
  { benchmark: 'query', system: 'VictoriaMetrics 1.79.3 (30 d, step=1h, 100 series)', p50Ms: 20, notes: '' },
  { benchmark: 'query', system: "Edgewatch at workerd's socket (raw 24 h, step=10s)", p50Ms: 15, notes: '' },
  { benchmark: 'query', system: 'Edgewatch (raw 24 h, step=10s, uncompressed)', p50Ms: 12, notes: '' },
  { benchmark: 'query', system: 'VictoriaMetrics 1.79.3 (raw 24 h, step=10s, uncompressed)', p50Ms: 8, notes: '' },
  {
    benchmark: 'storage',
    system: 'Edgewatch raw (DeviceHub SQLite)',
    notes: '',
    extra: {
      rawFileBytes: 864_000 * 3,
      samples: 864_000,
      rollups: { rollups_1m: { bytes: 864_000 * 4, rows: 144_000 }, rollups_1h: { bytes: 864_000, rows: 2_600 } },
    },
  },
  { benchmark: 'storage', system: 'Edgewatch rollups (D1)', notes: '' },
  {
    benchmark: 'storage',
    system: 'VictoriaMetrics 1.79.3 (after force_merge)',
    notes: '',
    extra: { dirBytes: 864_000 * 2, samples: 864_000 },
  },
  {
    benchmark: 'export',
    system: 'Edgewatch (NDJSON)',
    samplesPerSec: 200_000,
    peakRssMiB: 250,
    notes: '',
    extra: { rssBeforeMiB: 200 },
  },
  {
    benchmark: 'export',
    system: 'VictoriaMetrics 1.79.3 (/api/v1/export)',
    samplesPerSec: 500_000,
    peakRssMiB: 60,
    notes: '',
    extra: { rssBeforeMiB: 40 },
  },
  { benchmark: 'export', system: 'VictoriaMetrics 1.79.3 (/api/v1/export/csv)', samplesPerSec: 900_000, notes: '' },
];

const byFigure = (goals: Goal[]) => Object.fromEntries(goals.map((g) => [g.figure, g]));

describe('bench goals table (issue 14)', () => {
  it('computes each figure, its ratio to the peer of the same run, and whether the goal is met', () => {
    const g = byFigure(computeGoals(RUN));
    expect(g['raw bytes per sample (20 devices × 10 series × 12 h at 10 s)']).toMatchObject({
      edgewatch: 3,
      peer: 2,
      peerName: 'VictoriaMetrics 1.79.3',
      ratio: 1.5,
      met: 'yes',
    });
    // The rollups row carries no bytes here, so they come from the raw row's per-table figures.
    expect(g['rollup bytes per raw sample at 10 s']).toMatchObject({ edgewatch: 5, met: 'yes' });
    expect(g['ingest samples/s, batches of 1,000 (json) vs VictoriaMetrics queryable']).toMatchObject({
      ratio: 0.3,
      met: 'yes',
    });
    expect(g['ingest samples/s, batches of 1,000 (json) vs InfluxDB']).toMatchObject({
      peer: 25_000,
      ratio: 1.2,
      met: 'yes',
    });
    expect(g['ingest samples/s, batches of 1,000 (gzip) vs VictoriaMetrics queryable']).toMatchObject({
      ratio: 0.125,
      met: 'no',
    });
    // InfluxDB's gzip run failed: no figure, whatever its failure row says.
    expect(g['ingest samples/s, batches of 1,000 (gzip) vs InfluxDB']).toMatchObject({
      edgewatch: 10_000,
      met: 'not measured',
    });
    expect(g['ingest samples/s, batches of 1,000 (gzip) vs InfluxDB']!.peer).toBeUndefined();
    expect(g['query p50: 24 h raw of one series']).toMatchObject({ edgewatch: 30, peer: 10, ratio: 3, met: 'no' });
    expect(g['query p50: 30 d at 1 h for 100 series']).toMatchObject({ ratio: 2, met: 'yes' });
    expect(g["query p50: 24 h raw of one series at workerd's socket (no wrangler dev proxy)"]).toMatchObject({
      edgewatch: 15,
      ratio: 1.5,
      met: 'yes',
    });
    expect(g["query p50: 30 d at 1 h for 100 series at workerd's socket (no wrangler dev proxy)"]).toMatchObject({
      met: 'not measured',
    });
    // The uncompressed reads are compared with the peer's uncompressed row, not its gzip one.
    expect(g['query p50: 24 h raw of one series, both uncompressed']).toMatchObject({
      edgewatch: 12,
      peer: 8,
      ratio: 1.5,
      met: 'yes',
    });
    expect(g['query p50: 30 d at 1 h for 100 series, both uncompressed']).toMatchObject({ met: 'not measured' });
    expect(g['export 1M rows (NDJSON): rows/s vs VictoriaMetrics']).toMatchObject({ ratio: 0.4, met: 'no' });
    expect(g['export 1M rows (NDJSON): workerd RSS growth']).toMatchObject({ edgewatch: 50, peer: 20, met: 'yes' });
    expect(g['fan-out: what the hub adds to the ingest acknowledgement (p50)']).toMatchObject({
      edgewatch: 2,
      peer: 0,
      met: 'yes',
    });
    expect(g['agent peak RSS']).toMatchObject({ edgewatch: 92, peer: 20, met: 'no' });
    expect(g['agent steady CPU vs node_exporter']).toMatchObject({ ratio: 1.2, met: 'yes' });
  });

  it('prefers a figure a row carries itself over the one derived from others', () => {
    const rows = RUN.map((r) =>
      r.system === 'Edgewatch rollups (D1)'
        ? { ...r, extra: { bytes: 864_000 * 7, samples: 864_000 } }
        : r.system === 'Edgewatch (WebSocket)'
          ? { ...r, extra: { ...r.extra, hubAddsP50Ms: 4 } }
          : r,
    );
    const g = byFigure(computeGoals(rows));
    expect(g['rollup bytes per raw sample at 10 s']).toMatchObject({ edgewatch: 7, met: 'no' });
    expect(g['fan-out: what the hub adds to the ingest acknowledgement (p50)']).toMatchObject({
      edgewatch: 4,
      met: 'no',
    });
  });

  it('says "not measured" for every goal whose benchmark did not run', () => {
    const goals = computeGoals(RUN.filter((r) => r.benchmark === 'ingest'));
    const measured = goals.filter((g) => g.met !== 'not measured').map((g) => g.figure);
    expect(measured).toEqual([
      'ingest samples/s, batches of 1,000 (json) vs VictoriaMetrics queryable',
      'ingest samples/s, batches of 1,000 (json) vs InfluxDB',
      'ingest samples/s, batches of 1,000 (gzip) vs VictoriaMetrics queryable',
    ]);
    const empty = computeGoals([]);
    expect(empty.length).toBeGreaterThanOrEqual(11);
    expect(empty.every((g) => g.met === 'not measured' && g.edgewatch === undefined)).toBe(true);
  });

  it('prints one line per goal under a "Goals (issue 14)" heading', () => {
    const goals = computeGoals(RUN);
    const lines = formatGoals(goals).split('\n');
    expect(lines[0]).toBe('Goals (issue 14)');
    expect(lines[1]).toMatch(/^figure\s+Edgewatch\s+peer\s+ratio\s+goal\s+met$/);
    expect(lines).toHaveLength(goals.length + 3);
    expect(lines.find((l) => l.startsWith('raw bytes per sample'))).toMatch(
      /3 B\/sample\s+2 B\/sample \(VictoriaMetrics 1\.79\.3\)\s+1\.500x\s+≤ 2×\s+yes$/,
    );
  });
});

describe('InfluxDB line protocol for the bench peer', () => {
  it('writes the metric as measurement, device and labels as sorted tags, the value as a float field', () => {
    const lp = toLineProtocol(
      [
        { metric: 'disk_used_bytes', ts: 1_700_000_000_000, value: 12, labels: { mount: '/var', idx: 'a b,c=d' } },
        { metric: 'load 1,x', ts: 1_700_000_001_000, value: 0.25 },
      ],
      'bench-0',
    );
    expect(lp).toBe(
      'disk_used_bytes,agent=bench-0,idx=a\\ b\\,c\\=d,mount=/var value=12.0 1700000000000\n' +
        'load\\ 1\\,x,agent=bench-0 value=0.25 1700000001000\n',
    );
  });
});

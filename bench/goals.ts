/**
 * Issue 14's goals as one table, computed from the rows of the benchmarks that ran in this
 * `npm run bench` run, so every ratio compares Edgewatch with a peer measured minutes apart on
 * the same machine. A figure whose rows are missing (its benchmark did not run, or the peer
 * was skipped) is "not measured", never carried over from another run.
 *
 * Where a figure is read from (a row is found by `benchmark` and the start of its `system`):
 * - storage: "Edgewatch raw…" `extra.rawBytes / extra.samples` (pages in use; older rows: rawFileBytes); VictoriaMetrics "…force_merge…"
 *   `extra.dirBytes / extra.samples`; rollups from "Edgewatch rollups…" `extra.bytes / extra.samples`
 *   when that row carries them, else the raw row's `extra.rollups` (bytes per D1 table).
 * - ingest: "Edgewatch (<variant>)" samples/s against "VictoriaMetrics … (<variant>, queryable)"
 *   and InfluxDB's "(<variant>, ack)": InfluxDB acks after its fsynced WAL write, durable and
 *   queryable like Edgewatch's ack, while VictoriaMetrics' ack comes before either.
 * - query: p50 of "Edgewatch (raw 24 h, step=10s)" and "Edgewatch (30 d, step=1h, 100 series)"
 *   against VictoriaMetrics' rows of the same name (the same query shape); then the same for
 *   "Edgewatch at workerd's socket (…)", the reads without wrangler dev's proxy in front.
 * - export: each "Edgewatch (NDJSON…)" row's rows/s against VictoriaMetrics' `/api/v1/export`, and
 *   its workerd growth, `peakRssMiB − extra.rssBeforeMiB`.
 * - fanout: what the hub adds to the ingest acknowledgement, `extra.hubAddsP50Ms` when the row
 *   carries it, else delivery p50 − `extra.publishP50Ms` (the ingest ack p50): how much later
 *   than the publisher's 200 a subscriber sees the sample. A difference of two medians, it is
 *   negative when subscribers usually see the sample before the publisher reads its ack.
 * - footprint: the agent's peak RSS, and `extra.steadyCpuSeconds` (CPU after the first interval,
 *   start-up excluded) against node_exporter's.
 */
import { DIRECT, UNCOMPRESSED_SHAPE } from './query-plan.ts';
import type { Row } from './types.ts';

export type Met = 'yes' | 'no' | 'not measured';

export interface Goal {
  figure: string;
  /** Unit of the Edgewatch and peer figures. */
  unit: string;
  edgewatch?: number;
  peer?: number;
  /** Which peer, e.g. "VictoriaMetrics 1.79.3"; absent for goals without one. */
  peerName?: string;
  /** Edgewatch ÷ peer. */
  ratio?: number;
  /** The goal as written in the issue, e.g. "≤ 2×" or "≤ 6 B". */
  goal: string;
  met: Met;
  notes?: string;
}

type Check = { on: 'ratio' | 'edgewatch'; op: '<=' | '>='; limit: number };

const find = (rows: Row[], benchmark: string, system: (s: string) => boolean) =>
  rows.find((r) => r.benchmark === benchmark && system(r.system) && !/^(skipped|failed)/.test(r.notes));
const starts = (prefix: string) => (s: string) => s.startsWith(prefix);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const x = (r: Row | undefined, key: string) => num(r?.extra?.[key]);
/** The name of a peer's row without what is in parentheses: "VictoriaMetrics 1.79.3". */
const peerName = (r: Row | undefined) => r?.system.replace(/\s*\(.*$/, '');

function goal(
  figure: string,
  unit: string,
  values: { edgewatch?: number; peer?: number; peerRow?: Row; notes?: string },
  check: Check,
  goalText: string,
): Goal {
  const { edgewatch, peer } = values;
  const ratio = edgewatch !== undefined && peer !== undefined && peer !== 0 ? edgewatch / peer : undefined;
  const value = check.on === 'ratio' ? ratio : edgewatch;
  const met: Met =
    value === undefined
      ? 'not measured'
      : (check.op === '<=' ? value <= check.limit : value >= check.limit)
        ? 'yes'
        : 'no';
  return {
    figure,
    unit,
    ...(edgewatch !== undefined && { edgewatch }),
    ...(peer !== undefined && { peer }),
    ...(values.peerRow && { peerName: peerName(values.peerRow) }),
    ...(ratio !== undefined && { ratio }),
    goal: goalText,
    met,
    ...(values.notes && { notes: values.notes }),
  };
}

function storage(rows: Row[]): Goal[] {
  const raw = find(rows, 'storage', starts('Edgewatch raw'));
  const samples = x(raw, 'samples');
  const vm = find(rows, 'storage', (s) => s.startsWith('VictoriaMetrics') && s.includes('force_merge'));
  const perSample = (bytes: number | undefined, n: number | undefined) =>
    bytes !== undefined && n ? bytes / n : undefined;
  const rollupRow = find(rows, 'storage', starts('Edgewatch rollups'));
  let rollup = perSample(x(rollupRow, 'bytes'), x(rollupRow, 'samples'));
  if (rollup === undefined && raw?.extra?.rollups && typeof raw.extra.rollups === 'object') {
    const tables = Object.values(raw.extra.rollups as Record<string, { bytes?: unknown }>);
    const bytes = tables.map((t) => num(t?.bytes));
    if (bytes.length && bytes.every((b) => b !== undefined))
      rollup = perSample(
        bytes.reduce((a, b) => a! + b!, 0),
        samples,
      );
  }
  return [
    goal(
      'raw bytes per sample (20 devices × 10 series × 12 h at 10 s)',
      'B/sample',
      {
        edgewatch: perSample(x(raw, 'rawBytes') ?? x(raw, 'rawFileBytes'), samples),
        peer: perSample(x(vm, 'dirBytes'), x(vm, 'samples')),
        peerRow: vm,
        notes: 'DeviceHub SQLite files vs VictoriaMetrics data folder after force_merge',
      },
      { on: 'ratio', op: '<=', limit: 2 },
      '≤ 2×',
    ),
    goal(
      'rollup bytes per raw sample at 10 s',
      'B/sample',
      { edgewatch: rollup },
      { on: 'edgewatch', op: '<=', limit: 6 },
      '≤ 6 B',
    ),
  ];
}

/** The variant and kind of a peer ingest row: from `extra`, else from "(json, queryable)" in its name. */
function ingestTag(r: Row): { variant?: string; kind?: string } {
  if (typeof r.extra?.variant === 'string') return { variant: r.extra.variant, kind: String(r.extra.kind) };
  const m = /\(([^,()]+), (ack|queryable)\)$/.exec(r.system);
  return m ? { variant: m[1], kind: m[2] } : {};
}

/**
 * Edgewatch's rows through wrangler dev (as `npm start` serves), then at workerd's own socket
 * (without the dev proxy), with what the second adds to a goal's name.
 */
const PATHS = [
  ['Edgewatch', ''],
  [DIRECT, " at workerd's socket (no wrangler dev proxy)"],
] as const;

function ingest(rows: Row[]): Goal[] {
  const peer = (name: string, variant: string, kind: string) =>
    rows.find((r) => {
      const tag = r.benchmark === 'ingest' && r.system.startsWith(name) ? ingestTag(r) : {};
      return tag.variant === variant && tag.kind === kind;
    });
  // The variants at workerd's socket get lines only when they were timed there.
  return PATHS.flatMap(([system, where]) => {
    const variantOf = (r: Row) =>
      r.benchmark === 'ingest' && r.system.startsWith(`${system} (`) && r.system.endsWith(')')
        ? r.system.slice(system.length + 2, -1)
        : undefined;
    const ew = rows.filter((r) => variantOf(r) !== undefined);
    if (!ew.length && where) return [];
    const variants = ew.length ? ew.map((r) => variantOf(r)!) : ['json'];
    return variants.flatMap((variant) => {
      const mine = ew.find((r) => r.system === `${system} (${variant})`);
      const vm = peer('VictoriaMetrics', variant, 'queryable');
      const influx = peer('InfluxDB', variant, 'ack');
      return [
        goal(
          `ingest samples/s, batches of 1,000 (${variant})${where} vs VictoriaMetrics queryable`,
          'samples/s',
          { edgewatch: mine?.samplesPerSec, peer: vm?.samplesPerSec, peerRow: vm },
          { on: 'ratio', op: '>=', limit: 0.25 },
          '≥ 0.25×',
        ),
        goal(
          `ingest samples/s, batches of 1,000 (${variant})${where} vs InfluxDB`,
          'samples/s',
          {
            edgewatch: mine?.samplesPerSec,
            peer: influx?.samplesPerSec,
            peerRow: influx,
            notes: 'InfluxDB ack = WAL fsynced',
          },
          { on: 'ratio', op: '>=', limit: 1 },
          '≥ 1×',
        ),
      ];
    });
  });
}

function query(rows: Row[]): Goal[] {
  const shapes = [
    ['raw 24 h, step=10s', 'query p50: 24 h raw of one series'],
    ['30 d, step=1h, 100 series', 'query p50: 30 d at 1 h for 100 series'],
  ] as const;
  // Each shape on each path, then both systems without compression (through wrangler dev only).
  const lines = [
    ...PATHS.flatMap(([system, where]) =>
      shapes.map(([shape, figure]) => ({ system, shape, figure: `${figure}${where}` })),
    ),
    ...shapes.map(([shape, figure]) => ({
      system: 'Edgewatch',
      shape: `${shape}${UNCOMPRESSED_SHAPE}`,
      figure: `${figure}, both uncompressed`,
    })),
  ];
  return lines.map(({ system, shape, figure }) => {
    const mine = find(rows, 'query', (s) => s === `${system} (${shape})`);
    const vm = find(rows, 'query', (s) => s.startsWith('VictoriaMetrics') && s.endsWith(`(${shape})`));
    return goal(
      figure,
      'ms',
      { edgewatch: mine?.p50Ms, peer: vm?.p50Ms, peerRow: vm },
      { on: 'ratio', op: '<=', limit: 2 },
      '≤ 2×',
    );
  });
}

function exports(rows: Row[]): Goal[] {
  const vm = find(rows, 'export', (s) => s.startsWith('VictoriaMetrics') && s.includes('/api/v1/export)'));
  const ew = rows.filter((r) => r.benchmark === 'export' && r.system.startsWith('Edgewatch (NDJSON'));
  const growth = (r: Row | undefined) => {
    const before = x(r, 'rssBeforeMiB');
    return r?.peakRssMiB !== undefined && before !== undefined ? r.peakRssMiB - before : undefined;
  };
  return (ew.length ? ew : [undefined]).flatMap((mine) => {
    const label = mine ? mine.system.replace(/^Edgewatch /, '') : '(NDJSON)';
    return [
      goal(
        `export 1M rows ${label}: rows/s vs VictoriaMetrics`,
        'rows/s',
        { edgewatch: mine?.samplesPerSec, peer: vm?.samplesPerSec, peerRow: vm },
        { on: 'ratio', op: '>=', limit: 0.5 },
        '≥ 0.5×',
      ),
      goal(
        `export 1M rows ${label}: workerd RSS growth`,
        'MiB',
        { edgewatch: growth(mine), peer: growth(vm), peerRow: vm, notes: 'peak RSS during the runs − RSS before' },
        { on: 'edgewatch', op: '<=', limit: 64 },
        '≤ 64 MiB',
      ),
    ];
  });
}

function fanout(rows: Row[]): Goal[] {
  const adds = (r: Row | undefined) => {
    const direct = x(r, 'hubAddsP50Ms');
    if (direct !== undefined) return direct;
    const ack = x(r, 'publishP50Ms');
    return r?.p50Ms !== undefined && ack !== undefined ? r.p50Ms - ack : undefined;
  };
  const mine = find(rows, 'fanout', starts('Edgewatch'));
  const mq = find(rows, 'fanout', starts('mosquitto'));
  return [
    goal(
      'fan-out: what the hub adds to the ingest acknowledgement (p50)',
      'ms',
      { edgewatch: adds(mine), peer: adds(mq), peerRow: mq, notes: 'delivery p50 − publish ack p50' },
      { on: 'edgewatch', op: '<=', limit: 3 },
      '≤ 3 ms',
    ),
  ];
}

function footprint(rows: Row[]): Goal[] {
  const agent = find(rows, 'footprint', starts('edgewatch-agent'));
  const exporter = find(rows, 'footprint', starts('prometheus-node-exporter'));
  return [
    goal(
      'agent peak RSS',
      'MiB',
      { edgewatch: agent?.peakRssMiB, peer: exporter?.peakRssMiB, peerRow: exporter },
      { on: 'edgewatch', op: '<=', limit: 60 },
      '≤ 60 MiB',
    ),
    goal(
      'agent steady CPU vs node_exporter',
      'CPU s',
      { edgewatch: x(agent, 'steadyCpuSeconds'), peer: x(exporter, 'steadyCpuSeconds'), peerRow: exporter },
      { on: 'ratio', op: '<=', limit: 1.5 },
      '≤ 1.5×',
    ),
  ];
}

/** Every goal of issue 14, in the issue's order, from one run's rows. */
export function computeGoals(rows: Row[]): Goal[] {
  return [...storage(rows), ...ingest(rows), ...query(rows), ...exports(rows), ...fanout(rows), ...footprint(rows)];
}

function fmt(n: number | undefined, unit: string): string {
  if (n === undefined) return '';
  const digits = Math.abs(n) >= 1000 ? 0 : Math.abs(n) >= 100 ? 1 : 2;
  return `${n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${unit}`;
}

/** The goals as a plain-text table, like the main one. */
export function formatGoals(goals: Goal[]): string {
  const head = ['figure', 'Edgewatch', 'peer', 'ratio', 'goal', 'met'];
  const cells = goals.map((g) => [
    g.figure,
    fmt(g.edgewatch, g.unit),
    g.peer === undefined ? '' : `${fmt(g.peer, g.unit)}${g.peerName ? ` (${g.peerName})` : ''}`,
    g.ratio === undefined ? '' : `${g.ratio.toFixed(3)}x`,
    g.goal,
    g.met,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const right = [false, true, true, true, false, false];
  const line = (v: string[]) =>
    v
      .map((s, i) => (right[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return ['Goals (issue 14)', line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * `query`: read latency over stored data. (a) 24 h of raw 10 s samples of one series;
 * (b) 30 days of 100 series at a 1 h step, which Edgewatch answers from its D1 hourly
 * rollups. VictoriaMetrics answers the same reads from the same samples, in the same run, and
 * a Worker that only returns Edgewatch's answers shows what the local server itself costs
 * (dev-server-floor.ts).
 */
import { devServerFloor } from './dev-server-floor.ts';
import { fmtRate } from './load.ts';
import { describe, comparePoints, pointCount } from './points.ts';
import { edgewatchQueries, type EdgewatchQueries } from './query-edgewatch.ts';
import { DIRECT, queryPlan, RUNS, UNCOMPRESSED_SHAPE, type Measured, type QueryPlan } from './query-plan.ts';
import { vmQueries, type VmQueries } from './query-vm.ts';
import type { BenchModule, Row } from './types.ts';
import { runVmPeer, vmVersion } from './victoria-metrics.ts';

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A row's figures: rows/s is the rows one answer holds over its median latency. */
function figures(m: Measured) {
  const rows = pointCount(m.points);
  return {
    samplesPerSec: rows / (m.timed.p50Ms / 1000),
    p50Ms: round(m.timed.p50Ms),
    p99Ms: round(m.timed.p99Ms),
    extra: { rows, runs: m.timed.runs, source: m.source },
  };
}

/** What an answer must hold: its row count and source, or the notes say how it differed. */
interface Expect {
  rows: number;
  source: string;
}

function edgewatchRow(system: string, m: Measured, expect: Expect, what: string, peer: Measured | undefined): Row {
  const rows = pointCount(m.points);
  const notes = [`${fmtRate(rows)} rows, source ${m.source}`, what];
  if (rows !== expect.rows) notes.push(`EXPECTED ${fmtRate(expect.rows)} rows`);
  if (m.source !== expect.source) notes.push(`EXPECTED source ${expect.source}`);
  if (peer) notes.push(describe(comparePoints(m.points, peer.points)), 'vs peer = p50 latency / VM p50');
  return {
    benchmark: 'query',
    system,
    ...figures(m),
    ratio: peer ? m.timed.p50Ms / peer.timed.p50Ms : undefined,
    notes: notes.join('; '),
  };
}

/** VictoriaMetrics' row of one read. */
const vmRow = (system: string, m: Measured, notes: string): Row => ({
  benchmark: 'query',
  system,
  ...figures(m),
  notes,
});

function rows(plan: QueryPlan, ew: EdgewatchQueries, vm: VmQueries | string): Row[] {
  const rawExpect = { rows: plan.raw.points, source: 'raw' };
  const monthExpect = { rows: plan.month.devices * plan.month.seriesPerDevice * 720, source: '1h' };
  const vmOk = typeof vm === 'string' ? undefined : vm;
  const s = ew.setup;
  const vmName = `VictoriaMetrics ${vmVersion() ?? ''}`.trim();
  const out: Row[] = [
    edgewatchRow(
      'Edgewatch (raw 24 h, stored points)',
      ew.raw.noStep,
      rawExpect,
      'GET /v1/series/:id/history source=raw',
      vmOk?.raw,
    ),
    edgewatchRow(
      'Edgewatch (raw 24 h, step=10s)',
      ew.raw.step10s,
      rawExpect,
      'GET /v1/history step=10s source=raw',
      vmOk?.raw,
    ),
  ];
  if (vmOk) out.push(vmRow(`${vmName} (raw 24 h, step=10s)`, vmOk.raw, 'query_range step=10s'));
  const month = edgewatchRow(
    'Edgewatch (30 d, step=1h, 100 series)',
    ew.month,
    monthExpect,
    `GET /v1/history agg=mean; loaded in ${s.loadSeconds.toFixed(0)} s, 1m rollups after ${s.rollup1mSeconds.toFixed(0)} s, 1h after ${s.rollup1hSeconds.toFixed(0)} s more`,
    vmOk?.month,
  );
  month.extra = { ...month.extra, setup: s };
  // A reload restarts every Durable Object and may land in a timed phase.
  if (s.reloads) for (const r of out.concat(month)) r.notes += `; ${s.reloads} Worker reloads during the run`;
  out.push(month);
  if (vmOk)
    out.push(
      vmRow(
        `${vmName} (30 d, step=1h, 100 series)`,
        vmOk.month,
        'query_range avg_over_time(…[1h]) over the raw samples',
      ),
    );
  else out.push({ benchmark: 'query', system: 'VictoriaMetrics', notes: vm as string });
  // Both systems again without response compression (query-plan.ts, UNCOMPRESSED).
  const shapes = [
    ['raw 24 h, step=10s', ew.uncompressed.step10s, rawExpect, vmOk?.uncompressed.raw],
    ['30 d, step=1h, 100 series', ew.uncompressed.month, monthExpect, vmOk?.uncompressed.month],
  ] as const;
  for (const [shape, mine, expect, peer] of shapes) {
    const name = `${shape}${UNCOMPRESSED_SHAPE}`;
    out.push(edgewatchRow(`Edgewatch (${name})`, mine, expect, 'the same GET with Accept-Encoding: identity', peer));
    if (peer) out.push(vmRow(`${vmName} (${name})`, peer, 'Accept-Encoding: identity'));
  }
  if (typeof ew.direct === 'string') out.push({ benchmark: 'query', system: DIRECT, notes: ew.direct });
  else {
    const what = "the same GET at the Worker's workerd socket, without the wrangler dev proxy in front";
    out.push(
      edgewatchRow(`${DIRECT} (raw 24 h, step=10s)`, ew.direct.step10s, rawExpect, what, vmOk?.raw),
      edgewatchRow(`${DIRECT} (30 d, step=1h, 100 series)`, ew.direct.month, monthExpect, what, vmOk?.month),
    );
  }
  return out;
}

export const queryBench: BenchModule = {
  name: 'query',
  async run(ctx) {
    const plan = queryPlan();
    const ew = await edgewatchQueries(ctx, plan);
    const floor = await devServerFloor(
      ctx,
      [
        { name: 'raw 24 h, step=10s', text: ew.raw.step10s.timed.text },
        { name: '30 d, step=1h, 100 series', text: ew.month.timed.text },
      ],
      RUNS,
    );
    const vm = await runVmPeer(ctx, (bin) => vmQueries(ctx, bin, plan));
    return [...rows(plan, ew, vm), ...floor];
  },
};

/**
 * The query benchmark's VictoriaMetrics half: the same samples through its import, then the
 * same reads with `query_range`. VictoriaMetrics has no rollups: its 30-day query reads the
 * raw samples every time, which is the comparison a user of either system would make.
 */
import { loadVm } from './bulk-load.ts';
import { deviceName, endOf, seriesKey, METRIC } from './dataset.ts';
import { vmPoints } from './points.ts';
import { RUNS, UNCOMPRESSED, type Measured, type QueryPlan } from './query-plan.ts';
import { timeGets, type Endpoint } from './timing.ts';
import type { BenchContext } from './types.ts';
import { startVm, vmForceFlush, vmMatrix, vmQueryRangePath } from './victoria-metrics.ts';

const HOUR = 3_600_000;

export interface VmQueries {
  raw: Measured;
  month: Measured;
  /** The same two reads asking for no compression. */
  uncompressed: { raw: Measured; month: Measured };
}

/** `agent="q30-7", idx="0"` → the data set's key for device 7, series 0. */
const keyOf = (name: string) => (labels: Record<string, string>) =>
  seriesKey(Number(labels.agent?.slice(name.length + 1)), labels);

export async function vmQueries(ctx: BenchContext, bin: string, plan: QueryPlan): Promise<VmQueries> {
  const vm = await startVm(ctx, bin);
  await loadVm(ctx, vm.url, plan.raw);
  await loadVm(ctx, vm.url, plan.month);
  await vmForceFlush(vm.url);

  ctx.log(`  timing VictoriaMetrics' query_range (${RUNS} runs each)…`);
  const to = { url: vm.url };
  const rawQuery = `${METRIC}{agent="${deviceName(plan.raw, 0)}"}`;
  // Inclusive end: the last sample's own timestamp, so both systems return 8,640 points.
  const rawEnd = endOf(plan.raw) - plan.raw.intervalMs;
  const rawPath = vmQueryRangePath(rawQuery, plan.raw.start, rawEnd, '10s');
  const monthQuery = `avg_over_time(${METRIC}{agent=~"${plan.month.name}-.+"}[1h])`;
  const monthPath = vmQueryRangePath(monthQuery, plan.monthFrom + HOUR, plan.monthTo, '1h');
  const reads = async (at: Endpoint) => {
    const raw = await timeGets(at, rawPath, RUNS);
    const month = await timeGets(at, monthPath, RUNS);
    return {
      raw: { timed: raw, points: vmPoints(vmMatrix(raw.text), keyOf(plan.raw.name)), source: rawQuery },
      month: {
        timed: month,
        points: vmPoints(vmMatrix(month.text), keyOf(plan.month.name), -HOUR),
        source: monthQuery,
      },
    };
  };
  const compressed = await reads(to);
  const uncompressed = await reads({ ...to, headers: UNCOMPRESSED });
  await vm.stop();
  return { ...compressed, uncompressed };
}

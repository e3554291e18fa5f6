import { buildDashboard } from '../scripts/build.ts';
import { launchBrowser } from '../test/e2e/browser.ts';
import { measureChart } from './dashboard-chart.ts';
import { measureFleet } from './dashboard-fleet.ts';
import type { BenchModule, Row } from './types.ts';

/** The `q` quantile (0–1) of `values`, nearest rank. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** A row from frame intervals: p50 and p95 (in `p99Ms`' place the table has p95 in the notes). */
function frameRow(benchmark: string, frames: number[], notes: string, extra: Record<string, unknown>): Row {
  const p50 = round(quantile(frames, 0.5));
  const p95 = round(quantile(frames, 0.95));
  const long = frames.filter((f) => f > 50).length;
  return {
    benchmark,
    system: 'Chromium',
    p50Ms: p50,
    notes: `frame p50 ${p50} ms, p95 ${p95} ms, max ${round(Math.max(...frames))} ms, ${long}/${frames.length} frames over 50 ms; ${notes}`,
    extra: { frameP50Ms: p50, frameP95Ms: p95, frames: frames.length, longFrames: long, ...extra },
  };
}

/**
 * `npm run bench -- dashboard`: the dashboard in headless Chromium (software rendering, no
 * GPU). A uPlot chart of 100,000 points renders, then zooms and pans with the scale changed
 * every frame; then the fleet page lists 1,000 devices whose live values arrive through the
 * page's own stream connection (played by the benchmark), with frame times and JS heap.
 */
export const dashboardBench: BenchModule = {
  name: 'dashboard',
  async run(ctx) {
    await buildDashboard();
    const browser = await launchBrowser();
    ctx.defer(() => browser.close());
    const rows: Row[] = [];

    const chart = await measureChart(browser, ctx);
    ctx.log(`  chart: ${chart.points} points drawn in ${round(chart.firstRenderMs)} ms`);
    rows.push({
      benchmark: 'dashboard chart render',
      system: 'uPlot in Chromium',
      p50Ms: round(chart.firstRenderMs),
      notes: `${chart.points.toLocaleString('en')} points: new uPlot() to first painted frame`,
      extra: { firstRenderMs: chart.firstRenderMs },
    });
    const work = (ms: number[]) => ({ redrawP50Ms: round(quantile(ms, 0.5)), redrawP95Ms: round(quantile(ms, 0.95)) });
    const z = work(chart.zoomWorkMs);
    const p = work(chart.panWorkMs);
    rows.push(
      frameRow(
        'dashboard chart zoom',
        chart.zoomFrames,
        `x scale narrowed every frame; redraw p50 ${z.redrawP50Ms} ms, p95 ${z.redrawP95Ms} ms`,
        z,
      ),
    );
    rows.push(
      frameRow(
        'dashboard chart pan',
        chart.panFrames,
        `x scale shifted every frame; redraw p50 ${p.redrawP50Ms} ms, p95 ${p.redrawP95Ms} ms`,
        p,
      ),
    );

    const fleet = await measureFleet(browser, ctx);
    const rate = Math.round(fleet.samplesSent / (fleet.frames.reduce((a, b) => a + b, 0) / 1000));
    rows.push(
      frameRow(
        'dashboard fleet live',
        fleet.frames,
        `${fleet.devices} devices, ${rate} live samples/s; JS heap ${round(fleet.heapUsedMiB)} MiB after GC; first row after ${round(fleet.firstRowSeconds)} s`,
        {
          devices: fleet.devices,
          samplesPerSecond: rate,
          heapUsedMiB: fleet.heapUsedMiB,
          performanceMemoryMiB: fleet.performanceMemoryMiB,
          firstRowSeconds: fleet.firstRowSeconds,
        },
      ),
    );
    return rows;
  },
};

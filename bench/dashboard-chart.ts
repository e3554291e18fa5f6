import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ROOT } from '../scripts/local/wrangler.ts';
import type { BenchContext } from './types.ts';

/** What the chart benchmark measured in the page. */
export interface ChartFigures {
  points: number;
  /** From `new uPlot(…)` to the frame after it was painted. */
  firstRenderMs: number;
  /** Frame intervals while the x scale changes every frame (zoom in, then pan). */
  zoomFrames: number[];
  panFrames: number[];
  /** Time uPlot spent redrawing after each scale change, in the same frames. */
  zoomWorkMs: number[];
  panWorkMs: number[];
}

const POINTS = 100_000;
const FRAMES = 120;

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>uPlot bench</title>
<link rel="stylesheet" href="/uPlot.min.css"><script src="/uPlot.iife.min.js"></script></head>
<body><div id="chart"></div></body></html>`;

/** Serves the blank page and uPlot's own files, and nothing else, on a free loopback port. */
async function servePage(): Promise<Server> {
  const dist = join(ROOT, 'node_modules/uplot/dist');
  const files: Record<string, [string, string]> = {
    '/': [PAGE, 'text/html'],
    '/uPlot.iife.min.js': [await readFile(join(dist, 'uPlot.iife.min.js'), 'utf8'), 'text/javascript'],
    '/uPlot.min.css': [await readFile(join(dist, 'uPlot.min.css'), 'utf8'), 'text/css'],
  };
  const server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.[1] ?? 'text/plain' });
    res.end(file?.[0] ?? 'not found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return server;
}

/**
 * Runs in the page: draws a chart of `points` points (one a second, a noisy sine), waits for
 * its first paint, then changes the x scale on every animation frame, zooming in by halves
 * towards the middle and then panning, recording each frame's interval.
 */
const IN_PAGE = `async ({ points, frames }) => {
  const xs = new Float64Array(points), ys = new Float64Array(points);
  const t0 = 1.7e9;
  for (let i = 0; i < points; i++) { xs[i] = t0 + i; ys[i] = 50 + 30 * Math.sin(i / 500) + 5 * Math.sin(i * 1.7); }
  const frame = () => new Promise((r) => requestAnimationFrame(r));
  const start = performance.now();
  const chart = new uPlot({ width: 1200, height: 400, series: [{}, { label: 'cpu', stroke: '#2563eb' }] },
    [xs, ys], document.getElementById('chart'));
  await frame(); await frame();
  const firstRenderMs = performance.now() - start;
  const run = async (scaleFor) => {
    const out = [], work = []; let last = await frame();
    for (let f = 0; f < frames; f++) {
      const [min, max] = scaleFor(f);
      const t = performance.now();
      chart.setScale('x', { min, max });
      // uPlot redraws in a microtask queued by setScale, so this resolves after the redraw.
      await Promise.resolve(); work.push(performance.now() - t);
      const now = await frame(); out.push(now - last); last = now;
    }
    return [out, work];
  };
  const span = points;
  const [zoomFrames, zoomWorkMs] = await run((f) => {
    const width = span * Math.pow(0.97, f) ;
    const mid = t0 + span / 2;
    return [mid - width / 2, mid + width / 2];
  });
  const window = span / 4;
  const [panFrames, panWorkMs] = await run((f) => {
    const from = t0 + ((f / frames) * (span - window));
    return [from, from + window];
  });
  chart.destroy();
  return { points, firstRenderMs, zoomFrames, panFrames, zoomWorkMs, panWorkMs };
}`;

/** Measures uPlot with 100,000 points in Chromium: first render, then zoom and pan frame times. */
export async function measureChart(browser: Browser, ctx: BenchContext): Promise<ChartFigures> {
  const server = await servePage();
  ctx.defer(() => new Promise<void>((done) => server.close(() => done())));
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  try {
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction('typeof uPlot === "function"');
    return await page.evaluate<ChartFigures>(`(${IN_PAGE})(${JSON.stringify({ points: POINTS, frames: FRAMES })})`);
  } finally {
    await page.close();
  }
}

import uPlot from 'uplot';
import type { HistoryPoint } from '../../../schema/wire/telemetry.ts';
import { h } from './dom.ts';
import { percent } from './format.ts';
import { SeriesWindow } from './series-window.ts';

const HEIGHT = 300;
/** A device with little history is drawn over at least this span, not squeezed against the right edge. */
const MIN_SPAN_MS = 2 * 60_000;

/** A live CPU line chart over a rolling window; the point count is mirrored in `data-points`. */
export class CpuChart {
  readonly el: HTMLElement;
  readonly points: SeriesWindow;
  #plot: uPlot;
  #empty: HTMLElement;
  #resize: ResizeObserver;
  #now = Date.now();

  constructor(windowMs: number) {
    this.points = new SeriesWindow(windowMs);
    this.#empty = h('p', { class: 'chart-empty' }, 'Waiting for CPU samples…');
    const canvasHost = h('div', { class: 'chart-canvas' });
    this.el = h('div', { class: 'chart', 'data-testid': 'cpu-chart', 'data-points': 0 }, canvasHost, this.#empty);

    const css = getComputedStyle(document.documentElement);
    const color = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
    const line = color('--chart-line', '#2563eb');
    const grid = color('--chart-grid', '#e5e7eb');
    const ink = color('--ink-muted', '#6b7280');
    const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };

    this.#plot = new uPlot(
      {
        width: 600,
        height: HEIGHT,
        cursor: { drag: { x: false, y: false } },
        legend: { show: false },
        scales: {
          x: { time: true, range: () => this.#xRange(windowMs) },
          y: { range: [0, 100] },
        },
        axes: [axis, { ...axis, size: 60, values: (_u, ticks) => ticks.map((t) => `${t} %`) }],
        series: [
          {},
          {
            label: 'CPU',
            stroke: line,
            width: 2,
            fill: color('--chart-fill', 'rgba(37, 99, 235, 0.12)'),
            points: { show: false },
            value: (_u, v) => (v === null ? '–' : percent(v)),
          },
        ],
      },
      [[], []],
      canvasHost,
    );
    this.#resize = new ResizeObserver(() => {
      const width = Math.floor(canvasHost.clientWidth);
      if (width > 0 && width !== this.#plot.width) this.#plot.setSize({ width, height: HEIGHT });
    });
    this.#resize.observe(canvasHost);
  }

  /** Replaces every point (a device switch or a refetch after reconnecting). */
  reset(points: HistoryPoint[], now = Date.now()): void {
    this.points.clear();
    this.points.add(points);
    this.#redraw(now);
  }

  /** Adds live points and slides the window. */
  append(points: HistoryPoint[], now = Date.now()): void {
    this.points.add(points);
    this.#redraw(now);
  }

  /** Slides the window with no new data, so the line moves even when the device is silent. */
  tick(now = Date.now()): void {
    this.points.advance(now);
    this.#redraw(now);
  }

  destroy(): void {
    this.#resize.disconnect();
    this.#plot.destroy();
  }

  /** The rolling window, narrowed while the data covers less than it. In seconds, as uPlot's x is. */
  #xRange(windowMs: number): [number, number] {
    const first = this.points.first?.ts ?? this.#now;
    const min = Math.max(this.#now - windowMs, Math.min(first, this.#now - MIN_SPAN_MS));
    return [min / 1000, this.#now / 1000];
  }

  #redraw(now: number): void {
    this.#now = Math.max(now, this.points.last?.ts ?? 0);
    this.#plot.setData(this.points.columns());
    this.el.dataset['points'] = String(this.points.size);
    this.#empty.hidden = this.points.size > 0;
  }
}

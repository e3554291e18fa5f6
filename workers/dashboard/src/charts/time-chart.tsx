import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import './chart.css';
import { cssVar, seriesColor } from './colors.ts';
import { formatValue, type Unit } from './units.ts';

/** One line of a chart: `key` identifies it in the data, `label` is shown in the legend. */
export interface ChartLine {
  key: string;
  label: string;
}

export interface TimeChartProps {
  /** The chart's accessible name. */
  title: string;
  lines: readonly ChartLine[];
  /** uPlot's aligned columns: x in seconds, then one column per line in `lines` order. */
  data: uPlot.AlignedData;
  unit: Unit;
  /** The time range drawn, in epoch ms; a live chart passes a sliding one. */
  from: number;
  to: number;
  /** Called with the range a user selected by dragging (epoch ms). */
  onZoom?: (from: number, to: number) => void;
  height?: number;
  testId?: string;
}

const MIN_WIDTH = 240;

function options(p: TimeChartProps, width: number, range: { current: [number, number] }): uPlot.Options {
  const grid = cssVar('--chart-grid', '#e5e7eb');
  const ink = cssVar('--ink-muted', '#6b7280');
  const axis: uPlot.Axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  return {
    width,
    height: p.height ?? 220,
    // Drag selects a time range (zoom); the y axis stays automatic.
    cursor: { drag: { x: true, y: false, setScale: false } },
    select: { show: true, left: 0, top: 0, width: 0, height: 0 },
    legend: { show: true, live: true },
    scales: { x: { time: true, range: () => range.current } },
    axes: [axis, { ...axis, size: 72, values: (_u, ticks) => ticks.map((t) => formatValue(p.unit, t)) }],
    series: [
      {},
      ...p.lines.map((line, i) => ({
        label: line.label,
        stroke: seriesColor(i),
        width: 1.5,
        points: { show: false },
        spanGaps: false,
        value: (_u: uPlot, v: number | null) => formatValue(p.unit, v),
      })),
    ],
    hooks: {
      setSelect: [
        (u) => {
          if (!p.onZoom || u.select.width < 2) return;
          const from = u.posToVal(u.select.left, 'x') * 1000;
          const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          p.onZoom(Math.round(from), Math.round(to));
        },
      ],
    },
  };
}

/**
 * A uPlot time-series chart as a Preact component. The plot is rebuilt only when its lines or
 * unit change; new data (a refetch or live samples) is handed to the existing plot, and the
 * plot follows its container's width.
 */
export function TimeChart(props: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const range = useRef<[number, number]>([props.from / 1000, props.to / 1000]);
  const latest = useRef(props);
  latest.current = props;
  range.current = [props.from / 1000, props.to / 1000];
  const shape = `${props.unit}|${props.lines.map((l) => `${l.key}=${l.label}`).join('|')}`;

  useEffect(() => {
    const el = host.current!;
    const width = Math.max(MIN_WIDTH, Math.floor(el.clientWidth));
    // onZoom is read through `latest` so a new callback does not rebuild the plot.
    const opts = options({ ...props, onZoom: (a, b) => latest.current.onZoom?.(a, b) }, width, range);
    const u = new uPlot(opts, latest.current.data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const w = Math.max(MIN_WIDTH, Math.floor(el.clientWidth));
      if (w !== u.width) u.setSize({ width: w, height: u.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(props.data, true);
  }, [props.data, props.from, props.to]);

  let points = 0;
  for (const col of props.data.slice(1))
    for (const v of col as Iterable<number | null | undefined>) if (v !== null && v !== undefined) points++;
  return (
    <div
      class="time-chart"
      ref={host}
      role="img"
      aria-label={props.title}
      data-testid={props.testId}
      data-points={points}
    />
  );
}

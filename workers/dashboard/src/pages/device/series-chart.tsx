import { useMemo } from 'preact/hooks';
import { TimeChart, type ChartLine } from '../../charts/time-chart.tsx';
import type { Unit } from '../../charts/units.ts';
import { formatStep } from './ranges.ts';
import { useSeriesData, type SeriesQuery } from './use-series-data.ts';

/** A line of a series chart: `key` is the series id; a counter is drawn as its per-second rate. */
export type SeriesLine = ChartLine & { counter?: boolean };

export interface SeriesChartProps {
  id: string;
  title: string;
  unit: Unit;
  /** One line per series. */
  lines: readonly SeriesLine[];
  query: Omit<SeriesQuery, 'seriesIds'>;
  /** The x range drawn (slides with now on live ranges). */
  view: { from: number; to: number };
  onZoom(from: number, to: number): void;
  /** Collector charts vanish when their series hold no point in the range. */
  hideWhenEmpty?: boolean;
}

/** A titled chart of some series over the page's range, with its loading, error and empty states. */
export function SeriesChart(p: SeriesChartProps) {
  const seriesIds = useMemo(() => p.lines.map((l) => l.key), [p.lines]);
  const counters = useMemo(() => new Set(p.lines.filter((l) => l.counter).map((l) => l.key)), [p.lines]);
  const data = useSeriesData({ ...p.query, seriesIds });
  const aligned = useMemo(
    () => data.store.aligned(seriesIds, counters),
    [data.version, data.store, seriesIds, counters],
  );
  const points = data.store.total();

  if (p.hideWhenEmpty && data.state === 'ready' && points === 0) return null;
  return (
    <section class="device-chart card" data-testid={`chart-${p.id}`} aria-labelledby={`chart-title-${p.id}`}>
      <header class="device-chart-head">
        <h3 id={`chart-title-${p.id}`}>{p.title}</h3>
        {data.state === 'ready' && data.source && (
          <span class="chart-source" data-testid="chart-source" title={data.note}>
            {data.source === 'raw' ? 'raw' : `${data.source} rollup`} · {formatStep(data.step ?? null)}
          </span>
        )}
      </header>
      {data.state === 'loading' && (
        <p class="chart-state" aria-busy="true">
          Loading…
        </p>
      )}
      {data.state === 'error' && (
        <p class="chart-state form-error" role="alert">
          Could not load this chart: {data.error}
        </p>
      )}
      {data.state === 'ready' && points === 0 && <p class="chart-state">No data in this range.</p>}
      {data.state === 'ready' && points > 0 && (
        <TimeChart
          title={p.title}
          lines={p.lines}
          data={aligned}
          unit={p.unit}
          from={p.view.from}
          to={p.view.to}
          onZoom={p.onZoom}
          testId="time-chart"
        />
      )}
    </section>
  );
}

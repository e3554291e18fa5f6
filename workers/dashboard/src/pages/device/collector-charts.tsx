import { useMemo } from 'preact/hooks';
import type { SeriesInfo } from './api.ts';
import { CHART_SPECS, isCounter, lineLabel, type ChartSpec } from './chart-specs.ts';
import { SeriesChart, type SeriesChartProps, type SeriesLine } from './series-chart.tsx';

/** Lines of each spec that has series on this device, in spec order and then by label. */
export function chartsFor(series: readonly SeriesInfo[]): { spec: ChartSpec; lines: SeriesLine[] }[] {
  return CHART_SPECS.flatMap((spec) => {
    const lines = series
      .filter((s) => spec.metrics.includes(s.metric))
      .map((s) => ({
        key: s.id,
        label: lineLabel(spec, s.metric, s.labels),
        counter: isCounter(s.metric, spec),
        order: spec.metrics.indexOf(s.metric),
      }))
      .sort((a, b) => a.order - b.order || a.label.localeCompare(b.label, undefined, { numeric: true }))
      .map(({ key, label, counter }) => ({ key, label, counter }));
    return lines.length > 0 ? [{ spec, lines }] : [];
  });
}

export interface CollectorChartsProps {
  series: readonly SeriesInfo[];
  query: SeriesChartProps['query'];
  view: SeriesChartProps['view'];
  onZoom: SeriesChartProps['onZoom'];
}

/** A chart for every collector with series on the device; one whose series are empty hides itself. */
export function CollectorCharts(p: CollectorChartsProps) {
  const charts = useMemo(() => chartsFor(p.series), [p.series]);
  if (charts.length === 0) {
    return (
      <p class="empty-state" data-testid="no-charts">
        This device has not reported any of the agent's metrics yet.
      </p>
    );
  }
  return (
    <div class="device-charts">
      {charts.map(({ spec, lines }) => (
        <SeriesChart
          key={spec.id}
          id={spec.id}
          title={spec.title}
          unit={spec.unit}
          lines={lines}
          query={p.query}
          view={p.view}
          onZoom={p.onZoom}
          hideWhenEmpty
        />
      ))}
    </div>
  );
}

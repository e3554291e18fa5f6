import { useMemo, useState } from 'preact/hooks';
import { aggregations, type Aggregation } from '../../../../../schema/wire/history.ts';
import { deviceApi, type SeriesInfo } from './api.ts';
import { CHARTED_METRICS, isCounter } from './chart-specs.ts';
import { formError } from './field-error.ts';
import { SeriesChart, type SeriesChartProps } from './series-chart.tsx';

/** `metric{a="b"}` text of a series. */
export const seriesName = (s: SeriesInfo): string => {
  const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`);
  return labels.length ? `${s.metric}{${labels.join(',')}}` : s.metric;
};

function TextInput(p: { label: string; testId: string; value: string; hint: string; onInput(v: string): void }) {
  return (
    <label>
      {p.label}
      <input
        data-testid={p.testId}
        value={p.value}
        placeholder={p.hint}
        onInput={(e) => p.onInput(e.currentTarget.value)}
      />
    </label>
  );
}

export interface ExplorerProps {
  deviceId: string;
  /** Every series of the device: the explorer starts with those no collector chart shows. */
  series: readonly SeriesInfo[];
  query: SeriesChartProps['query'];
  view: SeriesChartProps['view'];
  onZoom: SeriesChartProps['onZoom'];
}

/** Search the device's series by metric prefix and labels, plot one or many, pick the aggregation. */
export function Explorer(p: ExplorerProps) {
  const others = useMemo(() => p.series.filter((s) => !CHARTED_METRICS.has(s.metric)), [p.series]);
  const [metric, setMetric] = useState('');
  const [label, setLabel] = useState('');
  const [found, setFound] = useState<readonly SeriesInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [picked, setPicked] = useState<SeriesInfo[]>([]);
  const [agg, setAgg] = useState<Aggregation>('mean');
  const list = found ?? others;

  const search = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const m = metric.trim();
      setFound(
        await deviceApi.series(p.deviceId, {
          metric: m === '' ? undefined : m.endsWith('*') ? m : `${m}*`,
          label: label.trim() || undefined,
        }),
      );
    } catch (err) {
      setError(formError(err).message);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (s: SeriesInfo) =>
    setPicked(picked.some((x) => x.id === s.id) ? picked.filter((x) => x.id !== s.id) : [...picked, s]);
  // Counters are drawn as rates: "/s" on the axis when every line is one, else in their legend.
  const allCounters = picked.every((s) => isCounter(s.metric));
  const lines = useMemo(
    () =>
      picked.map((s) => {
        const counter = isCounter(s.metric);
        return { key: s.id, label: counter && !allCounters ? `${seriesName(s)} /s` : seriesName(s), counter };
      }),
    [picked, allCounters],
  );

  return (
    <section class="card explorer" aria-labelledby="explorer-title" data-testid="explorer">
      <h2 id="explorer-title">Metrics explorer</h2>
      <form class="explorer-search" onSubmit={search}>
        <TextInput
          label="Metric (prefix)"
          testId="explorer-metric"
          value={metric}
          hint="e.g. app_"
          onInput={setMetric}
        />
        <TextInput label="Labels" testId="explorer-label" value={label} hint="name=value,…" onInput={setLabel} />
        <label>
          Aggregation
          <select data-testid="explorer-agg" value={agg} onChange={(e) => setAgg(e.currentTarget.value as Aggregation)}>
            {aggregations.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary" disabled={busy}>
          Search
        </button>
      </form>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {list.length === 0 ? (
        <p class="muted" data-testid="explorer-empty">
          {found ? 'No series match.' : 'Every series of this device has a chart above; search to plot any of them.'}
        </p>
      ) : (
        <ul class="explorer-results" data-testid="explorer-results">
          {list.slice(0, 200).map((s) => (
            <li key={s.id}>
              <label>
                <input type="checkbox" checked={picked.some((x) => x.id === s.id)} onChange={() => toggle(s)} />
                <code>{seriesName(s)}</code>
              </label>
            </li>
          ))}
        </ul>
      )}
      {picked.length > 0 && (
        <SeriesChart
          id="explorer"
          title={`Explorer (${agg})`}
          unit={allCounters ? 'per-s' : 'count'}
          lines={lines}
          query={{ ...p.query, agg }}
          view={p.view}
          onZoom={p.onZoom}
        />
      )}
    </section>
  );
}

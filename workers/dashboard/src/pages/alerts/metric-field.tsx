import { useEffect, useState } from 'preact/hooks';
import { call } from '../../api.ts';
import type { FormError } from '../device/field-error.ts';
import type { SeriesInfo } from '../device/api.ts';
import { TextField } from './text-field.tsx';

/** What the series search suggests for the typed metric: names, and label names of those series. */
export interface MetricSuggestions {
  metrics: string[];
  labels: string[];
}

const DEBOUNCE_MS = 250;

/**
 * Searches `GET /v1/series` by metric prefix (like the device explorer), on one device when
 * the rule is scoped to one, as the user types. Text the search cannot take (`*` inside) asks
 * nothing, so typing never causes a refused request.
 */
function useMetricSuggestions(metric: string, deviceId: string | null): MetricSuggestions {
  const [found, setFound] = useState<MetricSuggestions>({ metrics: [], labels: [] });
  useEffect(() => {
    const m = metric.trim();
    if (m.includes('*') || m.length > 128) return;
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      const q = new URLSearchParams({ limit: '200' });
      if (m) q.set('metric', `${m}*`);
      if (deviceId) q.set('device', deviceId);
      call<{ series: SeriesInfo[] }>('GET', `/v1/series?${q}`, undefined, ctl.signal).then(
        ({ series }) =>
          setFound({
            metrics: [...new Set(series.map((s) => s.metric))].slice(0, 50),
            labels: [...new Set(series.flatMap((s) => Object.keys(s.labels)))].sort(),
          }),
        () => undefined,
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [metric, deviceId]);
  return found;
}

/** The metric input with names suggested from the organisation's series; reports label names found. */
export function MetricField(props: {
  value: string;
  deviceId: string | null;
  error: FormError | null;
  onInput(value: string): void;
  onLabels(labels: string[]): void;
}) {
  const found = useMetricSuggestions(props.value, props.deviceId);
  useEffect(() => props.onLabels(found.labels), [found]);
  return (
    <>
      <TextField
        label="Metric"
        path="metric"
        value={props.value}
        error={props.error}
        list="rule-metric-names"
        placeholder="disk_used_percent"
        hint="type to search the series"
        wide
        required
        onInput={props.onInput}
      />
      <datalist id="rule-metric-names">
        {found.metrics.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
    </>
  );
}

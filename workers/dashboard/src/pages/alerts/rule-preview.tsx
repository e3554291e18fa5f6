import { useEffect, useMemo, useState } from 'preact/hooks';
import { TableHead } from '../../app/table-head.tsx';
import type uPlot from 'uplot';
import type { AlertRuleBody } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { ApiError } from '../../api.ts';
import { TimeChart, type ChartLine } from '../../charts/time-chart.tsx';
import { errorMessage } from '../../page-state.ts';
import { deviceApi } from '../device/api.ts';
import type { FormError } from '../device/field-error.ts';
import { stepFor } from '../device/ranges.ts';
import { alertsApi, type PreviewAnswer } from './api.ts';
import { deviceName, labelsText, when } from './bits.tsx';

const HOURS = [1, 6, 24] as const;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const DEBOUNCE_MS = 600;
const SHOWN = 100;

type Result =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'invalid' }
  | { state: 'error'; message: string }
  | ({ state: 'done' } & PreviewAnswer);

/** The chart of one series over the previewed window, with the rule's threshold levels as lines. */
function PreviewChart(props: { seriesId: string; from: number; to: number; rule: AlertRuleBody }) {
  const [data, setData] = useState<{ aligned: uPlot.AlignedData; lines: ChartLine[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const c = props.rule.condition;
  useEffect(() => {
    const ctl = new AbortController();
    setData(null);
    setError(null);
    deviceApi
      .history(
        { series: [props.seriesId], from: props.from, to: props.to, step: stepFor(props.from, props.to), agg: 'mean' },
        ctl.signal,
      )
      .then(
        (answer) => {
          const points = answer.series[0]?.points ?? [];
          const xs = points.map((p) => p.ts / 1000);
          const lines: ChartLine[] = [{ key: 'value', label: props.rule.metric ?? 'value' }];
          const columns: (number | null)[][] = [points.map((p) => p.value)];
          // Levels compare with the value itself only for threshold rules; a rate is another quantity.
          if (c.kind === 'threshold') {
            for (const name of ['warning', 'critical'] as const) {
              const level = c[name];
              if (!level) continue;
              lines.push({ key: name, label: `${name} ${c.op} ${level.value}` });
              columns.push(points.map(() => level.value));
            }
          }
          setData({ aligned: [xs, ...columns] as uPlot.AlignedData, lines });
        },
        (err: unknown) => {
          if (!ctl.signal.aborted) setError(errorMessage(err));
        },
      );
    return () => ctl.abort();
  }, [props.seriesId, props.from, props.to, JSON.stringify(c)]);

  if (error) return <p class="form-error">Could not load the series: {error}</p>;
  if (!data) return <p class="muted">Loading the series…</p>;
  return (
    <TimeChart
      title={`${props.rule.metric ?? 'Series'} over the previewed window`}
      lines={data.lines}
      data={data.aligned}
      unit="count"
      from={props.from}
      to={props.to}
      height={200}
      testId="rule-preview-chart"
    />
  );
}

/**
 * The rule as it stands, run against the last hours of data (`POST /v1/alert-rules/preview`) a
 * moment after each change: the transitions it would have made, and the chart of a series
 * with its levels. A 400 naming a field is handed to the form, so mistakes show as you type.
 */
export function RulePreview(props: {
  rule: AlertRuleBody | null;
  devices: readonly DeviceView[] | null;
  onFieldError(error: FormError | null): void;
}) {
  const [hours, setHours] = useState<(typeof HOURS)[number]>(6);
  const [deviceId, setDeviceId] = useState('');
  const [result, setResult] = useState<Result>({ state: 'idle' });
  const [seriesId, setSeriesId] = useState<string | null>(null);
  const rule = props.rule;
  const scopedDevice = rule?.scope.kind === 'device' ? (rule.scope.value ?? '') : '';
  const key = rule ? JSON.stringify([rule, hours, scopedDevice || deviceId]) : '';

  useEffect(() => {
    if (!rule) {
      setResult({ state: 'idle' });
      props.onFieldError(null);
      return;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      setResult({ state: 'running' });
      alertsApi.preview({ rule, hours, deviceId: scopedDevice || deviceId || undefined }, ctl.signal).then(
        (answer) => {
          props.onFieldError(null);
          setResult({ state: 'done', ...answer });
          setSeriesId(answer.transitions[0]?.seriesId ?? null);
        },
        (err: unknown) => {
          if (ctl.signal.aborted) return;
          if (err instanceof ApiError && err.status === 400) {
            props.onFieldError({ field: err.field, message: err.message });
            setResult({ state: 'invalid' });
          } else setResult({ state: 'error', message: errorMessage(err) });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      ctl.abort();
    };
  }, [key]);

  const seriesIds = useMemo(
    () => (result.state === 'done' ? [...new Set(result.transitions.map((t) => t.seriesId))] : []),
    [result],
  );
  /** `web-01 cpu_usage_percent{cpu="0"}`: the series' device and name, for the chart's picker. */
  const seriesLabel = (id: string) => {
    const t = result.state === 'done' ? result.transitions.find((x) => x.seriesId === id) : undefined;
    const device = t?.deviceId ? `${deviceName(props.devices, t.deviceId)} ` : '';
    return `${device}${t?.metric ?? rule?.metric ?? id}${labelsText(t?.labels ?? {})}`;
  };

  return (
    <section class="card rule-preview" aria-labelledby="preview-title" data-testid="rule-preview">
      <h2 id="preview-title">Preview</h2>
      <div class="row">
        <label for="preview-hours">
          Over the last
          <select
            id="preview-hours"
            value={hours}
            onChange={(e) => setHours(Number(e.currentTarget.value) as (typeof HOURS)[number])}
            data-testid="preview-hours"
          >
            {HOURS.map((h) => (
              <option key={h} value={h}>
                {h} h
              </option>
            ))}
          </select>
        </label>
        {!scopedDevice && (
          <label for="preview-device">
            On
            <select
              id="preview-device"
              value={deviceId}
              onChange={(e) => setDeviceId(e.currentTarget.value)}
              data-testid="preview-device"
            >
              <option value="">every device in scope</option>
              {(props.devices ?? []).map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div role="status" data-testid="preview-status" data-state={result.state}>
        {result.state === 'idle' && (
          <p class="muted">Give the rule a name, a metric and a level to see when it would have fired.</p>
        )}
        {result.state === 'running' && <p class="muted">Evaluating the last {hours} h…</p>}
        {result.state === 'invalid' && <p class="muted">Fix the marked field to see the preview.</p>}
        {result.state === 'error' && <p class="form-error">Could not preview: {result.message}</p>}
        {result.state === 'done' && (
          <p data-testid="preview-summary">
            {result.transitions.length === 0
              ? `It would not have fired in the last ${hours} h`
              : `${plural(result.transitions.length, 'change')} of state in the last ${hours} h, on ${seriesIds.length} series`}
            {result.counts ? `: ${plural(result.counts.incidents, 'incident')}, ${result.counts.firing} firing` : ''}
            {result.samples !== undefined
              ? ` (${plural(result.samples, 'sample')} of ${plural(result.devices ?? 0, 'device')}).`
              : '.'}
            {result.truncated ? ' Some history or devices were left out.' : ''}
          </p>
        )}
      </div>
      {result.state === 'done' && rule && seriesId && (
        <>
          {seriesIds.length > 1 && (
            <label for="preview-series">
              Chart of
              <select id="preview-series" value={seriesId} onChange={(e) => setSeriesId(e.currentTarget.value)}>
                {seriesIds.map((id) => (
                  <option key={id} value={id}>
                    {seriesLabel(id)}
                  </option>
                ))}
              </select>
            </label>
          )}
          <PreviewChart seriesId={seriesId} from={result.from} to={result.to} rule={rule} />
        </>
      )}
      {result.state === 'done' && result.transitions.length > 0 && (
        // Focusable, so a keyboard can scroll it when the column is narrower than the table.
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Transitions the rule would have made">
          <table class="grid" data-testid="preview-transitions">
            <TableHead columns={['At', 'Series', 'Change', 'Value']} actions={false} />
            <tbody>
              {result.transitions.slice(0, SHOWN).map((t, i) => (
                <tr key={i} data-testid="preview-transition">
                  <td class="nowrap">{when(t.at)}</td>
                  <td>
                    {t.deviceId ? deviceName(props.devices, t.deviceId) : ''}
                    <div class="hint">{labelsText(t.labels)}</div>
                  </td>
                  <td>
                    {t.from} → {t.to}
                    {t.severity ? ` (${t.severity})` : ''}
                    {t.neverFired ? ', never fired' : ''}
                  </td>
                  <td>{t.value === null ? '—' : String(Number(t.value.toPrecision(6)))}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.transitions.length > SHOWN && <p class="hint">The first {SHOWN} are shown.</p>}
        </div>
      )}
    </section>
  );
}

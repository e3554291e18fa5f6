import { useResource } from '../../app/data.ts';
import { errorMessage } from '../../page-state.ts';
import type { Summary } from './fleet-api.ts';
import { count } from './fleet-format.ts';

/** The header strip: devices by status, series and samples in the last hour, from `GET /v1/summary`. */
export function SummaryStrip() {
  const summary = useResource<Summary>('/v1/summary');
  const s = summary.data.value;
  if (!s) {
    const err = summary.error.value;
    return (
      <p class={`list-status${err ? ' error' : ''}`} role="status" data-testid="summary-status">
        {err ? `Could not load the summary: ${errorMessage(err)}` : 'Loading the summary…'}
      </p>
    );
  }
  const tiles: [string, string, number][] = [
    ['online', 'Online', s.devices.online],
    ['stale', 'Stale', s.devices.stale],
    ['offline', 'Offline', s.devices.offline],
    ['series', 'Series', s.series],
    ['samples', 'Samples, last hour', s.samplesLastHour],
  ];
  return (
    <dl class="summary" data-testid="summary">
      {tiles.map(([key, label, n]) => (
        <div key={key} class={`tile tile-${key}`} data-testid={`summary-${key}`}>
          <dt>{label}</dt>
          <dd>{count(n)}</dd>
        </div>
      ))}
      {s.incidents && (
        <div class={`tile tile-incidents${s.incidents.firing > 0 ? ' firing' : ''}`} data-testid="summary-incidents">
          <dt>Firing incidents</dt>
          <dd>
            <a href="/alerts?state=firing" aria-label={`${s.incidents.firing} firing incidents`}>
              {count(s.incidents.firing)}
            </a>
            {s.incidents.unacknowledged > 0 && (
              <span class="tile-note">{` · ${count(s.incidents.unacknowledged)} unacknowledged`}</span>
            )}
          </dd>
        </div>
      )}
    </dl>
  );
}

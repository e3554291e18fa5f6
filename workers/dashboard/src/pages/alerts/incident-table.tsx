import type { IncidentView } from '../../../../../schema/wire/alerts.ts';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { deviceName, labelsText, SeverityBadge, StateBadge, when } from './bits.tsx';

const value = (v: number | null) => (v === null ? '—' : String(Number(v.toPrecision(6))));

/**
 * Incidents as a table: state, severity, the rule (linking to the incident), device, series,
 * value against threshold, start, and whether someone acknowledged it or a silence covers it.
 * `devices` resolves names; without it (the device page) the device column is left out.
 */
export function IncidentTable(props: { incidents: readonly IncidentView[]; devices?: readonly DeviceView[] | null }) {
  const withDevice = props.devices !== undefined;
  return (
    <div class="table-scroll">
      <table class="grid incidents" data-testid="incident-list">
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Severity</th>
            <th scope="col">Incident</th>
            {withDevice && <th scope="col">Device</th>}
            <th scope="col">Value</th>
            <th scope="col">Started</th>
            <th scope="col">Response</th>
          </tr>
        </thead>
        <tbody>
          {props.incidents.map((i) => (
            <tr key={i.id} data-testid="incident-row" data-id={i.id} data-state={i.state}>
              <td>
                <StateBadge state={i.state} />
              </td>
              <td>
                <SeverityBadge severity={i.severity} />
              </td>
              <td>
                <a href={`/incidents/${encodeURIComponent(i.id)}`} data-testid="incident-link">
                  {i.ruleName}
                </a>
                <div class="hint">
                  {i.metric ?? 'device'}
                  {labelsText(i.labels)}
                </div>
              </td>
              {withDevice && (
                <td>
                  <a href={`/devices/${encodeURIComponent(i.deviceId)}`}>
                    {deviceName(props.devices ?? null, i.deviceId)}
                  </a>
                </td>
              )}
              <td class="nowrap">
                {value(i.value)}
                {i.threshold !== null && <span class="hint"> / {value(i.threshold)}</span>}
              </td>
              <td class="nowrap">{when(i.startedAt)}</td>
              <td>
                {i.acknowledged ? (
                  <span class="ack" data-testid="incident-acked">
                    Acknowledged
                  </span>
                ) : null}
                {i.silenced ? (
                  <span class="silenced" data-testid="incident-silenced">
                    Silenced
                  </span>
                ) : null}
                {!i.acknowledged && !i.silenced ? <span class="muted">—</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

import type { DeviceView, LatestValue } from '../../../../../schema/wire/telemetry.ts';
import { duration, timeAgo } from '../../format.ts';

/** Name, kind, site, tags, agent version, uptime, last seen and status of a device. */
export function InfoBar({ device, latest, now }: { device: DeviceView; latest: LatestValue[]; now: number }) {
  const uptime = latest.find((v) => v.metric === 'host_uptime_seconds');
  // The reading was taken at its ts; count on from there so the figure does not stand still.
  const uptimeNow = uptime ? uptime.value + (now - uptime.ts) / 1000 : null;
  return (
    <header class="device-info card" data-testid="device-info">
      <div class="device-title">
        <h1 data-testid="device-name">{device.name}</h1>
        <span class={`status status-${device.status}`} data-testid="device-status">
          {device.status}
        </span>
      </div>
      <dl class="device-facts">
        <div>
          <dt>Kind</dt>
          <dd>{device.kind}</dd>
        </div>
        <div>
          <dt>Site</dt>
          <dd data-testid="device-site">{device.siteId ?? '—'}</dd>
        </div>
        <div>
          <dt>Tags</dt>
          <dd data-testid="device-tags">
            {device.tags.length === 0
              ? '—'
              : device.tags.map((t) => (
                  <span class="tag" key={t}>
                    {t}
                  </span>
                ))}
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd>{device.agentVersion ?? '—'}</dd>
        </div>
        <div>
          <dt>Uptime</dt>
          <dd data-testid="device-uptime">{uptimeNow === null ? '—' : duration(uptimeNow)}</dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd data-testid="device-last-seen">{timeAgo(device.lastSeenAt, now)}</dd>
        </div>
      </dl>
    </header>
  );
}

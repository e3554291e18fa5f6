import type { Aggregation, HistorySource, Point } from '../../../../../schema/wire/history.ts';
import type { RemoteAgentConfig, RemoteAgentConfigPatch } from '../../../../../schema/wire/agent-config.ts';
import type { DeviceView, LatestValue } from '../../../../../schema/wire/telemetry.ts';
import { ApiError, call, callAll, NetworkError } from '../../api.ts';

/** A series as `GET /v1/series` lists it. */
export interface SeriesInfo {
  id: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
}

/** `GET /v1/history`: the points of each series and the source the API computed them from. */
export interface HistoryAnswer {
  from: number;
  to: number;
  step: number | null;
  agg: Aggregation | null;
  source: HistorySource;
  note?: string;
  series: (SeriesInfo & { seriesId: string; points: Point[] })[];
}

export interface HistoryQuery {
  series: readonly string[];
  from: number;
  to: number;
  /** Omitted: raw points as stored (short ranges only). */
  step?: number;
  agg?: Aggregation;
}

/** `GET /v1/devices/:id/agent-config`: the device's own layer and what the agent runs with. */
export interface DeviceAgentConfig {
  deviceId: string;
  overrides: RemoteAgentConfigPatch;
  effective: RemoteAgentConfig;
}

export type DevicePatch = Partial<Pick<DeviceView, 'name' | 'siteId' | 'tags'>>;

const dev = (id: string) => `/v1/devices/${encodeURIComponent(id)}`;

/** The device page's calls to the public API (errors are `ApiError`, see ../../api.ts). */
export const deviceApi = {
  me: (signal?: AbortSignal) => call<{ orgId: string }>('GET', '/v1/auth/me', undefined, signal),
  device: (id: string, signal?: AbortSignal) => call<DeviceView>('GET', dev(id), undefined, signal),
  update: (id: string, patch: DevicePatch) => call<DeviceView>('PATCH', dev(id), patch),
  remove: (id: string) => call<null>('DELETE', dev(id)),
  latest: (id: string, signal?: AbortSignal) =>
    call<{ values: LatestValue[] }>('GET', `${dev(id)}/latest`, undefined, signal).then((r) => r.values),

  /** Every series of the device (follows `nextCursor`), optionally narrowed by metric and labels. */
  series(deviceId: string, filter: { metric?: string; label?: string } = {}, signal?: AbortSignal) {
    const q = new URLSearchParams({ device: deviceId, limit: '1000' });
    if (filter.metric) q.set('metric', filter.metric);
    if (filter.label) q.set('label', filter.label);
    return callAll<SeriesInfo>(`/v1/series?${q}`, 'series', signal);
  },

  history(query: HistoryQuery, signal?: AbortSignal): Promise<HistoryAnswer> {
    const q = new URLSearchParams({ series: query.series.join(','), from: String(query.from), to: String(query.to) });
    if (query.step !== undefined) q.set('step', String(query.step));
    if (query.agg) q.set('agg', query.agg);
    return call('GET', `/v1/history?${q}`, undefined, signal);
  },

  agentConfig: (id: string, signal?: AbortSignal) =>
    call<DeviceAgentConfig>('GET', `${dev(id)}/agent-config`, undefined, signal),
  /** `call` knows no PUT; a fetch of our own with the same error shape. */
  async putAgentConfig(id: string, patch: RemoteAgentConfigPatch): Promise<DeviceAgentConfig> {
    return put(`${dev(id)}/agent-config`, patch);
  },
};

async function put<T>(path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new NetworkError(err);
  }
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
    throw new ApiError(
      res.status,
      e?.code ?? 'http_error',
      e?.message ?? `PUT ${path} answered ${res.status}`,
      e?.field,
    );
  }
  return json as T;
}

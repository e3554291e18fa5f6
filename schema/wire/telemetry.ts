/** A series' latest value, as served by `GET /v1/devices/:id/latest`. */
export interface LatestValue {
  seriesId: string;
  metric: string;
  labels: Record<string, string>;
  ts: number;
  value: number;
}

/** One raw point of `GET /v1/series/:id/history`. */
export interface HistoryPoint {
  ts: number;
  value: number;
}

export type DeviceStatus = 'online' | 'stale' | 'offline';

export interface DeviceView {
  id: string;
  name: string;
  kind: 'host' | 'gateway';
  siteId: string | null;
  tags: string[];
  agentVersion: string | null;
  lastSeenAt: number | null;
  status: DeviceStatus;
  createdAt: number;
  /**
   * Series the device has registered (as of its last flush, within about 15 s) and how many
   * it may register (SERIES_PER_DEVICE); a batch that would pass the limit is refused whole.
   */
  series: { count: number; limit: number };
}

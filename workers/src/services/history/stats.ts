import type { HistorySource, RawStats } from '../../../../schema/wire/history.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import { firstWithData } from './read.ts';
import { byDevice, orgSeriesAndRetention } from './series.ts';
import { planStats } from './source.ts';

/**
 * Stats over a range for up to 100 series: raw (with p95) while raw retention covers it, else
 * rollups; both from the DeviceHubs, one call per device in parallel.
 */

export interface SeriesStats {
  seriesId: string;
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  sum: number | null;
  last: number | null;
  /** Nearest-rank 95th percentile; `null` from rollups, which cannot give it. */
  p95: number | null;
}

export interface StatsResult {
  from: number;
  to: number;
  source: HistorySource;
  note?: string;
  stats: SeriesStats[];
}

export async function readStats(
  env: Env,
  orgId: string,
  ids: readonly string[],
  q: { from: number; to: number },
): Promise<StatsResult> {
  const { series, retention } = await orgSeriesAndRetention(env.DB, orgId, ids);
  const plan = planStats(q.from, retention, Date.now());
  const source = await firstWithData(env, series, q.from, q.to, plan.sources);
  const perDevice = await Promise.all(
    [...byDevice(series)].map(([deviceId, deviceSeries]) =>
      source === 'raw'
        ? deviceHubFor(env, deviceId).rangeStats(deviceSeries, q.from, q.to)
        : deviceHubFor(env, deviceId).rollupStats(source, deviceSeries, q.from, q.to),
    ),
  );
  const found = new Map<string, RawStats>(perDevice.flat().map((s) => [s.seriesId, s]));
  return {
    from: q.from,
    to: q.to,
    source,
    ...(plan.note ? { note: plan.note } : {}),
    stats: series.map((s) => view(s.id, found.get(s.id))),
  };
}

function view(seriesId: string, s: RawStats | undefined): SeriesStats {
  if (!s || s.count === 0) {
    return { seriesId, count: 0, min: null, max: null, mean: null, sum: null, last: null, p95: null };
  }
  return {
    seriesId,
    count: s.count,
    min: s.min,
    max: s.max,
    mean: s.sum / s.count,
    sum: s.sum,
    last: s.last,
    p95: s.p95,
  };
}

import type { Aggregation, HistorySource, Point } from '../../../../schema/wire/history.ts';
import type { PointColumns } from '../../objects/device-hub/columns.ts';
import { deviceHubFor } from '../../objects/device-hub/index.ts';
import type { HistoryQuery } from './query.ts';
import { byDevice, orgSeriesAndRetention, type SeriesInfo } from './series.ts';
import { planHistory, type RollupSource } from './source.ts';

/**
 * Reads history for up to 100 series across devices: raw points and rollups from each
 * DeviceHub, one call per device, in parallel.
 */

export interface SeriesHistory {
  seriesId: string;
  deviceId: string;
  metric: string;
  labels: Record<string, string>;
  /** Raw reads come as the DeviceHub's columns; history-json.ts writes either form. */
  points: Point[] | PointColumns;
}

export interface HistoryResult {
  from: number;
  to: number;
  /** `null`: raw points as stored, not aggregated (and then `agg` is `null` too). */
  step: number | null;
  agg: Aggregation | null;
  source: HistorySource;
  /** Set when no source's retention covers `from`, saying what answered instead. */
  note?: string;
  series: SeriesHistory[];
}

export async function readHistory(
  env: Env,
  orgId: string,
  ids: readonly string[],
  q: Omit<HistoryQuery, 'series'>,
): Promise<HistoryResult> {
  const { series, retention } = await orgSeriesAndRetention(env.DB, orgId, ids);
  const plan = planHistory({ ...q, seriesCount: series.length }, retention, Date.now());
  const source = await firstWithData(env, series, q.from, q.to, plan.sources);
  const points = await fetchPoints(env, series, source, { ...q, step: plan.step });
  return {
    from: q.from,
    to: q.to,
    step: plan.step,
    agg: plan.step === null ? null : q.agg,
    source,
    ...(plan.note ? { note: plan.note } : {}),
    series: series.map((s) => ({
      seriesId: s.id,
      deviceId: s.deviceId,
      metric: s.metric,
      labels: s.labels,
      points: points.get(s.id) ?? [],
    })),
  };
}

/** The first source holding data for the range, else the last one: see `HistoryPlan.sources`. */
export async function firstWithData(
  env: Env,
  series: readonly SeriesInfo[],
  from: number,
  to: number,
  sources: readonly HistorySource[],
): Promise<HistorySource> {
  for (const source of sources.slice(0, -1)) {
    if (source === 'raw') continue;
    if (await rollupsHeld(env, source, series, from, to)) return source;
  }
  return sources[sources.length - 1] ?? 'raw';
}

/** Whether any device of these series holds a rollup of them at `source` in [from, to). */
async function rollupsHeld(
  env: Env,
  source: RollupSource,
  series: readonly SeriesInfo[],
  from: number,
  to: number,
): Promise<boolean> {
  const held = await Promise.all(
    [...byDevice(series)].map(([deviceId, ids]) => deviceHubFor(env, deviceId).rollupsHeld(source, ids, from, to)),
  );
  return held.includes(true);
}

async function fetchPoints(
  env: Env,
  series: readonly SeriesInfo[],
  source: HistorySource,
  q: { from: number; to: number; step: number | null; agg: Aggregation; limit: number },
): Promise<Map<string, Point[] | PointColumns>> {
  const { step } = q;
  let perSeries: { seriesId: string; points: Point[] | PointColumns }[];
  if (step === null) {
    // The plan gives no step only for raw points as stored.
    perSeries = await Promise.all(
      series.map(async (s) => ({
        seriesId: s.id,
        points: await deviceHubFor(env, s.deviceId).history(s.id, q.from, q.to, q.limit),
      })),
    );
  } else {
    const perDevice = await Promise.all(
      [...byDevice(series)].map(([deviceId, ids]) =>
        source === 'raw'
          ? deviceHubFor(env, deviceId).aggregate(ids, q.from, q.to, step, q.agg)
          : deviceHubFor(env, deviceId).rollupAggregate(source, ids, q.from, q.to, step, q.agg),
      ),
    );
    perSeries = perDevice.flat().map(({ seriesId, ts, values }) => ({ seriesId, points: { ts, values } }));
  }
  return new Map(perSeries.map((s) => [s.seriesId, s.points]));
}

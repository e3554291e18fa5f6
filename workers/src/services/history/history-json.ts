import type { Point } from '../../../../schema/wire/history.ts';
import type { PointColumns } from '../../objects/device-hub/columns.ts';
import type { HistoryResult, SeriesHistory } from './read.ts';

/**
 * History responses written as JSON text, the points straight from the DeviceHub's columns:
 * the same bytes as `JSON.stringify` of the documented shape.
 */

/** The content type `c.json` would set. */
export const JSON_TYPE = { 'content-type': 'application/json' } as const;

export function pointsJson(points: readonly Point[] | PointColumns): string {
  if (Array.isArray(points)) return JSON.stringify(points);
  const { ts, values } = points as PointColumns;
  // Objects of one shape through JSON.stringify beat concatenating the text by about a quarter
  // (72,000 points); a non-finite value (an overflowing sum) is written as null either way.
  const objects = new Array<Point>(ts.length);
  for (let i = 0; i < ts.length; i++) objects[i] = { ts: ts[i]!, value: values[i]! };
  return JSON.stringify(objects);
}

/** A series' naming fields and then `points`, as `{seriesId, deviceId, metric, labels, points}`. */
function seriesJson(s: SeriesHistory): string {
  const head = JSON.stringify({ seriesId: s.seriesId, deviceId: s.deviceId, metric: s.metric, labels: s.labels });
  return `${head.slice(0, -1)},"points":${pointsJson(s.points)}}`;
}

/** The body of `GET /v1/history`: the result's fields, then `series`. */
export function historyJson(result: HistoryResult): string {
  const { series, ...rest } = result;
  return `${JSON.stringify(rest).slice(0, -1)},"series":[${series.map(seriesJson).join(',')}]}`;
}

/** The body of `GET /v1/series/:id/history`: the one series' fields and points, then the result's. */
export function seriesHistoryJson(result: HistoryResult): string {
  const { series, ...rest } = result;
  return `${seriesJson(series[0]!).slice(0, -1)},${JSON.stringify(rest).slice(1)}`;
}

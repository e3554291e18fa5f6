import type { Aggregation, Point, RawStats, SeriesPoints } from '../../../../schema/wire/history.ts';

/** Reads over a DeviceHub's raw samples for the history and stats API. */

/**
 * The value column of a bucket. For `last`, MAX(ts) is the query's only aggregate, so SQLite
 * takes the bare `value` from the row holding that maximum: the bucket's latest sample.
 */
const VALUE_SQL: Record<Aggregation, string> = {
  mean: 'AVG(s.value) AS value',
  min: 'MIN(s.value) AS value',
  max: 'MAX(s.value) AS value',
  sum: 'SUM(s.value) AS value',
  count: 'COUNT(*) AS value',
  last: 's.value AS value, MAX(s.ts) AS latest',
};

/** Points per series bucketed by `stepMs` (buckets start at multiples of the step since the epoch). */
export function aggregateRaw(
  sql: SqlStorage,
  seriesIds: readonly string[],
  from: number,
  to: number,
  stepMs: number,
  agg: Aggregation,
): SeriesPoints[] {
  const rows = sql
    .exec<{ series_id: string; bucket: number; value: number }>(
      `SELECT r.series_id AS series_id, s.ts - s.ts % ? AS bucket, ${VALUE_SQL[agg]}
       FROM series r JOIN samples s ON s.sid = r.sid
       WHERE r.series_id IN (SELECT value FROM json_each(?)) AND s.ts >= ? AND s.ts < ?
       GROUP BY r.series_id, bucket ORDER BY r.series_id, bucket`,
      stepMs,
      JSON.stringify(seriesIds),
      from,
      to,
    )
    .toArray();
  const bySeries = new Map<string, Point[]>();
  for (const r of rows) {
    const points = bySeries.get(r.series_id) ?? [];
    points.push({ ts: r.bucket, value: r.value });
    bySeries.set(r.series_id, points);
  }
  return seriesIds.map((seriesId) => ({ seriesId, points: bySeries.get(seriesId) ?? [] }));
}

/** Count, sum, min, max, last and nearest-rank p95 per series over [from, to). */
export function rawStats(sql: SqlStorage, seriesIds: readonly string[], from: number, to: number): RawStats[] {
  return seriesIds.map((seriesId) => {
    const sid = sql.exec<{ sid: number }>('SELECT sid FROM series WHERE series_id = ?', seriesId).toArray()[0]?.sid;
    const agg =
      sid === undefined
        ? undefined
        : sql
            .exec<{ count: number; sum: number | null; min: number | null; max: number | null }>(
              `SELECT COUNT(*) AS count, SUM(value) AS sum, MIN(value) AS min, MAX(value) AS max
               FROM samples WHERE sid = ? AND ts >= ? AND ts < ?`,
              sid,
              from,
              to,
            )
            .one();
    if (sid === undefined || !agg || agg.count === 0) {
      return { seriesId, count: 0, sum: 0, min: null, max: null, last: null, lastTs: null, p95: null };
    }
    const last = sql
      .exec<{ ts: number; value: number }>(
        'SELECT ts, value FROM samples WHERE sid = ? AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT 1',
        sid,
        from,
        to,
      )
      .one();
    // Nearest rank: the smallest value with at least 95 % of the samples at or below it.
    const rank = Math.ceil(0.95 * agg.count);
    const p95 = sql
      .exec<{ value: number }>(
        'SELECT value FROM samples WHERE sid = ? AND ts >= ? AND ts < ? ORDER BY value LIMIT 1 OFFSET ?',
        sid,
        from,
        to,
        rank - 1,
      )
      .one().value;
    return {
      seriesId,
      count: agg.count,
      sum: agg.sum ?? 0,
      min: agg.min,
      max: agg.max,
      last: last.value,
      lastTs: last.ts,
      p95,
    };
  });
}

import type { LatestValue } from '../../../../schema/wire/telemetry.ts';
import { migrateBatches } from './batches.ts';
import { createBlockTable, renumberOldBlocks } from './blocks.ts';
import { unsealMinutes } from './blocks-unseal.ts';
import type { PointColumns } from './columns.ts';
import { readRawColumns } from './raw-read.ts';

/**
 * The DeviceHub's own SQLite: raw samples, the series it has seen with their latest values,
 * batch ids for deduplication, and the minutes whose rollups still have to reach D1.
 * Samples use a small local integer series id to keep bytes per sample low. `samples` is the
 * head: recent samples, and those of minutes whose rollup is not flushed yet; the alarm seals
 * older ones into compressed `blocks` (seal.ts), and reads merge both (raw-read.ts).
 */
export function createTables(sql: SqlStorage): void {
  // Every table and index is a B-tree of at least one 4 KiB page, however few rows it holds: the
  // layouts avoid B-trees no query needs (text keys as WITHOUT ROWID primary keys instead of a
  // table plus an automatic index), and tables most devices never write are created at their
  // first write (lazy-tables.ts). Objects created before keep their older, equivalent layouts.
  sql.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS series (
      sid INTEGER PRIMARY KEY,
      key TEXT NOT NULL UNIQUE,
      series_id TEXT NOT NULL UNIQUE,
      metric TEXT NOT NULL,
      labels TEXT NOT NULL,
      last_ts INTEGER,
      last_value REAL
    );
    CREATE TABLE IF NOT EXISTS samples (
      sid INTEGER NOT NULL,
      ts INTEGER NOT NULL,
      value REAL NOT NULL,
      PRIMARY KEY (sid, ts)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS batches (
      id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, samples INTEGER NOT NULL, hash TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS batches_received_idx ON batches (received_at);
    -- Keyed by minute first: the flush takes the oldest dirty minutes first, and the seal looks
    -- up (minute, sid) pairs; deleting a series' minutes (rare) scans this small table.
    CREATE TABLE IF NOT EXISTS dirty_minutes (
      minute INTEGER NOT NULL,
      sid INTEGER NOT NULL,
      gen INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (minute, sid)
    ) WITHOUT ROWID;
  `);
  createBlockTable(sql);
  if (getMeta<number>(sql, 'blockIds') !== 2) {
    renumberOldBlocks(sql);
    setMeta(sql, 'blockIds', 2);
  }
  migrateBatches(sql);
}

export interface SeriesRow {
  sid: number;
  seriesId: string;
}

export function getMeta<T>(sql: SqlStorage, key: string): T | undefined {
  const row = sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0];
  return row ? (JSON.parse(row.value) as T) : undefined;
}

export function setMeta(sql: SqlStorage, key: string, value: unknown): void {
  sql.exec(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    key,
    JSON.stringify(value),
  );
}

export function findSeries(sql: SqlStorage, key: string): SeriesRow | undefined {
  return sql
    .exec<{ sid: number; series_id: string }>('SELECT sid, series_id FROM series WHERE key = ?', key)
    .toArray()
    .map((r) => ({ sid: r.sid, seriesId: r.series_id }))[0];
}

export function insertSeries(
  sql: SqlStorage,
  s: { key: string; seriesId: string; metric: string; labels: Record<string, string> },
): SeriesRow {
  const row = sql
    .exec<{ sid: number }>(
      `INSERT INTO series (key, series_id, metric, labels) VALUES (?, ?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET key = excluded.key RETURNING sid`,
      s.key,
      s.seriesId,
      s.metric,
      JSON.stringify(s.labels),
    )
    .one();
  return { sid: row.sid, seriesId: s.seriesId };
}

/** A batch's points in columns: each point's local series id, time and value. */
export interface BatchPoints {
  sid: ArrayLike<number>;
  ts: ArrayLike<number>;
  value: ArrayLike<number>;
}

/**
 * Appends a batch's samples: a repeated (series, ts) keeps the newest value. Three statements
 * per batch, whatever its size: with three statements per sample, a 1,000-sample batch took
 * about 125 ms of CPU in local workerd; this way about 13 ms (`npm run bench`). The JSON
 * parameters are written as text straight from the columns (numbers print as JSON does).
 */
export function appendSamples(sql: SqlStorage, points: BatchPoints): void {
  const { sid, ts, value } = points;
  const n = ts.length;
  let samples = '';
  const latest = new Map<number, number>();
  const minutes = new Map<number, Set<number>>();
  for (let i = 0; i < n; i++) {
    const s = sid[i]!;
    const t = ts[i]!;
    samples += `${i ? ',' : ''}[${s},${t},${value[i]}]`;
    const prev = latest.get(s);
    // Later samples win ties, as they do in the samples table.
    if (prev === undefined || t >= ts[prev]!) latest.set(s, i);
    let marks = minutes.get(s);
    if (!marks) minutes.set(s, (marks = new Set()));
    marks.add(t - (t % 60_000));
  }
  const dirty: [number, number][] = [];
  for (const [s, marks] of minutes) for (const m of marks) dirty.push([s, m]);
  // Before the insert: a sealed minute comes back to the head whole, then the batch's samples replace theirs.
  unsealMinutes(sql, dirty);
  sql.exec(
    `INSERT OR REPLACE INTO samples (sid, ts, value)
     SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?)`,
    `[${samples}]`,
  );
  sql.exec(
    `UPDATE series SET last_ts = l.ts, last_value = l.value
     FROM (SELECT value ->> 0 AS sid, value ->> 1 AS ts, value ->> 2 AS value FROM json_each(?)) AS l
     WHERE series.sid = l.sid AND (series.last_ts IS NULL OR series.last_ts <= l.ts)`,
    `[${[...latest].map(([s, i]) => `[${s},${ts[i]},${value[i]}]`).join(',')}]`,
  );
  // gen changes on every mark, so a flush deletes a mark only if nothing re-marked it meanwhile.
  sql.exec(
    `INSERT INTO dirty_minutes (sid, minute, gen)
     SELECT value ->> 0, value ->> 1, 0 FROM json_each(?) WHERE true
     ON CONFLICT (sid, minute) DO UPDATE SET gen = gen + 1`,
    JSON.stringify(dirty),
  );
}

/** Narrows a latest-values read to what the caller needs (a gateway holds thousands of series). */
export interface LatestFilter {
  /** Only these metrics. */
  metrics?: readonly string[];
  /** Only series with this label value, e.g. `{name: 'controller', value: '1001'}`. */
  label?: { name: string; value: string };
}

export function latestValues(sql: SqlStorage, filter: LatestFilter = {}): LatestValue[] {
  const where = ['last_ts IS NOT NULL'];
  const params: (string | number)[] = [];
  if (filter.metrics) {
    where.push('metric IN (SELECT value FROM json_each(?))');
    params.push(JSON.stringify(filter.metrics));
  }
  if (filter.label) {
    // A JSON path with the name quoted, so no label name can be read as path syntax.
    where.push('json_extract(labels, ?) = ?');
    params.push(`$.${JSON.stringify(filter.label.name)}`, filter.label.value);
  }
  return sql
    .exec<{ series_id: string; metric: string; labels: string; last_ts: number; last_value: number }>(
      `SELECT series_id, metric, labels, last_ts, last_value FROM series WHERE ${where.join(' AND ')} ORDER BY metric, key`,
      ...params,
    )
    .toArray()
    .map((r) => ({
      seriesId: r.series_id,
      metric: r.metric,
      labels: JSON.parse(r.labels) as Record<string, string>,
      ts: r.last_ts,
      value: r.last_value,
    }));
}

export function rawHistory(sql: SqlStorage, seriesId: string, from: number, to: number, limit: number): PointColumns {
  const sid = sidOf(sql, seriesId);
  return sid === undefined
    ? { ts: new Float64Array(0), values: new Float64Array(0) }
    : readRawColumns(sql, sid, from, to, limit);
}

/** The object's local id of a series, if it has seen it. */
export function sidOf(sql: SqlStorage, seriesId: string): number | undefined {
  return sql.exec<{ sid: number }>('SELECT sid FROM series WHERE series_id = ?', seriesId).toArray()[0]?.sid;
}

/** When the device last sent a batch, and the agent version it named. */
export interface SeenState {
  lastSeenAt: number;
  agentVersion: string | null;
}

export const getSeen = (sql: SqlStorage) => getMeta<SeenState>(sql, 'seen');
export const setSeen = (sql: SqlStorage, seen: SeenState) => setMeta(sql, 'seen', seen);

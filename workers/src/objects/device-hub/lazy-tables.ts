/**
 * Tables a DeviceHub creates at their first write. An empty table still costs its B-tree's page
 * (4 KiB) in every object, and most devices never write these: alert state and outbox (devices
 * without rules). With the `sqlite_sequence` the outbox's AUTOINCREMENT used to add, and the
 * late-rollup merge outbox rollups in the hub no longer need, those were four pages: 0.38 B per
 * raw sample of a storage-bench device (10 series, 12 h at 10 s).
 *
 * Readers ask `exists` first and treat a missing table as an empty one. The answer is not
 * cached: a table created inside a transaction that rolls back is gone again, and a lookup in
 * the schema costs microseconds on paths that run per alarm or per alert change, not per sample.
 */
export interface LazyTable {
  exists(sql: SqlStorage): boolean;
  /** Creates the table if it is not there yet; call before writing to it. */
  ensure(sql: SqlStorage): void;
}

export const tableExists = (sql: SqlStorage, name: string): boolean =>
  sql.exec("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", name).toArray().length > 0;

/** `definition` is what follows the name in CREATE TABLE: the columns and any table options. */
export function lazyTable(name: string, definition: string): LazyTable {
  return {
    exists: (sql) => tableExists(sql, name),
    ensure: (sql) => void sql.exec(`CREATE TABLE IF NOT EXISTS ${name} ${definition}`),
  };
}

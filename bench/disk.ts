/**
 * Bytes at rest: sizes of files and folders, and of each table inside a SQLite file (the
 * `dbstat` virtual table: pages a table and its indexes occupy, free space in them included).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Total size of the files under `dir` (recursively) whose names pass `keep`. */
export function dirBytes(dir: string, keep: (name: string) => boolean = () => true): { bytes: number; files: number } {
  let [bytes, files] = [0, 0];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = dirBytes(path, keep);
      bytes += sub.bytes;
      files += sub.files;
    } else if (entry.isFile() && keep(entry.name)) {
      bytes += statSync(path).size;
      files++;
    }
  }
  return { bytes, files };
}

/** A SQLite file's pages per table, each table's indexes counted with it, and its row counts. */
export async function sqliteTables(
  file: string,
  rowsOf: string[] = [],
): Promise<Map<string, { bytes: number; rows?: number }>> {
  // Loaded on first use: importing node:sqlite prints an ExperimentalWarning on Node 22.
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const out = new Map<string, { bytes: number; rows?: number }>();
    const sizes = db
      .prepare(
        `SELECT COALESCE(m.tbl_name, d.name) AS tbl, SUM(d.pgsize) AS bytes
         FROM dbstat d LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY tbl`,
      )
      .all() as Array<{ tbl: string; bytes: number }>;
    for (const s of sizes) out.set(s.tbl, { bytes: s.bytes });
    for (const t of rowsOf) {
      const { n } = db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number };
      out.set(t, { bytes: out.get(t)?.bytes ?? 0, rows: n });
    }
    return out;
  } finally {
    db.close();
  }
}

/**
 * Moves a stopped database's WAL into the database file and removes it, as SQLite does when
 * its last connection closes: workerd leaves the WAL behind when it is stopped with a signal.
 */
export async function checkpoint(file: string): Promise<void> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file);
  try {
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** Files of one SQLite database under a miniflare state folder (the db, its WAL and shared memory). */
export const sqliteFile = (name: string) => /^[0-9a-f]{64}\.sqlite(-wal|-shm)?$/.test(name);

/** The database files (not -wal/-shm) in `dir`. */
export const sqliteFiles = (dir: string) =>
  readdirSync(dir)
    .filter((n) => /^[0-9a-f]{64}\.sqlite$/.test(n))
    .map((n) => join(dir, n));

/**
 * Pages of a SQLite file in use (page_count − freelist_count) × page_size: what the database
 * holds, as a Durable Object's `databaseSize` reports it. The file can be larger: workerd refuses
 * VACUUM and auto_vacuum, so pages freed by sealing stay in the file and are reused by later
 * writes.
 */
export async function sqliteUsedBytes(file: string): Promise<{ used: number; free: number }> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const one = (pragma: string) => Object.values(db.prepare(`PRAGMA ${pragma}`).get() as object)[0] as number;
    const size = one('page_size');
    const free = one('freelist_count');
    return { used: (one('page_count') - free) * size, free: free * size };
  } finally {
    db.close();
  }
}

/** Rows of `table` in a SQLite file another process may be writing (WAL mode allows the read). */
export async function sqliteRows(file: string, table: string): Promise<number> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/**
 * Bytes per row of the rollup layouts, measured with SQLite's dbstat on real SQLite (node:sqlite,
 * the file format D1 and Durable Objects use): D1's hour rows keyed by integer series id beside
 * the text-keyed, org-indexed layout they replaced, and a DeviceHub's hour rows of minute blocks
 * (through the codec in use). `node_modules/.bin/node bench/rollup-layout.ts`; not part of
 * `npm run bench`, whose `storage` benchmark measures the same tables after a real load.
 */
import { DatabaseSync } from 'node:sqlite';
import { encodeBlock } from '../workers/src/services/storage/codec/index.ts';
const db = new DatabaseSync(':memory:');
db.exec(`CREATE TABLE series (id TEXT PRIMARY KEY, num INTEGER NOT NULL UNIQUE, org_id TEXT NOT NULL);
CREATE TABLE rollups_1h (sid INTEGER NOT NULL, bucket INTEGER NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, PRIMARY KEY(sid, bucket)) WITHOUT ROWID;
CREATE TABLE old_1h (series_id TEXT NOT NULL, bucket INTEGER NOT NULL, org_id TEXT NOT NULL, count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL, PRIMARY KEY(series_id, bucket));
CREATE INDEX old_org ON old_1h (org_id, bucket);
CREATE TABLE minute_hours (key INTEGER PRIMARY KEY, block BLOB NOT NULL);`);
const SERIES = 200,
  HOURS = 12,
  H = 3_600_000,
  start = 1_796_000_000_000 - (1_796_000_000_000 % H);
const ins = db.prepare('INSERT INTO rollups_1h VALUES (?,?,?,?,?,?,?)');
const old = db.prepare('INSERT INTO old_1h VALUES (?,?,?,?,?,?,?,?)');
const mh = db.prepare('INSERT INTO minute_hours VALUES (?,?)');
db.exec('BEGIN');
for (let s = 1; s <= SERIES; s++)
  for (let h = 0; h < HOURS; h++) {
    const v = (x: number) => Math.round((20 + 5 * Math.sin(s + h + x)) * 100) / 100;
    ins.run(s, start + h * H, 360, v(1) * 360, v(2), v(3), v(4));
    old.run(
      `s_${'x'.repeat(20)}${String(s).padStart(4, '0')}`,
      start + h * H,
      'org_abcdefghijklmnop',
      360,
      v(1) * 360,
      v(2),
      v(3),
      v(4),
    );
    // Six 10 s samples a minute with two decimals, as a gauge sends them.
    const ts: number[] = [];
    const cols: number[][] = [[], [], [], [], []];
    for (let m = 0; m < 60; m++) {
      const vals = Array.from(
        { length: 6 },
        (_, k) => Math.round((20 + 5 * Math.sin((h * 360 + m * 6 + k) / 50 + s)) * 100) / 100,
      );
      ts.push(start + h * H + m * 60_000);
      cols[0]!.push(6);
      cols[1]!.push(vals.reduce((a, b) => a + b, 0));
      cols[2]!.push(Math.min(...vals));
      cols[3]!.push(Math.max(...vals));
      cols[4]!.push(vals[5]!);
    }
    mh.run(s * 2 ** 24 + (start + h * H) / H, encodeBlock(ts, cols));
  }
db.exec('COMMIT');
const size = (names: string[]) =>
  (
    db
      .prepare(`SELECT SUM(pgsize) AS b FROM dbstat WHERE name IN (${names.map(() => '?').join(',')})`)
      .get(...names) as { b: number }
  ).b;
const rows = SERIES * HOURS;
const raw = rows * 360;
const n = size(['rollups_1h']),
  o = size(['old_1h', 'sqlite_autoindex_old_1h_1', 'old_org']),
  m = size(['minute_hours']);
console.log(
  `hour rows: ${(n / rows).toFixed(1)} B/row (integer ids, WITHOUT ROWID) vs ${(o / rows).toFixed(1)} B/row (text ids + org index)`,
);
console.log(
  `minute_hours: ${(m / rows).toFixed(0)} B per hour row (60 minutes), ${(m / raw).toFixed(2)} B/raw sample at 10 s; hours ${(n / raw).toFixed(3)} B/raw sample`,
);

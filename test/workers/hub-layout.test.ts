import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { batch, enroll, flush, ingest, seedOrg } from './helpers.ts';
import { hubMinutes, hubRollups, type StoredRollup } from './rollup-helpers.ts';
import { seriesId } from '../../workers/src/services/ingest/series-key.ts';
import { allOf, alarmNow, DAY, deviceHubFor, env, MINUTE, sealAll, type Hub } from './raw-blocks-helpers.ts';

const HOUR = 3_600_000;

/**
 * The DeviceHub's SQLite layout: every B-tree costs a 4 KiB page however few rows it holds, so a
 * new object has none that no query needs, creates the rarely written tables at their first
 * write, and an object created with the layouts of before keeps working unchanged.
 */

/** B-trees of the object: tables and indexes, automatic ones included (not the runtime's own `_cf_` tables). */
const btrees = (hub: Hub) =>
  runInDurableObject(hub, (_o, state) =>
    state.storage.sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_schema WHERE rootpage > 0 AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
      )
      .toArray()
      .map((r) => r.name)
      .sort(),
  );

/** Whether the object is still taking rollups from D1 (rollup-adopt.ts). */
const adopting = (hub: Hub) =>
  runInDurableObject(
    hub,
    (_o, state) => state.storage.sql.exec("SELECT 1 FROM meta WHERE key = 'rollupAdoption'").toArray().length > 0,
  );

/** Two series, a sample each 10 s over four minutes ending `ago` minutes ago (sealable at once if 3 or more). */
function samples(offset = 0, ago = 5) {
  const end = Math.floor(Date.now() / MINUTE) * MINUTE - ago * MINUTE;
  const out: { metric: string; ts: number; value: number; labels?: Record<string, string> }[] = [];
  for (let ts = end - 4 * MINUTE; ts < end; ts += 10_000) {
    out.push({ metric: 'temp', ts, value: 20 + ((ts / 10_000) % 7) + offset });
    out.push({ metric: 'load', labels: { core: '0' }, ts, value: ((ts / 10_000) % 5) / 4 + offset });
  }
  return out;
}

/**
 * Ingests, re-sends (a duplicate), flushes and seals; checks what is stored and what each step
 * answered. `held`: samples of `heldSeries` the object had before.
 */
async function exercise(
  device: { deviceId: string; deviceToken: string },
  hub: Hub,
  { held = 0, heldSeries = [] as string[] } = {},
) {
  const sent = samples();
  const first = await ingest(device.deviceToken, batch('layout-1', sent));
  expect(await first.json()).toMatchObject({ accepted: sent.length, duplicate: false });
  const again = await ingest(device.deviceToken, batch('layout-1', sent));
  expect(await again.json()).toMatchObject({ accepted: 0, duplicate: true });
  await flush(device.deviceId);
  await sealAll(hub);
  const stats = await hub.stats();
  expect(stats).toMatchObject({ headSamples: 0, dirtyMinutes: 0, samples: sent.length + held });
  const sids = await runInDurableObject(hub, (_o, state) =>
    state.storage.sql.exec<{ sid: number }>('SELECT sid FROM series ORDER BY sid').toArray(),
  );
  let stored = 0;
  for (const { sid } of sids) stored += (await allOf(hub, sid)).length;
  expect(stored).toBe(sent.length + held);
  // Four minutes of each series rolled up (6 samples a minute) into one or two hours and days,
  // and the device's events delivered.
  const mine = (rows: StoredRollup[]) => rows.filter((r) => !heldSeries.includes(r.series_id));
  const minutes = mine(await hubMinutes(device.deviceId));
  expect(minutes).toHaveLength(8);
  expect(minutes.every((m) => m.count === 6)).toBe(true);
  for (const level of ['1h', '1d'] as const) {
    const rows = mine(await hubRollups(device.deviceId, level));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(sent.length);
  }
  const pending = await runInDurableObject(
    hub,
    (_o, state) => state.storage.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM event_outbox').one().n,
  );
  expect(pending).toBe(0);
}

describe('the DeviceHub SQLite layout', () => {
  it('keeps no B-tree that no query needs, and leaves tables it has not written uncreated', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'layout-new');
    const hub = deviceHubFor(env, device.deviceId);
    await exercise(device, hub);
    expect(await btrees(hub)).toEqual(
      [
        'batches',
        'batches_received_idx',
        'blocks',
        'blocks_sid_first_idx',
        'dirty_minutes',
        'event_outbox',
        'meta',
        // The rollups of each level (minutes in hour rows, hours in day rows, days in 128-day rows), created at once.
        'minute_hours',
        'hour_days',
        'day_spans',
        'samples',
        'series',
        // series: by its key (metric and labels) at ingest, by its id for reads.
        'sqlite_autoindex_series_1',
        'sqlite_autoindex_series_2',
      ].sort(),
    );
  });

  it('keeps serving an object created with the layouts of before, and takes its hours and days from D1 once', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'layout-old');
    const hub = deviceHubFor(env, device.deviceId);
    // A series the object had before, two days back: its hour and day were in D1, as the old flush and cron wrote them.
    const oldTs = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * DAY;
    const oldHour = oldTs - (oldTs % HOUR);
    const oldDay = oldTs - (oldTs % DAY);
    expect(
      (await ingest(device.deviceToken, batch('layout-0', [{ metric: 'uptime', ts: oldTs, value: 7 }]))).status,
    ).toBe(200);
    await flush(device.deviceId);
    const uptime = await seriesId(device.deviceId, 'uptime');
    for (const [table, bucket, count, sum] of [
      ['rollups_1h', oldHour, 3, 21],
      ['rollups_1d', oldDay, 5, 35],
    ] as const) {
      await env.DB.prepare(
        `INSERT INTO ${table} (sid, bucket, count, sum, min, max, last) SELECT num, ?, ?, ?, 7, 7, 7 FROM series WHERE id = ?`,
      )
        .bind(bucket, count, sum, uptime)
        .run();
    }
    await runInDurableObject(hub, (_o, state) => {
      const sql = state.storage.sql;
      const rebuild = (table: string, create: string, columns: string) =>
        sql.exec(
          `ALTER TABLE ${table} RENAME TO old_${table}; ${create};
           INSERT INTO ${table} (${columns}) SELECT ${columns} FROM old_${table}; DROP TABLE old_${table};`,
        );
      rebuild('meta', 'CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)', 'key, value');
      rebuild(
        'batches',
        `CREATE TABLE batches (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, samples INTEGER NOT NULL, hash TEXT);
         CREATE INDEX IF NOT EXISTS batches_received_idx ON batches (received_at)`,
        'id, received_at, samples, hash',
      );
      rebuild(
        'dirty_minutes',
        `CREATE TABLE dirty_minutes (sid INTEGER NOT NULL, minute INTEGER NOT NULL, gen INTEGER NOT NULL DEFAULT 0,
           PRIMARY KEY (sid, minute)) WITHOUT ROWID;
         CREATE INDEX dirty_minutes_minute_idx ON dirty_minutes (minute)`,
        'sid, minute, gen',
      );
      rebuild(
        'event_outbox',
        `CREATE TABLE event_outbox (id TEXT PRIMARY KEY, type TEXT NOT NULL, ts INTEGER NOT NULL, correlation_id TEXT,
           data TEXT NOT NULL)`,
        'id, type, ts, correlation_id, data',
      );
      // Before hours and days lived here: minutes only, and the merge outbox of late parts for D1.
      sql.exec(`
        DROP TABLE hour_days;
        DROP TABLE day_spans;
        DELETE FROM meta WHERE key IN ('hourCount', 'dayCount', 'hourWatermark', 'dayWatermark');
        CREATE TABLE alert_state (rule_id TEXT NOT NULL, series_id TEXT NOT NULL, state TEXT NOT NULL,
          PRIMARY KEY (rule_id, series_id)) WITHOUT ROWID;
        CREATE TABLE alert_outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL,
          stage INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE minute_merges (token TEXT PRIMARY KEY, sid INTEGER NOT NULL, hour INTEGER NOT NULL,
          count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, last REAL NOT NULL) WITHOUT ROWID;
      `);
    });
    const before = await btrees(hub);
    expect(before).toEqual(
      expect.arrayContaining([
        'dirty_minutes_minute_idx',
        'sqlite_autoindex_meta_1',
        'sqlite_sequence',
        'minute_merges',
      ]),
    );
    expect(before).not.toContain('hour_days');
    // The object starts with the code of now: its storage is created as in its constructor.
    const adoption = await runInDurableObject(hub, async (o, state) => {
      (o as unknown as { createStorage(): void }).createStorage();
      const { getMeta } = await import('../../workers/src/objects/device-hub/store.ts');
      return getMeta(state.storage.sql, 'rollupAdoption');
    });
    expect(adoption).toEqual({ level: '1h', after: null });
    expect(await btrees(hub)).toEqual(expect.arrayContaining(['hour_days', 'day_spans']));

    await exercise(device, hub, { held: 1, heldSeries: [uptime] });
    // The alarm took D1's hour and day of the old series (in chunks, over a few runs), and emptied the outbox.
    for (let runs = 0; runs < 10 && (await adopting(hub)); runs++) await alarmNow(hub);
    expect(await adopting(hub)).toBe(false);
    const d1Row = { series_id: uptime, min: 7, max: 7, last: 7 };
    expect((await hubRollups(device.deviceId, '1h')).filter((r) => r.series_id === uptime)).toEqual([
      { ...d1Row, bucket: oldHour, count: 3, sum: 21 },
    ]);
    expect((await hubRollups(device.deviceId, '1d')).filter((r) => r.series_id === uptime)).toEqual([
      // Rebuilt from the hours it now holds, as every day that has hours.
      { ...d1Row, bucket: oldDay, count: 3, sum: 21 },
    ]);
    expect(await btrees(hub)).not.toContain('minute_merges');
    // Once: later runs add nothing.
    await alarmNow(hub);
    await alarmNow(hub);
    expect((await hubRollups(device.deviceId, '1h')).filter((r) => r.series_id === uptime)).toHaveLength(1);
    expect((await hubRollups(device.deviceId, '1h')).find((r) => r.series_id === uptime)).toMatchObject({ count: 3 });
  });

  it('renumbers the blocks of an object from before open-block ids once, and loses no sample', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'layout-ids');
    const hub = deviceHubFor(env, device.deviceId);
    await exercise(device, hub);
    // As blocks were numbered before: 1 up in write order (here the reverse of the series' ids), no marker.
    const renumbered = await runInDurableObject(hub, async (_o, state) => {
      const sql = state.storage.sql;
      const ids = sql.exec<{ id: number }>('SELECT id FROM blocks ORDER BY sid DESC, first_ts').toArray();
      ids.forEach((r, i) => sql.exec('UPDATE blocks SET id = ? WHERE id = ?', -(i + 1), r.id));
      sql.exec('UPDATE blocks SET id = -id');
      sql.exec("DELETE FROM meta WHERE key = 'blockIds'");
      const { createTables } = await import('../../workers/src/objects/device-hub/store.ts');
      createTables(sql);
      createTables(sql);
      return {
        ids: sql.exec<{ id: number }>('SELECT id FROM blocks ORDER BY id').toArray(),
        last: sql.exec<{ t: number }>('SELECT MAX(last_ts) AS t FROM blocks').one().t,
      };
    });
    const { ids, last } = renumbered;
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((r) => r.id > 2 ** 40 && r.id <= 2 ** 40 + ids.length)).toBe(true);
    // Two minutes after them (still past the seal horizon): each series' open block takes its own id again.
    const later = samples()
      .slice(0, 24)
      .map((x, i) => ({ ...x, ts: last + 10_000 * (Math.floor(i / 2) + 1) }));
    expect((await ingest(device.deviceToken, batch('layout-2', later))).status).toBe(200);
    await flush(device.deviceId);
    await sealAll(hub);
    const rows = await runInDurableObject(hub, (_o, state) =>
      state.storage.sql.exec<{ id: number; sid: number }>('SELECT id, sid FROM blocks').toArray(),
    );
    expect(rows.filter((r) => r.id < 2 ** 40).every((r) => r.id === r.sid)).toBe(true);
    expect((await hub.stats()).samples).toBe(samples().length + later.length);
  });
});

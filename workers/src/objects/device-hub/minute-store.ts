import { unsealMinutes } from './blocks-unseal.ts';
import { scanRaw } from './raw-read.ts';
import { setMeta } from './store.ts';
import { tableExists } from './lazy-tables.ts';
import { HOUR_MS, MINUTE_MS } from '../../time.ts';
import { addColumnIfMissing } from '../sqlite-columns.ts';
import { createRollupTables } from './rollup-store.ts';
import { markAdoption } from './rollup-adopt.ts';

/**
 * Creating the DeviceHub's rollup tables (rollup-store.ts), and bringing in what an object from
 * before each level lived here kept in D1.
 */

export function createRollupStorage(sql: SqlStorage): void {
  const minutesExisted = tableExists(sql, 'minute_hours');
  const hoursExisted = tableExists(sql, 'hour_days');
  createRollupTables(sql);
  // D1's integer id of each series (series.num), learnt at registration; objects older than it learn it when they need it.
  addColumnIfMissing(sql, 'series', 'num', 'INTEGER');
  if (!minutesExisted) adoptD1Minutes(sql);
  if (!hoursExisted) markAdoption(sql);
}

/**
 * An object from before minutes lived here: its minutes were in D1 (`rollups_1m`, dropped by
 * migration 0010 once their hours were built). The current and the previous hour are rebuilt
 * from the raw samples, which hold all of them (samples still arriving for the minutes around
 * the deploy are counted once); earlier hours are complete in D1, so late data there is merged
 * (the watermark). A late sample for such an hour that lands in a minute which already had
 * samples is merged with them, so they count twice: rebuilding every hour raw still holds
 * would close that, at the cost of re-flushing up to the raw retention of every object once.
 */
function adoptD1Minutes(sql: SqlStorage): void {
  if (sql.exec('SELECT 1 FROM series LIMIT 1').toArray().length === 0) return;
  const now = Date.now();
  const hour = now - (now % HOUR_MS) - HOUR_MS;
  setMeta(sql, 'minuteWatermark', hour);
  // Head and blocks alike: a dirty minute's samples must all be in the head (pendingRollups reads it).
  const minutes: [number, number][] = [];
  for (const { sid } of sql.exec<{ sid: number }>('SELECT sid FROM series').toArray()) {
    let last = -1;
    scanRaw(sql, sid, hour, Number.MAX_SAFE_INTEGER, (ts) => {
      const minute = ts - (ts % MINUTE_MS);
      if (minute !== last) minutes.push([sid, (last = minute)]);
    });
  }
  unsealMinutes(sql, minutes);
  sql.exec(
    `INSERT INTO dirty_minutes (sid, minute, gen)
     SELECT value ->> 0, value ->> 1, 0 FROM json_each(?) WHERE true
     ON CONFLICT (sid, minute) DO UPDATE SET gen = gen + 1`,
    JSON.stringify(minutes),
  );
}

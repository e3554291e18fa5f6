import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { valueAt, type Dataset } from '../../bench/dataset.ts';
import { enroll, seedOrg } from './helpers.ts';
import { alarmNow, deviceHubFor, env, insertHeadRows, registerSeries } from './raw-blocks-helpers.ts';

/** The storage benchmark's shape (10 s gauges, two decimals), smaller: 10 series × 10,000 samples. */
const D: Dataset = {
  name: 'size',
  devices: 1,
  seriesPerDevice: 10,
  start: Date.now() - 10_000 * 10_000 - 3_600_000,
  intervalMs: 10_000,
  points: 10_000,
};

describe('bytes per raw sample', () => {
  it('measures the head and the sealed blocks of 100,000 samples (a figure, not a speed test)', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'size');
    const hub = deviceHubFor(env, device.deviceId);
    const series = await registerSeries(hub, device.deviceToken, D.seriesPerDevice, D.start - D.intervalMs);
    const size = () => runInDurableObject(hub, (_o, state) => state.storage.sql.databaseSize);
    for (let i = 0; i < 20 && (await hub.stats()).headSamples > 0; i++) await alarmNow(hub);
    const empty = await size();
    // Written a day at a time and sealed in between, as a live object fills: freed head pages are reused.
    const perDay = 86_400_000 / D.intervalMs;
    for (let first = 0; first < D.points; first += perDay) {
      await runInDurableObject(hub, (_o, state) => {
        const rows: [number, number, number][] = [];
        for (const [k, s] of series.entries())
          for (let i = first; i < Math.min(D.points, first + perDay); i++)
            rows.push([s.sid, D.start + i * D.intervalMs, valueAt(D, 0, k, i)]);
        insertHeadRows(state.storage.sql, rows);
      });
      if (first === 0) {
        // Head only: the row-per-sample layout of before.
        const headBytes = (await size()) - empty;
        console.log(`head rows: ${(headBytes / (perDay * D.seriesPerDevice)).toFixed(1)} B/sample (file growth)`);
      }
      const peak = await size();
      for (let i = 0; i < 20 && (await hub.stats()).headSamples > 0; i++) await alarmNow(hub);
      // databaseSize after the seal, against the head's peak: whether the file keeps the freed pages.
      if (first === 0) console.log(`first day: file ${peak} B with its head, ${await size()} B once sealed`);
    }
    const stats = await hub.stats();
    expect(stats).toMatchObject({ samples: 100_000 + D.seriesPerDevice, headSamples: 0 });
    const payload = await runInDurableObject(
      hub,
      (_o, state) => state.storage.sql.exec<{ n: number }>('SELECT SUM(length(data)) AS n FROM blocks').one().n,
    );
    const file = (await size()) - empty;
    console.log(
      `sealed: ${stats.blocks} blocks, payload ${(payload / stats.samples).toFixed(2)} B/sample, ` +
        `databaseSize growth ${(file / stats.samples).toFixed(2)} B/sample`,
    );
    expect(payload).toBeGreaterThan(0);
  });
});

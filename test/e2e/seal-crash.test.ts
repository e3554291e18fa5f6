import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll } from '../fixtures/spool-harness.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

const SERIES = 20;
const PER_SERIES = 10_000;
/** Ten samples a minute: 20,000 minutes to roll up before they can be sealed, 200,000 samples to seal. */
const STEP = 6_000;
const END = Date.now() - 3_600_000;
const START = END - PER_SERIES * STEP;
const METRIC = 'seal_crash_value';

let platform: LocalPlatform;

beforeAll(async () => {
  platform = await startLocalPlatform();
});

afterAll(async () => {
  await platform?.stop();
});

const valueOf = (k: number, i: number) =>
  Math.round((20 + 5 * Math.sin(i / 50 + k) + ((i * 31 + k) % 7) / 10) * 100) / 100;

/** The DeviceHub's SQLite figures, read from its file beside the running workerd. */
async function hubFigures(): Promise<{ head: number; blocks: number; file: string } | null> {
  const { DatabaseSync } = await import('node:sqlite');
  const dir = join(platform.persistTo, 'v3/do/edgewatch-DeviceHub');
  for (const name of (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.sqlite'))) {
    const db = new DatabaseSync(join(dir, name), { readOnly: true });
    try {
      const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blocks'").all();
      if (has.length === 0 || db.prepare('SELECT 1 FROM series WHERE metric = ?').all(METRIC).length === 0) continue;
      const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get() as object)[0] as number;
      return {
        head: (db.prepare('SELECT COUNT(*) AS n FROM samples').get() as { n: number }).n,
        blocks: (db.prepare('SELECT COUNT(*) AS n FROM blocks').get() as { n: number }).n,
        // What the storage benchmark sees: the file, free pages included.
        file: `${name}: auto_vacuum ${pragma('auto_vacuum')}, page_size ${pragma('page_size')}, page_count ${pragma('page_count')}, freelist_count ${pragma('freelist_count')}`,
      };
    } catch {
      // Caught mid-write (locked): try again on the next poll.
      return null;
    } finally {
      db.close();
    }
  }
  return null;
}

/** The process group of this platform's `wrangler dev` (wrangler and its workerd), found by its state folder. */
async function workerGroup(): Promise<number> {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('--persist-to\0' + platform.persistTo) && cmd.includes('dev')) return Number(pid);
  }
  throw new Error('wrangler dev not found');
}

/** Processes of a process group, with their command names. */
async function groupMembers(group: number): Promise<{ pid: number; comm: string }[]> {
  const out = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): state, ppid, pgrp.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie (Z) is gone already, waiting only to be reaped.
    if (Number(rest[2]) === group && rest[0] !== 'Z')
      out.push({ pid: Number(pid), comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) });
  }
  return out;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms: number): Promise<T> {
  const from = Date.now();
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() - from > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('kill -9 of workerd while blocks are sealed', () => {
  it('keeps every sample exactly once after a restart, and sealing completes', { timeout: 600_000 }, async () => {
    const { deviceId, deviceToken } = await enroll(platform.url, platform.seed.enrollmentToken, 'seal-crash');
    const expected = new Map<string, Map<number, number>>();
    const send = async (
      batchId: string,
      samples: { metric: string; labels: Record<string, string>; ts: number; value: number }[],
    ) => {
      const res = await fetch(`${platform.url}/v1/ingest`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
        body: JSON.stringify({ batchId, samples }),
      });
      expect(res.status, await res.text()).toBe(200);
      for (const s of samples) {
        const m = expected.get(s.labels.k!) ?? new Map<number, number>();
        m.set(s.ts, s.value);
        expected.set(s.labels.k!, m);
      }
    };
    // The alarm rolls up 2,000 minutes a run and seals what it rolled up: kill -9 (wrangler and its workerd)
    // once blocks exist and more than one seal run is left.
    let killedAt: { head: number; blocks: number; file: string } | null = null;
    const killIfSealing = async () => {
      const f = await hubFigures();
      if (killedAt || !f || f.blocks === 0 || f.head <= 20_000) return;
      const group = await workerGroup();
      const members = await groupMembers(group);
      expect(members.map((m) => m.comm)).toContain('workerd');
      process.kill(-group, 'SIGKILL');
      await until('workerd to be gone', async () => (await groupMembers(group)).length === 0, 10_000);
      await platform.stopWorker();
      await platform.startWorker();
      killedAt = f;
    };
    // Oldest first, all series per timestamp, 5,000 samples a batch: as the agent's spool sends a backfill.
    const perBatch = 5_000 / SERIES;
    for (let first = 0; first < PER_SERIES; first += perBatch) {
      const samples = [];
      for (let i = first; i < first + perBatch; i++)
        for (let k = 0; k < SERIES; k++)
          samples.push({ metric: METRIC, labels: { k: String(k) }, ts: START + i * STEP, value: valueOf(k, i) });
      await send(`backfill-${first}`, samples);
      await killIfSealing();
    }
    await until(
      'a kill while sealing',
      async () => {
        await killIfSealing();
        return killedAt;
      },
      180_000,
    );
    const mid = killedAt!;

    // The device keeps reporting after the restart: one more batch, which also arms the alarm again.
    await send('after-restart', [{ metric: METRIC, labels: { k: '0' }, ts: END, value: 1.5 }]);
    const done = await until(
      'sealing to complete',
      async () => {
        const f = await hubFigures();
        return f && f.head === 0 ? f : null;
      },
      300_000,
    );
    expect(done.blocks).toBeGreaterThan(mid.blocks);
    console.log(
      `seal crash: killed at ${mid.blocks} blocks, ${mid.head} head rows; after restart ${done.blocks} blocks`,
    );
    console.log(`seal crash: file at the kill ${mid.file}; once sealed ${done.file}`);

    const latest = (await (
      await fetch(`${platform.url}/v1/devices/${deviceId}/latest`, {
        headers: { authorization: `Bearer ${platform.seed.apiKey}` },
      })
    ).json()) as { values: { seriesId: string; labels: Record<string, string> }[] };
    expect(latest.values).toHaveLength(SERIES);
    let total = 0;
    for (const v of latest.values) {
      const res = await fetch(
        `${platform.url}/v1/series/${v.seriesId}/history?from=0&to=${Date.now()}&source=raw&limit=100000`,
        { headers: { authorization: `Bearer ${platform.seed.apiKey}` } },
      );
      expect(res.status).toBe(200);
      const { points } = (await res.json()) as { points: { ts: number; value: number }[] };
      const want = [...expected.get(v.labels.k!)!].sort((a, b) => a[0] - b[0]).map(([ts, value]) => ({ ts, value }));
      expect(points.length).toBe(want.length);
      expect(points).toEqual(want);
      total += points.length;
    }
    expect(total).toBe(SERIES * PER_SERIES + 1);
  });
});

import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { unpackSamples } from '../../workers/src/objects/channel-hub/packed.ts';
import { Ring } from '../../workers/src/objects/channel-hub/ring.ts';
import { packSamples, sample } from './stream-test-helpers.ts';

describe('stream replay ring layout', () => {
  it('packs samples by series and gives back the same samples, in order', () => {
    const samples = [
      { ...sample('org_a', 'dev_a', 'load1', 0.1 + 0.2), labels: { core: '0' } },
      sample('org_a', 'dev_b', 'load1', -0),
      { ...sample('org_a', 'dev_a', 'load1', 5e-324), labels: { core: '0' } },
      sample('org_a', 'dev_a', 'mem', 2 ** 53 + 2),
    ];
    const packed = packSamples(samples);
    expect(packed.series).toHaveLength(3);
    expect(unpackSamples([packed, packSamples(samples.slice(0, 1))])).toEqual([...samples, samples[0]]);
  });

  it('reads frames written before packing and keeps counting bytes after the upgrade', async () => {
    const hub = channelHubFor(env, `ring-layout-${crypto.randomUUID()}`);
    const old = [sample('org_a', 'dev_a', 'load1', 1), sample('org_a', 'dev_a', 'mem', 2)];
    const event = { id: 'evt_1', subject: 'org.org_a.event.device.online', type: 'device.online' };
    await runInDurableObject(hub, (_instance, state) => {
      const sql = state.storage.sql;
      // The layout before: no bytes column, data frames as StreamSample[] JSON.
      sql.exec('DROP TABLE IF EXISTS ring');
      sql.exec(
        'CREATE TABLE ring (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL)',
      );
      sql.exec("INSERT INTO ring VALUES (1, ?, 'data', ?)", Date.now(), JSON.stringify(old));
      sql.exec("INSERT INTO ring VALUES (2, ?, 'event', ?)", Date.now(), JSON.stringify(event));

      const ring = new Ring(state.storage);
      expect(ring.size).toBe(2);
      const live = [sample('org_a', 'dev_b', 'load1', 3)];
      ring.append({ seq: 3, kind: 'data', parts: [packSamples(live)] }, Date.now());
      expect([...ring.after(0)]).toEqual([
        { seq: 1, kind: 'data', samples: old },
        { seq: 2, kind: 'event', event },
        { seq: 3, kind: 'data', samples: live },
      ]);
      const rows = sql.exec<{ kind: string; bytes: number; chars: number }>(
        'SELECT kind, bytes, length(body) AS chars FROM ring ORDER BY seq',
      );
      for (const row of rows) expect(row.bytes).toBe(row.chars);
      expect(sql.exec('SELECT kind FROM ring WHERE seq = 3').one().kind).toBe('packed');

      // The byte bound still prunes the oldest frames first, by the stored sizes.
      ring.limits.maxBytes = sql.exec<{ bytes: number }>('SELECT bytes FROM ring WHERE seq = 3').one().bytes;
      ring.append({ seq: 4, kind: 'data', parts: [packSamples(live)] }, Date.now());
      expect([...ring.after(0)].map((e) => e.seq)).toEqual([4]);
      expect(ring.covers(3)).toBe(true);
      expect(ring.covers(2)).toBe(false);
    });
  });
});

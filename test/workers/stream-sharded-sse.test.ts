import { afterEach, describe, expect, it } from 'vitest';
import { seedOrg } from './helpers.ts';
import { deviceOnShard, keyOnRelay, publishFrom, relayHub } from './stream-sharded-helpers.ts';
import { closeSseReaders, openSse, sample } from './stream-test-helpers.ts';

afterEach(closeSseReaders);

// Runs in the `workers-sharded` project only (3 shards, 2 relays): vitest.config.ts.
describe('SSE through a relay', () => {
  it("numbers every shard's frames under the relay's epoch and resumes from Last-Event-ID", async () => {
    const org = await seedOrg(['read']);
    const { apiKey } = await keyOnRelay(org.orgId, 1);
    const subject = `org.${org.orgId}.*.*.*.*.metric.cpu`;
    const stream = await openSse(apiKey, subject);
    const devices = [0, 1, 2].map((k) => deviceOnShard(k, 'sse'));
    for (const [k, d] of devices.entries()) {
      await publishFrom(org.orgId, d, [sample(org.orgId, d, 'mem', 100 + k), sample(org.orgId, d, 'cpu', k)]);
    }
    const { epoch } = await relayHub(org.orgId, 1).stats();
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const e = await stream.nextEvent();
      expect(e.id).toBe(`${epoch}:${i + 1}`);
      seen.push(...(JSON.parse(e.data!) as { samples: { value: number }[] }).samples.map((s) => s.value));
    }
    expect(seen.sort()).toEqual([0, 1, 2]);
    await stream.close();

    // Published while no one listens: pushed to the relay while its lease lasts, else read from the
    // shards' rings when the viewer comes back; either way once each, in the relay's numbering.
    for (const [k, d] of devices.entries()) await publishFrom(org.orgId, d, [sample(org.orgId, d, 'cpu', 10 + k)]);
    const resumed = await openSse(apiKey, subject, { 'Last-Event-ID': `${epoch}:3` });
    const values = [];
    for (let i = 0; i < 3; i++) {
      const e = await resumed.nextEvent();
      expect(e.id).toBe(`${epoch}:${i + 4}`);
      values.push(...(JSON.parse(e.data!) as { samples: { value: number }[] }).samples.map((s) => s.value));
    }
    expect(values.sort()).toEqual([10, 11, 12]);
  });
});

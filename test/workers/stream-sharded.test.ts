import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { recordEvent } from '../../workers/src/services/events/record.ts';
import { closeStreams } from '../../workers/src/services/streams/close.ts';
import { bucket } from '../../workers/src/services/streams/routing.ts';
import { deviceEventSubject } from '../../workers/src/services/streams/subjects.ts';
import { batch, enroll, ingest, seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';
import {
  deviceOnShard,
  keyOnRelay,
  layout,
  publishFrom,
  relayHub,
  shardHub,
  valuesOf,
} from './stream-sharded-helpers.ts';
import { sample, subscribed, take } from './stream-test-helpers.ts';

// Runs in the `workers-sharded` project only (3 shards, 2 relays): vitest.config.ts.
describe('sharded live stream', () => {
  it('spreads publishers over the shards and viewers over the relays; a wildcard sees every shard', async () => {
    expect(layout).toEqual({ shards: 3, relays: 2 });
    const org = await seedOrg(['read']);
    const viewers = await Promise.all([0, 1].map(async (j) => connect((await keyOnRelay(org.orgId, j)).apiKey)));
    for (const v of viewers) await subscribed(v, 'cpu', `org.${org.orgId}.site.*.device.*.metric.cpu`);
    const devices = [0, 1, 2].map((k) => deviceOnShard(k));
    for (const [k, d] of devices.entries()) {
      await publishFrom(org.orgId, d, [sample(org.orgId, d, 'mem', 100 + k), sample(org.orgId, d, 'cpu', k)]);
    }
    for (const v of viewers) {
      const frames = await take(v, 3);
      // Each relay numbers what it receives from all shards as one stream.
      expect(frames.map((f) => f.seq).sort()).toEqual([1, 2, 3]);
      expect(valuesOf(frames).sort()).toEqual([0, 1, 2]);
      expect(new Set(frames.map((f) => f.epoch)).size).toBe(1);
    }
    for (let k = 0; k < 3; k++) expect(await shardHub(org.orgId, k).stats()).toMatchObject({ seq: 1, relays: 2 });
    for (let j = 0; j < 2; j++) expect(await relayHub(org.orgId, j).stats()).toMatchObject({ connections: 1, seq: 3 });
    const [r0, r1] = await Promise.all([0, 1].map((j) => relayHub(org.orgId, j).stats()));
    expect(r0!.epoch).not.toBe(r1!.epoch);
    // The unsharded hub's name is unused.
    expect(await channelHubFor(env, org.orgId).stats()).toMatchObject({ seq: 0, connections: 0, ringFrames: 0 });
  });

  it('routes ingested batches of real devices to their shards and on to a viewer', async () => {
    const org = await seedOrg(['read']);
    const viewer = await connect(org.apiKey);
    await subscribed(viewer, 'temp', `org.${org.orgId}.*.*.*.*.metric.temp`);
    const devices = await Promise.all(Array.from({ length: 6 }, (_, i) => enroll(org, `host-${i}`)));
    for (const [i, d] of devices.entries()) {
      const res = await ingest(d.deviceToken, batch(`b-${i}`, [{ metric: 'temp', ts: Date.now(), value: i }]));
      expect(res.status).toBe(200);
    }
    const frames = await take(viewer, devices.length);
    expect(valuesOf(frames).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const perShard = [0, 0, 0];
    for (const d of devices) perShard[bucket(d.deviceId, 3)]! += 1;
    for (let k = 0; k < 3; k++) {
      // At least the batches; a device's own events (device.online) may follow on the same shard.
      expect((await shardHub(org.orgId, k).stats()).seq).toBeGreaterThanOrEqual(perShard[k]!);
    }
  });

  it("keeps a device's event after its samples, and an org event on a fixed shard", async () => {
    const org = await seedOrg(['read']);
    const viewer = await connect(org.apiKey);
    await subscribed(viewer, 'all', `org.${org.orgId}.**`);
    const dev = deviceOnShard(2);
    await publishFrom(org.orgId, dev, [sample(org.orgId, dev, 'load1', 7)]);
    const event = await recordEvent(env, {
      orgId: org.orgId,
      type: 'device.offline',
      subject: deviceEventSubject(org.orgId, null, dev, 'device.offline'),
      correlationId: null,
      data: {},
    });
    const [data, ev] = await take(viewer, 2);
    expect(data).toMatchObject({ type: 'data', samples: [{ value: 7 }] });
    expect(ev).toMatchObject({ type: 'event', event: { id: event.id } });
    expect(ev!.seq as number).toBeGreaterThan(data!.seq as number);
    expect((await shardHub(org.orgId, 2).stats()).seq).toBe(2);
    await recordEvent(env, {
      orgId: org.orgId,
      type: 'custom.deploy',
      subject: `org.${org.orgId}.event.custom_deploy`,
      correlationId: null,
      data: {},
    });
    expect(await viewer.next()).toMatchObject({ type: 'event', event: { type: 'custom.deploy' } });
    expect((await shardHub(org.orgId, 0).stats()).seq).toBe(1);
  });

  it('closes the withdrawn viewers on every relay, and no one else', async () => {
    const org = await seedOrg(['read']);
    const [a, b, c] = await Promise.all([0, 1, 0].map((j) => keyOnRelay(org.orgId, j)));
    const [va, vb, vc] = await Promise.all([a, b, c].map((k) => connect(k!.apiKey)));
    for (const v of [va, vb, vc]) await subscribed(v!, 'all', `org.${org.orgId}.**`);
    await closeStreams(env, org.orgId, { credentialIds: [a!.keyId, b!.keyId] });
    expect(await va!.closed).toMatchObject({ code: 4401 });
    expect(await vb!.closed).toMatchObject({ code: 4401 });
    expect(await vc!.idle()).toEqual([]);
    expect((await relayHub(org.orgId, 0).stats()).connections).toBe(1);
    expect((await relayHub(org.orgId, 1).stats()).connections).toBe(0);
  });
});

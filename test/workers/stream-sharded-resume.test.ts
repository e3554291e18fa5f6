import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { relayName } from '../../workers/src/services/streams/routing.ts';
import { seedOrg } from './helpers.ts';
import { connect, type Client, type Frame } from './stream-client.ts';
import { deviceOnShard, keyOnRelay, publishFrom, relayHub, shardHub, valuesOf } from './stream-sharded-helpers.ts';
import { sample, subscribed, take } from './stream-test-helpers.ts';

/** Publishes `values` in turn from a device on each shard. */
async function publishRound(orgId: string, values: readonly number[]) {
  for (const v of values) {
    const dev = deviceOnShard(v % 3);
    await publishFrom(orgId, dev, [sample(orgId, dev, 'load1', v)]);
  }
}

/** Reconnects with the same key (so the same relay) and resumes after `last`. */
async function resume(apiKey: string, epoch: unknown, last: unknown): Promise<{ client: Client; welcome: Frame }> {
  const client = await connect(apiKey);
  const welcome = await client.ask({ type: 'hello', v: 1, resume: { epoch, seq: last } });
  return { client, welcome };
}

/**
 * A viewer on relay `j` sees one frame and leaves; the relay's renewal then finds no viewer and
 * lets its leases go. Returns the viewer's key, its epoch and the frame it saw.
 */
async function viewOnceAndLeave(orgId: string, j: number) {
  const { apiKey } = await keyOnRelay(orgId, j);
  const first = await connect(apiKey);
  const welcome = await first.ask({ type: 'hello', v: 1 });
  await subscribed(first, 'all', `org.${orgId}.**`);
  await publishRound(orgId, [0]);
  const [seen] = await take(first, 1);
  first.ws.close(1000);
  await first.closed;
  expect(await runDurableObjectAlarm(relayHub(orgId, j))).toBe(true);
  return { apiKey, epoch: welcome.epoch, seen: seen! };
}

const expectExactlyOnce = (frames: readonly Frame[], values: readonly number[]) => {
  expect(valuesOf(frames).sort((a, b) => a - b)).toEqual(values);
  const seqs = frames.map((f) => f.seq as number);
  expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  expect(new Set(seqs).size).toBe(seqs.length);
};

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('sharded live stream: resume', () => {
  it('gives a reconnecting viewer what it missed from every shard, then live, once each', async () => {
    const org = await seedOrg(['read']);
    const { apiKey } = await keyOnRelay(org.orgId, 0);
    const first = await connect(apiKey, {}, { credits: 0 });
    const welcome = await first.ask({ type: 'hello', v: 1, credits: 3 });
    const load = `org.${org.orgId}.*.*.*.*.metric.load1`;
    await subscribed(first, 'load', load);
    await publishRound(org.orgId, range(0, 5));
    const seen = await take(first, 3);
    first.ws.close(1000);
    await first.closed;
    await publishRound(org.orgId, range(5, 8));

    const { client, welcome: again } = await resume(apiKey, welcome.epoch, seen.at(-1)!.seq);
    expect(again).toMatchObject({ type: 'welcome', resumed: true, epoch: welcome.epoch });
    await subscribed(client, 'load', load);
    const missed = await take(client, 5);
    await publishRound(org.orgId, [8]);
    const live = await client.next();
    expectExactlyOnce([...seen, ...missed, live], range(0, 9));
  });

  it('keeps a connected viewer whole across an eviction of its relay', async () => {
    const org = await seedOrg(['read']);
    const { apiKey } = await keyOnRelay(org.orgId, 1);
    const viewer = await connect(apiKey);
    await subscribed(viewer, 'all', `org.${org.orgId}.**`);
    await publishRound(org.orgId, [0, 1]);
    const before = await take(viewer, 2);
    await evictDurableObject(relayHub(org.orgId, 1));
    // The shards still hold the relay's lease: their pushes wake it. One push is lost (shard 1 stops
    // feeding it): its renewal reads that frame from the shard's ring, from the cursor it stored.
    await shardHub(org.orgId, 1).detachRelay(relayName(org.orgId, 1));
    await publishRound(org.orgId, [2, 3, 4]);
    expect(await runDurableObjectAlarm(relayHub(org.orgId, 1))).toBe(true);
    const after = await take(viewer, 3);
    expectExactlyOnce([...before, ...after], range(0, 5));
  });

  it('reads from a shard’s ring what a relay was not pushed, without a gap', async () => {
    const org = await seedOrg(['read']);
    const { apiKey } = await keyOnRelay(org.orgId, 0);
    const viewer = await connect(apiKey);
    await subscribed(viewer, 'all', `org.${org.orgId}.**`);
    await publishRound(org.orgId, [0]);
    const first = await take(viewer, 1);
    // As if the lease had lapsed (or a push was lost): shard 1 stops feeding the relay.
    await shardHub(org.orgId, 1).detachRelay(relayName(org.orgId, 0));
    await publishRound(org.orgId, [1, 4]);
    // The relay's renewal (its alarm) attaches again, finds the shard further on and catches up.
    expect(await runDurableObjectAlarm(relayHub(org.orgId, 0))).toBe(true);
    const caught = await take(viewer, 2);
    expectExactlyOnce([...first, ...caught], [0, 1, 4]);
    expect(await viewer.idle()).toEqual([]);
  });

  it('lets the shards go when its last viewer left, and catches up when one resumes', async () => {
    const org = await seedOrg(['read']);
    const { apiKey, epoch, seen } = await viewOnceAndLeave(org.orgId, 0);
    for (let k = 0; k < 3; k++) expect((await shardHub(org.orgId, k).stats()).relays).toBe(0);
    await publishRound(org.orgId, [1, 2, 3]);

    const { client, welcome: again } = await resume(apiKey, epoch, seen.seq);
    expect(again).toMatchObject({ resumed: true });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    const missed = await take(client, 3);
    expectExactlyOnce([seen, ...missed], [0, 1, 2, 3]);
    for (let k = 0; k < 3; k++) expect((await shardHub(org.orgId, k).stats()).relays).toBe(1);
  });

  it('sends gap when a shard’s ring no longer holds what its relay missed, then continues live', async () => {
    const org = await seedOrg(['read']);
    const { apiKey, epoch, seen } = await viewOnceAndLeave(org.orgId, 1);
    const shard = shardHub(org.orgId, 2);
    await shard.tune({ ringMaxFrames: 2 });
    await publishRound(org.orgId, [2, 5, 8, 11]);

    const { client, welcome: again } = await resume(apiKey, epoch, seen.seq);
    expect(again).toMatchObject({ resumed: false, epoch });
    expect(await client.ask({ type: 'subscribe', id: 'all', subject: `org.${org.orgId}.**` })).toMatchObject({
      type: 'subscribed',
    });
    expect(await client.next()).toMatchObject({ type: 'gap', id: 'all', reason: 'out_of_window' });
    await publishRound(org.orgId, [14]);
    expect(await client.next()).toMatchObject({ type: 'data', samples: [{ value: 14 }] });
    expect(await client.idle()).toEqual([]);
  });

  it('sends gap to a connected viewer when its relay finds a hole in a shard', async () => {
    const org = await seedOrg(['read']);
    const { apiKey } = await keyOnRelay(org.orgId, 0);
    const viewer = await connect(apiKey);
    await subscribed(viewer, 'all', `org.${org.orgId}.**`);
    const shard = shardHub(org.orgId, 0);
    await shard.tune({ ringMaxFrames: 1 });
    await shard.detachRelay(relayName(org.orgId, 0));
    await publishRound(org.orgId, [0, 3, 6]);
    expect(await runDurableObjectAlarm(relayHub(org.orgId, 0))).toBe(true);
    expect(await viewer.next()).toMatchObject({ type: 'gap', id: 'all', reason: 'out_of_window' });
    await publishRound(org.orgId, [9]);
    expect(await viewer.next()).toMatchObject({ type: 'data', samples: [{ value: 9 }] });
  });
});

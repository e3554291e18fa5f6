import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';
import { publish, sample, subscribed, take } from './stream-test-helpers.ts';

describe('stream resume', () => {
  it('gives a reconnecting client exactly the frames it missed, then live, with no gap and no duplicate', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const first = await connect(org.apiKey, {}, { credits: 0 });
    const welcome = await first.ask({ type: 'hello', v: 1, credits: 3 });
    const load = `org.${org.orgId}.*.*.*.*.metric.load1`;
    await subscribed(first, 'load', load);
    for (let i = 1; i <= 5; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    // Mid-stream: three frames delivered, two waiting for credits when the client drops.
    const seen = await take(first, 3);
    first.ws.close(1000);
    expect(await first.closed).toMatchObject({ code: 1000 });
    await publish(hub, [sample(org.orgId, 'dev_a', 'mem_used_bytes', 99)]);
    for (let i = 6; i <= 7; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);

    const last = seen.at(-1)!.seq as number;
    const second = await connect(org.apiKey);
    expect(await second.ask({ type: 'hello', v: 1, resume: { epoch: welcome.epoch, seq: last } })).toMatchObject({
      type: 'welcome',
      resumed: true,
    });
    await subscribed(second, 'load', load);
    const missed = await take(second, 4);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 8)]);
    const live = await second.next();
    const values = [...seen, ...missed, live].map(
      (f) => (f as unknown as { samples: { value: number }[] }).samples[0]!.value,
    );
    expect(values).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const seqs = [...seen, ...missed, live].map((f) => f.seq as number);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(await second.idle()).toEqual([]);
  });

  it('does not repeat through a second subscription what the first already replayed', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const first = await connect(org.apiKey);
    const welcome = await first.ask({ type: 'hello', v: 1 });
    first.ws.close(1000);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 1), sample(org.orgId, 'dev_b', 'load1', 2)]);
    const second = await connect(org.apiKey);
    await second.ask({ type: 'hello', v: 1, resume: { epoch: welcome.epoch, seq: welcome.seq } });
    await subscribed(second, 'a', `org.${org.orgId}.*.*.device.dev_a.**`);
    expect(await second.next()).toMatchObject({ seq: 1, samples: [{ value: 1 }] });
    await subscribed(second, 'all', `org.${org.orgId}.**`);
    expect(await second.next()).toMatchObject({ seq: 1, samples: [{ value: 2 }] });
    expect(await second.idle()).toEqual([]);
  });

  it('sends gap when the resume point has left the replay window, then continues live', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    await hub.tune({ ringMaxFrames: 5 });
    const first = await connect(org.apiKey);
    const welcome = await first.ask({ type: 'hello', v: 1 });
    first.ws.close(1000);
    for (let i = 1; i <= 20; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    expect((await hub.stats()).ringFrames).toBeLessThanOrEqual(5);

    const second = await connect(org.apiKey);
    expect(await second.ask({ type: 'hello', v: 1, resume: { epoch: welcome.epoch, seq: 2 } })).toMatchObject({
      type: 'welcome',
      resumed: false,
      seq: 20,
    });
    await subscribed(second, 'all', `org.${org.orgId}.**`);
    expect(await second.next()).toEqual({
      type: 'gap',
      id: 'all',
      epoch: welcome.epoch,
      fromSeq: 3,
      reason: 'out_of_window',
    });
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 21)]);
    expect(await second.next()).toMatchObject({ type: 'data', seq: 21 });
  });

  it('sends gap with epoch_changed for a resume point of another epoch', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    const welcome = await client.ask({ type: 'hello', v: 1, resume: { epoch: 'not-this-hub', seq: 4 } });
    expect(welcome).toMatchObject({ type: 'welcome', resumed: false });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    expect(await client.next()).toMatchObject({
      type: 'gap',
      id: 'all',
      epoch: welcome.epoch,
      reason: 'epoch_changed',
    });
  });

  it('bounds the ring by bytes as well as frames', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    await hub.tune({ ringMaxBytes: 5_000 });
    const batch = (i: number) => Array.from({ length: 10 }, (_, k) => sample(org.orgId, 'dev_a', `m${k}`, i));
    for (let i = 1; i <= 20; i++) await publish(hub, batch(i));
    const { ringFrames, epoch } = await hub.stats();
    expect(ringFrames).toBeGreaterThan(0);
    expect(ringFrames).toBeLessThan(10);
    const client = await connect(org.apiKey);
    expect(await client.ask({ type: 'hello', v: 1, resume: { epoch, seq: 1 } })).toMatchObject({ resumed: false });
    expect(await client.ask({ type: 'hello', v: 1, resume: { epoch, seq: 19 } })).toMatchObject({ resumed: true });
  });
});

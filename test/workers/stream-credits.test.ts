import { env, evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { STREAM_LIMITS, type StreamSample } from '../../schema/wire/stream.ts';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { seedOrg } from './helpers.ts';
import { connect, type Client, type Frame } from './stream-client.ts';
import { publish, sample, subscribed, take } from './stream-test-helpers.ts';

describe('stream credits', () => {
  it('sends a client that granted 5 at most 5 frames until it grants more', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey, {}, { credits: 0 });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    const hub = channelHubFor(env, org.orgId);
    for (let i = 1; i <= 8; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    expect(await client.idle()).toEqual([]);

    client.send({ type: 'credit', n: 5 });
    const five = await take(client, 5);
    expect(five.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await client.idle()).toEqual([]);

    client.send({ type: 'credit', n: 10 });
    expect((await take(client, 3)).map((f) => f.seq)).toEqual([6, 7, 8]);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 9)]);
    expect(await client.next()).toMatchObject({ type: 'data', seq: 9 });
  });

  it('takes an initial grant in hello, and control frames cost nothing', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey, {}, { credits: 0 });
    expect(await client.ask({ type: 'hello', v: 1, credits: 2 })).toMatchObject({ type: 'welcome', resumed: false });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    expect(await client.ask({ type: 'ping' })).toEqual({ type: 'pong' });
    const hub = channelHubFor(env, org.orgId);
    for (let i = 1; i <= 3; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    expect((await take(client, 2)).map((f) => f.seq)).toEqual([1, 2]);
    expect(await client.idle()).toEqual([]);
  });

  it('keeps credits and frames waiting for them when the hub is evicted', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey, {}, { credits: 0 });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    const hub = channelHubFor(env, org.orgId);
    for (let i = 1; i <= 3; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    await evictDurableObject(hub);
    client.send({ type: 'credit', n: 4 });
    expect((await take(client, 3)).map((f) => f.seq)).toEqual([1, 2, 3]);
    await publish(channelHubFor(env, org.orgId), [sample(org.orgId, 'dev_a', 'load1', 4)]);
    // A restarted hub resumes past its reserved block of seqs: larger, never reused.
    const live = await client.next();
    expect(live).toMatchObject({ type: 'data', samples: [{ value: 4 }] });
    expect(live.seq as number).toBeGreaterThan(3);
  });
});

// 10,000 messages, one sample each, published 100 to a publish (one frame per publish).
const MESSAGES = 10_000;
const PER_PUBLISH = 100;
const SERIES = 500;

async function drainSamples(client: Client, count: number): Promise<StreamSample[]> {
  const got: StreamSample[] = [];
  while (got.length < count) {
    const f: Frame = await client.next(10_000);
    expect(f.type).toBe('data');
    got.push(...(f as unknown as { samples: StreamSample[] }).samples);
  }
  return got;
}

describe('slow consumer', () => {
  it('delivers every message in order to 10 consumers while a client without credits is conflated, then closed with 4008', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const consumers = await Promise.all(Array.from({ length: 10 }, () => connect(org.apiKey, {}, { credits: 10_000 })));
    const slow = await connect(org.apiKey, {}, { credits: 0 });
    for (const c of [...consumers, slow]) await subscribed(c, 'all', `org.${org.orgId}.**`);

    const received = consumers.map((c) => drainSamples(c, MESSAGES));
    for (let i = 0; i < MESSAGES; i += PER_PUBLISH) {
      const batch = Array.from({ length: PER_PUBLISH }, (_, k) =>
        sample(org.orgId, 'dev_a', 'load1', i + k, `ser_${(i + k) % SERIES}`),
      );
      await publish(hub, batch);
    }
    for (const samples of await Promise.all(received)) {
      expect(samples.length).toBe(MESSAGES);
      expect(samples.every((s, i) => s.value === i)).toBe(true);
    }
    const mid = await hub.stats();
    expect(mid.connections).toBe(11);
    expect(mid.conflatedSamples).toBeGreaterThan(0);
    // Conflated to one sample per series, the slow client's queue stays well below the cap.
    expect(mid.queuedBytes).toBeLessThan(STREAM_LIMITS.softQueueBytes);
    expect(mid.slowConsumerCloses).toBe(0);

    // New series cannot be conflated away: the queue grows past the hard cap.
    for (let i = 0; i < 100; i++) {
      await publish(
        hub,
        Array.from({ length: PER_PUBLISH }, (_, k) =>
          sample(org.orgId, 'dev_b', 'load1', k, `ser_new_${i}_${k}_${'x'.repeat(40)}`),
        ),
      );
    }
    expect(await slow.closed).toMatchObject({ code: 4008 });
    const end = await hub.stats();
    expect(end.slowConsumerCloses).toBe(1);
    expect(end.maxQueuedBytes).toBeGreaterThan(STREAM_LIMITS.softQueueBytes);
    expect(end.maxQueuedBytes).toBeLessThanOrEqual(STREAM_LIMITS.hardQueueBytes);
  }, 60_000);

  it('sends a client that falls behind one conflated frame with the latest value per series', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const client = await connect(org.apiKey, {}, { credits: 0 });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    // About 300 KiB of frames: past the soft cap.
    for (let i = 0; i < 20; i++) {
      await publish(
        hub,
        Array.from({ length: 100 }, (_, k) => sample(org.orgId, 'dev_a', 'load1', i, `ser_${k}`)),
      );
    }
    client.send({ type: 'credit', n: 10 });
    const f = await client.next();
    expect(f).toMatchObject({ type: 'data', seq: 20, conflated: true });
    const samples = (f as unknown as { samples: StreamSample[] }).samples;
    expect(samples).toHaveLength(100);
    expect(samples.every((s) => s.value === 19)).toBe(true);
    expect(await client.idle()).toEqual([]);
  });

  it('sends queued events, never conflated, before conflated samples', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const client = await connect(org.apiKey, {}, { credits: 0 });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    const event = (n: number) => ({
      id: `evt_${n}`,
      type: 'custom.test',
      subject: `org.${org.orgId}.event.custom_test`,
      ts: Date.now(),
      correlationId: null,
      data: { n },
    });
    await hub.publishEvent(event(1));
    for (let i = 0; i < 20; i++) {
      await publish(
        hub,
        Array.from({ length: 100 }, (_, k) => sample(org.orgId, 'dev_a', 'load1', i, `ser_${k}`)),
      );
    }
    await hub.publishEvent(event(2));
    client.send({ type: 'credit', n: 10 });
    const [first, second, third] = await take(client, 3);
    expect(first).toMatchObject({ type: 'event', event: { id: 'evt_1' } });
    expect(second).toMatchObject({ type: 'event', event: { id: 'evt_2' } });
    expect(third).toMatchObject({ type: 'data', conflated: true, seq: 21 });
    expect(await client.idle()).toEqual([]);
  });
});

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { StreamSample } from '../../schema/wire/stream.ts';
import { recordEvent } from '../../workers/src/services/events/record.ts';
import { deviceEventSubject, orgEventSubject } from '../../workers/src/services/streams/subjects.ts';
import { seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';
import { deviceOnShard, keyOnRelay, publishFrom, relayHub, valuesOf } from './stream-sharded-helpers.ts';
import { sample, subscribed, take } from './stream-test-helpers.ts';

// A viewer without credits beside a witness on the same relay: once the witness has every frame,
// the relay has numbered them all, so what the viewer is sent is the credits' doing alone.
async function viewerAndWitness(orgId: string) {
  const { apiKey } = await keyOnRelay(orgId, 1);
  const viewer = await connect(apiKey, {}, { credits: 0 });
  const witness = await connect(apiKey);
  for (const c of [viewer, witness]) await subscribed(c, 'all', `org.${orgId}.**`);
  return { viewer, witness };
}

describe('sharded live stream: credits, conflation and events', () => {
  it('sends frames of every shard only against credits, in the relay’s seq order', async () => {
    const org = await seedOrg(['read']);
    const { viewer, witness } = await viewerAndWitness(org.orgId);
    for (let i = 0; i < 6; i++) {
      const dev = deviceOnShard(i % 3);
      await publishFrom(org.orgId, dev, [sample(org.orgId, dev, 'load1', i)]);
    }
    const all = await take(witness, 6);
    viewer.send({ type: 'credit', n: 4 });
    const four = await take(viewer, 4);
    expect(await viewer.idle()).toEqual([]);
    viewer.send({ type: 'credit', n: 10 });
    const rest = await take(viewer, 2);
    expect([...four, ...rest].map((f) => f.seq)).toEqual(all.map((f) => f.seq));
    expect(valuesOf([...four, ...rest]).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await viewer.idle()).toEqual([]);
  });

  it('conflates a slow viewer to the latest value per series of every shard, events first', async () => {
    const org = await seedOrg(['read']);
    const { viewer, witness } = await viewerAndWitness(org.orgId);
    const devices = [0, 1, 2].map((k) => deviceOnShard(k));
    const deviceEvent = await recordEvent(env, {
      orgId: org.orgId,
      type: 'device.offline',
      subject: deviceEventSubject(org.orgId, null, devices[1]!, 'device.offline'),
      correlationId: null,
      data: {},
    });
    // About 340 KiB of frames from the three shards: past the soft cap.
    const rounds = 21;
    for (let i = 0; i < rounds; i++) {
      const dev = devices[i % 3]!;
      const batch = Array.from({ length: 100 }, (_, k) => sample(org.orgId, dev, 'load1', i, `ser_${dev}_${k}`));
      await publishFrom(org.orgId, dev, batch);
    }
    const orgEvent = await recordEvent(env, {
      orgId: org.orgId,
      type: 'custom.deploy',
      subject: orgEventSubject(org.orgId, 'custom.deploy'),
      correlationId: null,
      data: {},
    });
    await take(witness, rounds + 2, 10_000);
    expect((await relayHub(org.orgId, 1).stats()).conflatedSamples).toBeGreaterThan(0);

    viewer.send({ type: 'credit', n: 10 });
    const [e1, e2, conflated] = await take(viewer, 3);
    expect([e1, e2].map((f) => (f as { event: { id: string } }).event.id).sort()).toEqual(
      [deviceEvent.id, orgEvent.id].sort(),
    );
    expect(conflated).toMatchObject({ type: 'data', conflated: true });
    const samples = (conflated as unknown as { samples: StreamSample[] }).samples;
    expect(samples).toHaveLength(300);
    // The last round of each device: 18, 19 and 20.
    for (const [k, dev] of devices.entries()) {
      const latest = samples.filter((s) => s.deviceId === dev);
      expect(latest).toHaveLength(100);
      expect(latest.every((s) => s.value === rounds - 3 + k)).toBe(true);
    }
    expect(await viewer.idle()).toEqual([]);
  });
});

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { IMMEDIATE_FRAMES_PER_INTERVAL } from '../../workers/src/objects/channel-hub/batcher.ts';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { recordEvent } from '../../workers/src/services/events/record.ts';
import { orgEventSubject } from '../../workers/src/services/streams/subjects.ts';
import { seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';
import { publish, sample, subscribed, take } from './stream-test-helpers.ts';

describe('stream frame batching', () => {
  // An idle hub sends a publish at once (stream-idle-flush.test.ts); under load, publishes wait for the interval.
  it('under load, coalesces publishes within the flush interval into one data frame under one seq', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    await hub.tune({ flushMs: 100 });
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    // The first IMMEDIATE_FRAMES_PER_INTERVAL go out at once; the hub is then under load.
    for (let i = 1; i <= IMMEDIATE_FRAMES_PER_INTERVAL; i++)
      await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    await take(client, IMMEDIATE_FRAMES_PER_INTERVAL);
    for (let i = 1; i <= 3; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 10 + i)]);
    const [frame] = await take(client, 1);
    expect(frame).toMatchObject({ type: 'data', seq: IMMEDIATE_FRAMES_PER_INTERVAL + 1 });
    expect((frame as unknown as { samples: { value: number }[] }).samples.map((s) => s.value)).toEqual([11, 12, 13]);
    expect(await client.idle()).toEqual([]);
  });

  it('sends pending samples before an event, keeping publish order', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    await hub.tune({ flushMs: 5_000 });
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 7)]);
    await recordEvent(env, {
      orgId: org.orgId,
      type: 'custom.deploy',
      subject: orgEventSubject(org.orgId, 'custom.deploy'),
      correlationId: null,
      data: {},
    });
    const frames = await take(client, 2);
    expect(frames.map((f) => [f.type, f.seq])).toEqual([
      ['data', 1],
      ['event', 2],
    ]);
  });
});

import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { recordEvent } from '../../workers/src/services/events/record.ts';
import { orgEventSubject } from '../../workers/src/services/streams/subjects.ts';
import { seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';
import { sample, subscribed, take } from './stream-test-helpers.ts';

describe('stream frame batching', () => {
  it('coalesces publishes within the flush interval into one data frame under one seq', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    await hub.tune({ flushMs: 100 });
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    for (let i = 1; i <= 3; i++) await hub.publish([sample(org.orgId, 'dev_a', 'load1', i)]);
    const [frame] = await take(client, 1);
    expect(frame).toMatchObject({ type: 'data', seq: 1 });
    expect((frame as unknown as { samples: { value: number }[] }).samples.map((s) => s.value)).toEqual([1, 2, 3]);
    expect(await client.idle()).toEqual([]);
  });

  it('sends pending samples before an event, keeping publish order', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    await hub.tune({ flushMs: 5_000 });
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await hub.publish([sample(org.orgId, 'dev_a', 'load1', 7)]);
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

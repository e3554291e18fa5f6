import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';
import { sample, subscribed, take } from './stream-test-helpers.ts';

// An interval no test waits out: a frame that arrives was not held for it.
const HOUR_MS = 3_600_000;

describe('stream idle flush', () => {
  it('sends a lone publish to an idle hub at once, without waiting for the flush interval', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await hub.tune({ flushMs: HOUR_MS });
    await hub.publish([sample(org.orgId, 'dev_a', 'load1', 1)]);
    expect(await take(client, 1)).toMatchObject([{ type: 'data', seq: 1, samples: [{ value: 1 }] }]);
  });

  it('coalesces publishes past the idle allowance into one frame, sent before an event', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await hub.tune({ flushMs: HOUR_MS });
    // Four go at once (IMMEDIATE_FRAMES_PER_INTERVAL); the rest wait for the interval.
    for (let i = 1; i <= 7; i++) await hub.publish([sample(org.orgId, 'dev_a', 'load1', i)]);
    const immediate = await take(client, 4);
    expect(immediate.map((f) => (f as unknown as { samples: { value: number }[] }).samples[0]!.value)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(await client.idle()).toEqual([]);
    // stats() flushes what is pending, like an event does.
    await hub.stats();
    const [held] = await take(client, 1);
    expect(held).toMatchObject({ type: 'data', seq: 5 });
    expect((held as unknown as { samples: { value: number }[] }).samples.map((s) => s.value)).toEqual([5, 6, 7]);
  });
});

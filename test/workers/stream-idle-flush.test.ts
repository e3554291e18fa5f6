import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { IMMEDIATE_FRAMES_PER_INTERVAL } from '../../workers/src/objects/channel-hub/batcher.ts';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { HOUR_MS } from '../../workers/src/time.ts';
import { seedOrg } from './helpers.ts';
import { connect } from './stream-client.ts';
import { publish, sample, subscribed, take } from './stream-test-helpers.ts';

// An interval no test waits out (HOUR_MS): a frame that arrives was not held for it.

describe('stream idle flush', () => {
  it('sends a lone publish to an idle hub at once, without waiting for the flush interval', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await hub.tune({ flushMs: HOUR_MS });
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 1)]);
    expect(await take(client, 1)).toMatchObject([{ type: 'data', seq: 1, samples: [{ value: 1 }] }]);
  });

  it('coalesces publishes past the idle allowance into one frame, sent before an event', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await hub.tune({ flushMs: HOUR_MS });
    // IMMEDIATE_FRAMES_PER_INTERVAL go at once; the rest wait for the interval.
    const n = IMMEDIATE_FRAMES_PER_INTERVAL;
    for (let i = 1; i <= n + 3; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    const immediate = await take(client, n);
    const firstValues = immediate.map((f) => (f as unknown as { samples: { value: number }[] }).samples[0]!.value);
    expect(firstValues).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(await client.idle()).toEqual([]);
    // stats() flushes what is pending, like an event does.
    await hub.stats();
    const [held] = await take(client, 1);
    expect(held).toMatchObject({ type: 'data', seq: n + 1 });
    expect((held as unknown as { samples: { value: number }[] }).samples.map((s) => s.value)).toEqual([
      n + 1,
      n + 2,
      n + 3,
    ]);
  });
});

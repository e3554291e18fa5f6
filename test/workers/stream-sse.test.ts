import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { seedOrg } from './helpers.ts';
import { closeSseReaders, openSse, publish, sample } from './stream-test-helpers.ts';

afterEach(closeSseReaders);

describe('GET /v1/stream/sse', () => {
  it('streams matching frames as SSE events with epoch:seq ids and resumes from Last-Event-ID', async () => {
    const org = await seedOrg(['read']);
    const hub = channelHubFor(env, org.orgId);
    const stream = await openSse(org.apiKey, `org.${org.orgId}.*.*.*.*.metric.load1`);
    const { epoch } = await hub.stats();
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 1), sample(org.orgId, 'dev_a', 'mem', 0)]);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 2)]);
    const first = await stream.nextEvent();
    expect(first).toMatchObject({ id: `${epoch}:1`, event: 'data' });
    expect(JSON.parse(first.data!)).toMatchObject({ type: 'data', seq: 1, samples: [{ value: 1 }] });
    expect(await stream.nextEvent()).toMatchObject({ id: `${epoch}:2` });
    await stream.close();

    for (let i = 3; i <= 5; i++) await publish(hub, [sample(org.orgId, 'dev_a', 'load1', i)]);
    const resumed = await openSse(org.apiKey, `org.${org.orgId}.*.*.*.*.metric.load1`, {
      'Last-Event-ID': `${epoch}:2`,
    });
    const values = [];
    for (let i = 0; i < 3; i++) values.push(JSON.parse((await resumed.nextEvent()).data!).samples[0].value);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 6)]);
    const live = await resumed.nextEvent();
    values.push(JSON.parse(live.data!).samples[0].value);
    expect(values).toEqual([3, 4, 5, 6]);
    expect(live.id).toBe(`${epoch}:6`);
  });

  it('sends event: gap for a Last-Event-ID outside the window', async () => {
    const org = await seedOrg(['read']);
    const stream = await openSse(org.apiKey, `org.${org.orgId}.**`, { 'Last-Event-ID': 'other-epoch:12' });
    const gap = await stream.nextEvent();
    expect(gap.event).toBe('gap');
    expect(JSON.parse(gap.data!)).toMatchObject({ type: 'gap', id: 'sse', fromSeq: 13, reason: 'epoch_changed' });
  });

  it('sends heartbeat comments', async () => {
    const org = await seedOrg(['read']);
    await channelHubFor(env, org.orgId).tune({ sseHeartbeatMs: 50 });
    const stream = await openSse(org.apiKey, `org.${org.orgId}.**`);
    let e = await stream.next();
    while (e.comment !== 'ping') e = await stream.next();
    expect(e).toEqual({ comment: 'ping' });
  });

  it('refuses a pattern outside the org and a caller without credentials', async () => {
    const org = await seedOrg(['read']);
    const res = await SELF.fetch('http://x/v1/stream/sse?subject=org.*.**', {
      headers: { Authorization: `Bearer ${org.apiKey}` },
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden_subject' } });
    expect((await SELF.fetch(`http://x/v1/stream/sse?subject=org.${org.orgId}.**`)).status).toBe(401);
  });
});

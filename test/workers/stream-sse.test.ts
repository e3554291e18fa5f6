import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { seedOrg } from './helpers.ts';
import { publish, sample } from './stream-test-helpers.ts';

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.cancel().catch(() => undefined);
});

/** Opens the SSE stream and reads it one SSE block (event or comment) at a time. */
async function openSse(apiKey: string, subject: string, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`http://x/v1/stream/sse?subject=${encodeURIComponent(subject)}`, {
    headers: { Authorization: `Bearer ${apiKey}`, ...headers },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body!.getReader();
  readers.push(reader);
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async (): Promise<SseEvent> => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const e: SseEvent = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) e.comment = line.slice(1).trim();
          const m = /^(id|event|data): (.*)$/.exec(line);
          if (m) e[m[1] as 'id' | 'event' | 'data'] = m[2];
        }
        return e;
      }
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no SSE data within 3 s')), 3000)),
      ]);
      if (chunk.done) throw new Error('stream ended');
      buffer += decoder.decode(chunk.value, { stream: true });
    }
  };
  /** The next event that is not a comment or the opening `retry`. */
  const nextEvent = async () => {
    for (;;) {
      const e = await next();
      if (e.event) return e;
    }
  };
  return { next, nextEvent, close: () => reader.cancel() };
}

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

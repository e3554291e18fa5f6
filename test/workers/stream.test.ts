import { env, evictDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { StreamSample } from '../../schema/wire/stream.ts';
import { channelHubFor } from '../../workers/src/objects/channel-hub/index.ts';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { sampleSubject } from '../../workers/src/services/streams/subjects.ts';
import { batch, enroll, ingest, seedOrg, seedUser } from './helpers.ts';
import { connect, upgrade, type Client } from './stream-client.ts';
import { publish } from './stream-test-helpers.ts';

function sample(
  orgId: string,
  deviceId: string,
  metric: string,
  value = 1,
  siteId: string | null = null,
): StreamSample {
  return {
    subject: sampleSubject(orgId, siteId, deviceId, metric),
    seriesId: `ser_${deviceId}_${metric}`,
    deviceId,
    metric,
    labels: {},
    ts: Date.now(),
    value,
  };
}

async function subscribed(client: Client, id: string, subject: string) {
  expect(await client.ask({ type: 'subscribe', id, subject })).toEqual({ type: 'subscribed', id, subject });
}

describe('GET /v1/stream', () => {
  it('refuses an upgrade without credentials with 401 and a JSON error', async () => {
    const res = await upgrade({});
    expect(res.status).toBe(401);
    expect(res.webSocket).toBeNull();
    expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });

  it('refuses a key without the read scope with 403', async () => {
    const org = await seedOrg(['write']);
    const res = await upgrade({ Authorization: `Bearer ${org.apiKey}` });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
  });

  it('answers a request without Upgrade: websocket with 426 and a JSON error', async () => {
    const org = await seedOrg(['read']);
    const res = await SELF.fetch('http://x/v1/stream', { headers: { Authorization: `Bearer ${org.apiKey}` } });
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: { code: 'upgrade_required' } });
  });

  it('binds the connection to the key’s org whatever org header the client sends', async () => {
    const mine = await seedOrg(['read']);
    const other = await seedOrg(['read']);
    const client = await connect(mine.apiKey, { 'X-Edgewatch-Stream-Org': other.orgId });
    const reply = await client.ask({ type: 'subscribe', id: 'a', subject: `org.${other.orgId}.**` });
    expect(reply).toMatchObject({ type: 'error', code: 'forbidden_subject', ref: 'a' });
    await subscribed(client, 'b', `org.${mine.orgId}.**`);
  });

  it('refuses a session cookie from another origin but accepts it from this one', async () => {
    const org = await seedOrg(['read']);
    const userId = await seedUser(org.orgId, `viewer-${crypto.randomUUID()}@example.com`, 'unused');
    const token = `session-${crypto.randomUUID()}`;
    const now = Date.now();
    await env.DB.prepare(
      'INSERT INTO sessions (id, org_id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
      .bind(newId('ses'), org.orgId, userId, await sha256Hex(token), now, now + 3600_000)
      .run();
    const cookie = `ew_session=${token}`;
    const foreign = await upgrade({ Cookie: cookie, Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('cross_origin_request');
    // Same host, other scheme: another origin (a page served over plain HTTP on a TLS host).
    const otherScheme = await upgrade({ Cookie: cookie, Origin: 'https://x' });
    expect(otherScheme.status).toBe(403);
    const same = await upgrade({ Cookie: cookie, Origin: 'http://x' });
    expect(same.status).toBe(101);
    same.webSocket!.accept();
    same.webSocket!.close(1000);
  });
});

describe('stream protocol v1', () => {
  it('answers hello with welcome carrying the epoch, the last seq and the limits', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    const welcome = await client.ask({ type: 'hello', v: 1 });
    expect(welcome).toMatchObject({ type: 'welcome', v: 1, seq: 0, limits: { maxSubscriptions: 100 } });
    expect(welcome.epoch).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('delivers the samples of one publish that match a wildcard as one data frame', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    await subscribed(client, 'cpu', `org.${org.orgId}.site.*.device.*.metric.cpu_usage_percent`);
    const a = sample(org.orgId, 'dev_a', 'cpu_usage_percent', 10);
    const b = sample(org.orgId, 'dev_b', 'cpu_usage_percent', 20, 'site_1');
    const mem = sample(org.orgId, 'dev_a', 'mem_used_bytes', 30);
    await publish(channelHubFor(env, org.orgId), [a, mem, b]);
    const data = await client.next();
    expect(data).toMatchObject({ type: 'data', seq: 1, samples: [a, b] });
    expect(data.epoch).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not deliver samples whose subjects match no subscription', async () => {
    const org = await seedOrg(['read']);
    const other = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    await subscribed(client, 'dev', `org.${org.orgId}.*.*.device.dev_a.**`);
    const hub = channelHubFor(env, org.orgId);
    await publish(hub, [sample(org.orgId, 'dev_b', 'load1')]);
    await publish(hub, [sample(other.orgId, 'dev_a', 'load1')]);
    const wanted = sample(org.orgId, 'dev_a', 'load1');
    await publish(hub, [wanted]);
    // Frames arrive in publish order, so the first one proves the earlier two were skipped.
    expect(await client.next()).toMatchObject({ type: 'data', seq: 3, samples: [wanted] });
  });

  it('delivers a sample once when several subscriptions match it, with seq rising under one epoch', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await subscribed(client, 'load', `org.${org.orgId}.site._.device.*.metric.load1`);
    const hub = channelHubFor(env, org.orgId);
    const first = sample(org.orgId, 'dev_a', 'load1', 1);
    const second = sample(org.orgId, 'dev_a', 'load1', 2);
    await publish(hub, [first]);
    await publish(hub, [second]);
    const f1 = await client.next();
    const f2 = await client.next();
    expect(f1.samples).toEqual([first]);
    expect(f2.samples).toEqual([second]);
    expect(f2.seq).toBe((f1.seq as number) + 1);
    expect(f2.epoch).toBe(f1.epoch);
  });

  it('fans one publish out to every subscribed connection', async () => {
    const org = await seedOrg(['read']);
    const clients = await Promise.all([1, 2, 3].map(() => connect(org.apiKey)));
    for (const c of clients) await subscribed(c, 's', `org.${org.orgId}.**`);
    const s = sample(org.orgId, 'dev_a', 'load1');
    await publish(channelHubFor(env, org.orgId), [s]);
    for (const c of clients) expect(await c.next()).toMatchObject({ type: 'data', seq: 1, samples: [s] });
  });

  it('stops delivering a subscription after unsubscribe', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    await subscribed(client, 'load', `org.${org.orgId}.*.*.*.*.metric.load1`);
    await subscribed(client, 'mem', `org.${org.orgId}.*.*.*.*.metric.mem_used_bytes`);
    expect(await client.ask({ type: 'unsubscribe', id: 'load' })).toEqual({ type: 'unsubscribed', id: 'load' });
    const mem = sample(org.orgId, 'dev_a', 'mem_used_bytes');
    await publish(channelHubFor(env, org.orgId), [sample(org.orgId, 'dev_a', 'load1'), mem]);
    expect(await client.next()).toMatchObject({ type: 'data', samples: [mem] });
    expect(await client.ask({ type: 'unsubscribe', id: 'load' })).toMatchObject({
      type: 'error',
      code: 'unknown_subscription',
      ref: 'load',
    });
  });

  it('refuses a pattern of another org with forbidden_subject', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    for (const subject of ['org.org_someoneelse.**', 'org.*.**', '**']) {
      expect(await client.ask({ type: 'subscribe', id: 7, subject })).toMatchObject({
        type: 'error',
        code: 'forbidden_subject',
        ref: 7,
      });
    }
  });

  it('refuses ** before the last level, empty levels and partial wildcards with invalid_subject', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    for (const [subject, message] of [
      [`org.${org.orgId}.**.metric.load1`, /last level/],
      [`org.${org.orgId}..device`, /empty level/],
      [`org.${org.orgId}.site.s*`, /whole level/],
    ] as const) {
      const reply = await client.ask({ type: 'subscribe', id: 'x', subject });
      expect(reply).toMatchObject({ type: 'error', code: 'invalid_subject', ref: 'x' });
      expect(reply.message).toMatch(message);
    }
  });

  it('answers malformed frames with typed errors and keeps existing subscriptions', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    const cases: [unknown, string][] = [
      ['{"type":"subscribe",', 'invalid_json'],
      ['[1,2]', 'invalid_json'],
      [{ type: 'publish', subject: 'x' }, 'unknown_type'],
      [{ noType: true }, 'unknown_type'],
      [{ type: 'subscribe', id: 'y' }, 'invalid_message'],
      [{ type: 'subscribe', id: '', subject: `org.${org.orgId}.**` }, 'invalid_message'],
      [{ type: 'subscribe', id: 'z', subject: `org.${org.orgId}.**`, mode: 'sometimes' }, 'invalid_message'],
      [{ type: 'subscribe', id: 'big', subject: 'x'.repeat(20_000) }, 'frame_too_large'],
      [new TextEncoder().encode('{"type":"ping"}').buffer, 'invalid_frame'],
    ];
    for (const [message, code] of cases) {
      const reply = await client.ask(message);
      expect(reply, JSON.stringify(message).slice(0, 80)).toMatchObject({ type: 'error', code });
      expect(reply.message).toBeTypeOf('string');
    }
    const s = sample(org.orgId, 'dev_a', 'load1');
    await publish(channelHubFor(env, org.orgId), [s]);
    expect(await client.next()).toMatchObject({ type: 'data', samples: [s] });
  });

  it('answers bad credit, hello and subscribe fields with invalid_message and keeps credits and subscriptions', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey, {}, { credits: 0 });
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    client.send({ type: 'credit', n: 1 });
    for (const message of [
      { type: 'credit', n: 0 },
      { type: 'credit', n: 10_001 },
      { type: 'credit', n: 1e300 },
      { type: 'credit', n: 1.5 },
      { type: 'credit', n: '5' },
      { type: 'credit' },
      { type: 'hello', v: 1, credits: 0 },
      { type: 'hello', v: 1, resume: { epoch: 'e', seq: -1 } },
      { type: 'subscribe', id: 'r', subject: `org.${org.orgId}.**`, mode: 'replay-then-live', from: { ts: 'x' } },
    ]) {
      expect(await client.ask(message), JSON.stringify(message)).toMatchObject({
        type: 'error',
        code: 'invalid_message',
      });
    }
    const hub = channelHubFor(env, org.orgId);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 1)]);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 2)]);
    // Exactly the one credit granted before the bad messages.
    expect(await client.next()).toMatchObject({ type: 'data', samples: [{ value: 1 }] });
    expect(await client.idle()).toEqual([]);
  });

  it('refuses a duplicate id and more than 100 subscriptions per connection', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    for (let i = 0; i < 100; i++) await subscribed(client, `s${i}`, `org.${org.orgId}.site.s${i}.**`);
    expect(await client.ask({ type: 'subscribe', id: 's1', subject: `org.${org.orgId}.**` })).toMatchObject({
      type: 'error',
      code: 'duplicate_id',
      ref: 's1',
    });
    expect(await client.ask({ type: 'subscribe', id: 's100', subject: `org.${org.orgId}.**` })).toMatchObject({
      type: 'error',
      code: 'limit_exceeded',
      ref: 's100',
    });
  });

  it('refuses subscriptions past the per-connection character budget and keeps the earlier ones', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    const long = (i: number) => `org.${org.orgId}.site.${'s'.repeat(450)}${i}.**`;
    let i = 0;
    for (; i < 100; i++) {
      const reply = await client.ask({ type: 'subscribe', id: `l${i}`, subject: long(i) });
      if (reply.type === 'error') {
        expect(reply).toMatchObject({ code: 'limit_exceeded', ref: `l${i}` });
        expect(reply.message).toMatch(/characters/);
        break;
      }
    }
    expect(i).toBeGreaterThan(20);
    expect(i).toBeLessThan(100);
    const s = {
      ...sample(org.orgId, 'dev_a', 'load1'),
      subject: `org.${org.orgId}.site.${'s'.repeat(450)}0.device.d.metric.m`,
    };
    await publish(channelHubFor(env, org.orgId), [s]);
    expect(await client.next()).toMatchObject({ type: 'data', samples: [s] });
  });

  it('answers ping with pong, canonical or not', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    expect(await client.ask('{"type":"ping"}')).toEqual({ type: 'pong' });
    expect(await client.ask('{ "type": "ping" }')).toEqual({ type: 'pong' });
  });

  it('closes with 4400 after a hello of an unknown version', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    expect(await client.ask({ type: 'hello', v: 2 })).toMatchObject({ type: 'error', code: 'unsupported_version' });
    expect(await client.closed).toMatchObject({ code: 4400 });
  });

  it('closes with 4400 after repeated protocol errors', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    for (let i = 0; i < 11; i++) client.send('not json');
    expect(await client.closed).toMatchObject({ code: 4400, reason: 'too many protocol errors' });
  });

  it('keeps subscriptions when the hub is evicted while its sockets hibernate', async () => {
    const org = await seedOrg(['read']);
    const client = await connect(org.apiKey);
    const before = await client.ask({ type: 'hello', v: 1 });
    await subscribed(client, 'load', `org.${org.orgId}.*.*.*.*.metric.load1`);
    const hub = channelHubFor(env, org.orgId);
    await publish(hub, [sample(org.orgId, 'dev_a', 'load1', 1)]);
    const first = await client.next();

    await evictDurableObject(hub);

    const s = sample(org.orgId, 'dev_a', 'load1', 2);
    await publish(channelHubFor(env, org.orgId), [sample(org.orgId, 'dev_a', 'mem_used_bytes'), s]);
    const second = await client.next();
    expect(second).toMatchObject({ type: 'data', epoch: before.epoch, samples: [s] });
    expect(second.seq as number).toBeGreaterThan(first.seq as number);
    expect(await client.ask({ type: 'unsubscribe', id: 'load' })).toEqual({ type: 'unsubscribed', id: 'load' });
  });

  it('delivers samples ingested through POST /v1/ingest', async () => {
    const org = await seedOrg();
    const device = await enroll(org);
    const client = await connect(org.apiKey);
    // Metrics only: the device's first batch also records a `device.online` event.
    await subscribed(client, 'dev', `org.${org.orgId}.*.*.device.${device.deviceId}.metric.**`);
    const ts = Date.now();
    const res = await ingest(device.deviceToken, batch('stream-1', [{ metric: 'load1', ts, value: 0.25 }]));
    expect(res.status).toBe(200);
    const data = await client.next();
    expect(data).toMatchObject({
      type: 'data',
      samples: [
        {
          subject: sampleSubject(org.orgId, null, device.deviceId, 'load1'),
          deviceId: device.deviceId,
          ts,
          value: 0.25,
        },
      ],
    });
  });
});

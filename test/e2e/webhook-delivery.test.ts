import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { until } from './wait.ts';

/**
 * Webhook delivery end to end: the real local platform (wrangler dev: the Worker, D1, the queue
 * and its dead-letter queue) posting to real HTTP servers on loopback. Every request received is
 * verified with the reference implementation, `standardwebhooks`. The retry schedule is 1 s
 * steps, and ALLOW_PRIVATE_WEBHOOKS exempts only the receiver's own host:port, so the SSRF guard
 * stays on for every other loopback target, including the one the receiver redirects to.
 */

interface Got {
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface Listening {
  port: number;
  requests: Got[];
  server: Server;
}

async function listen(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<Listening> {
  const requests: Got[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      requests.push({ path: req.url ?? '', headers, body });
      handle(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, requests, server };
}

const failures = new Map<string, number>();

/** The receiver: `/ok`, `/status/<code>`, `/flaky/<n>/<key>` (500 n times, then 200), `/redirect?to=<url>`. */
function receive(req: IncomingMessage, _body: string, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://receiver');
  const [, behaviour, arg, key] = url.pathname.split('/');
  if (behaviour === 'status') return res.writeHead(Number(arg)).end(`status ${arg}`);
  if (behaviour === 'flaky') {
    const seen = (failures.get(key!) ?? 0) + 1;
    failures.set(key!, seen);
    if (seen <= Number(arg)) return res.writeHead(500).end(`failure ${seen}`);
  }
  if (behaviour === 'redirect') return res.writeHead(302, { location: url.searchParams.get('to')! }).end();
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
}

/** A DNS-over-HTTPS stub (the JSON API): `loopback.test` is 127.0.0.1, every other name is unknown. */
function resolve(req: IncomingMessage, _body: string, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://dns');
  const name = url.searchParams.get('name');
  const type = url.searchParams.get('type');
  const answer = name === 'loopback.test' && type === 'A' ? [{ name, type: 1, TTL: 60, data: '127.0.0.1' }] : [];
  res
    .writeHead(200, { 'content-type': 'application/dns-json' })
    .end(JSON.stringify({ Status: name === 'loopback.test' ? 0 : 3, Answer: answer }));
}

let platform: LocalPlatform;
let receiver: Listening;
let internal: Listening;
let dns: Listening;

beforeAll(async () => {
  receiver = await listen(receive);
  internal = await listen((_req, _body, res) => res.writeHead(200).end('internal'));
  dns = await listen(resolve);
  platform = await startLocalPlatform({
    vars: {
      ALLOW_PRIVATE_WEBHOOKS: `127.0.0.1:${receiver.port}`,
      WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s',
      WEBHOOK_DNS_RESOLVER: `http://127.0.0.1:${dns.port}/dns-query`,
    },
  });
});

afterAll(async () => {
  await platform?.stop();
  for (const s of [receiver, internal, dns]) s?.server.close();
});

function call(method: string, path: string, body?: unknown) {
  return fetch(`${platform.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platform.seed.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function createChannel(path: string): Promise<{ id: string; secret: string }> {
  const res = await call('POST', '/v1/webhooks', { name: path, url: `http://127.0.0.1:${receiver.port}${path}` });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}

async function sendTest(webhookId: string): Promise<string> {
  const res = await call('POST', `/v1/webhooks/${webhookId}/test`);
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

interface Delivery {
  state: string;
  attempts: number;
  attemptLog: { attempt: number; status: number | null; error: string | null }[];
  body: string;
}

/** The delivery once it has `state` and (if given) that many attempts. */
function settled(id: string, state: string, attempts?: number): Promise<Delivery> {
  return until(
    `delivery ${id} ${state}`,
    async () => {
      const d = (await (await call('GET', `/v1/deliveries/${id}`)).json()) as Delivery;
      return d.state === state && (attempts === undefined || d.attempts === attempts) ? d : undefined;
    },
    30_000,
  );
}

/** Requests the receiver got for a delivery, each verified with every secret in `secrets`. */
function verified(deliveryId: string, secrets: string[]): Got[] {
  const got = receiver.requests.filter((r) => r.headers['webhook-id'] === deliveryId);
  for (const r of got) for (const s of secrets) new Webhook(s).verify(r.body, r.headers);
  return got;
}

describe('webhook delivery', () => {
  it('delivers a signed test event that standardwebhooks verifies', async () => {
    const channel = await createChannel('/ok');
    const id = await sendTest(channel.id);
    const delivery = await settled(id, 'delivered', 1);
    const [request] = verified(id, [channel.secret]);
    expect(request!.path).toBe('/ok');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toBe(delivery.body);
    expect(JSON.parse(request!.body)).toMatchObject({ type: 'webhook.test', data: { webhook: { id: channel.id } } });
  });

  it('signs with both secrets during a rotation, and only the new one after it', async () => {
    const channel = await createChannel('/ok');
    const rotate = async (graceSeconds: number) =>
      (await (await call('POST', `/v1/webhooks/${channel.id}/rotate-secret`, { graceSeconds })).json()) as {
        secret: string;
      };
    const second = await rotate(3600);
    const during = await sendTest(channel.id);
    await settled(during, 'delivered');
    const [both] = verified(during, [second.secret, channel.secret]);
    expect(both!.headers['webhook-signature']!.split(' ')).toHaveLength(2);

    const third = await rotate(0);
    const after = await sendTest(channel.id);
    await settled(after, 'delivered');
    const [one] = verified(after, [third.secret]);
    expect(one!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(second.secret).verify(one!.body, one!.headers)).toThrow();
  });

  it('retries a receiver failing three times: one delivery, four attempts, one webhook-id', async () => {
    const channel = await createChannel(`/flaky/3/${crypto.randomUUID()}`);
    const id = await sendTest(channel.id);
    const delivery = await settled(id, 'delivered', 4);
    expect(delivery.attemptLog.map((a) => a.status)).toEqual([500, 500, 500, 200]);
    const got = verified(id, [channel.secret]);
    expect(got).toHaveLength(4);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    const log = (await (await call('GET', `/v1/webhooks/${channel.id}/deliveries`)).json()) as {
      deliveries: { id: string }[];
    };
    expect(log.deliveries.map((d) => d.id)).toEqual([id]);
  });

  it('fails the delivery and disables the channel on 410 Gone', async () => {
    const channel = await createChannel('/status/410');
    const id = await sendTest(channel.id);
    const delivery = await settled(id, 'failed', 1);
    expect(delivery.attemptLog[0]).toMatchObject({ status: 410 });
    verified(id, [channel.secret]);
    const after = (await (await call('GET', `/v1/webhooks/${channel.id}`)).json()) as Record<string, unknown>;
    expect(after.enabled).toBe(false);
    expect(after.disabledReason).toMatch(/410 Gone/);
  });

  it('sends a delivery past its last retry to the dead-letter queue, and redeliver starts over', async () => {
    const channel = await createChannel('/status/503');
    const id = await sendTest(channel.id);
    const dead = await settled(id, 'dead', 4);
    expect(dead.attemptLog.map((a) => a.status)).toEqual([503, 503, 503, 503]);
    // The dead-letter queue's consumer logs it.
    await until('the dead letter in the Worker log', async () => {
      const log = await readFile(join(platform.dir, 'worker.log'), 'utf8');
      return log.split('\n').find((l) => l.includes('webhook delivery dead-lettered') && l.includes(id));
    });

    await call('PATCH', `/v1/webhooks/${channel.id}`, { url: `http://127.0.0.1:${receiver.port}/ok` });
    const res = await call('POST', `/v1/deliveries/${id}/redeliver`);
    expect(res.status).toBe(202);
    const redelivered = await settled(id, 'delivered', 5);
    expect(redelivered.attemptLog.at(-1)).toMatchObject({ attempt: 5, status: 200 });
    const got = verified(id, [channel.secret]);
    expect(got).toHaveLength(5);
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
  });
});

describe('from a threshold crossing to the receiver', () => {
  it('an ingested value past a rule sends a signed alert.firing, and falling back a signed alert.resolved', async () => {
    const channel = await createChannel('/ok/alerts');
    const enrolled = await fetch(`${platform.url}/v1/agents/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: platform.seed.enrollmentToken, name: 'boiler-01' }),
    });
    const device = (await enrolled.json()) as { deviceId: string; deviceToken: string };
    const rule = await call('POST', '/v1/alert-rules', {
      name: 'Boiler too hot',
      scope: { kind: 'device', value: device.deviceId },
      metric: 'boiler_celsius',
      condition: { kind: 'threshold', op: '>', critical: { value: 90, clear: 85 } },
    });
    expect(rule.status, await rule.clone().text()).toBe(201);
    const ingest = async (batchId: string, value: number) => {
      const res = await fetch(`${platform.url}/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${device.deviceToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ batchId, samples: [{ metric: 'boiler_celsius', ts: Date.now(), value }] }),
      });
      expect(res.status).toBe(200);
    };
    const alertOf = (type: string) =>
      until(`${type} at the receiver`, async () =>
        receiver.requests.find((r) => {
          if (r.path !== '/ok/alerts') return false;
          const body = JSON.parse(r.body) as { type: string; data: { incident: { deviceId: string } } };
          return body.type === type && body.data.incident.deviceId === device.deviceId;
        }),
      );

    await ingest('hot', 95);
    const firing = await alertOf('alert.firing');
    const fired = new Webhook(channel.secret).verify(firing.body, firing.headers) as {
      data: { incident: { id: string; state: string; severity: string; value: number; threshold: number } };
    };
    expect(fired.data.incident).toMatchObject({ state: 'firing', severity: 'critical', value: 95, threshold: 90 });

    // 88 is below the level but above its clear: still firing (hysteresis); 80 resolves.
    await ingest('cooling', 88);
    await ingest('cool', 80);
    const resolved = await alertOf('alert.resolved');
    const cleared = new Webhook(channel.secret).verify(resolved.body, resolved.headers) as {
      data: { incident: { id: string; state: string } };
    };
    expect(cleared.data.incident).toMatchObject({ id: fired.data.incident.id, state: 'resolved' });
    expect(resolved.headers['webhook-id']).not.toBe(firing.headers['webhook-id']);
    const firingsOfIncident = receiver.requests.filter(
      (r) => r.path === '/ok/alerts' && r.body.includes(fired.data.incident.id) && r.body.includes('"alert.firing"'),
    );
    expect(firingsOfIncident).toHaveLength(1);
  });
});

describe('the SSRF guard on a real platform', () => {
  it.each([
    'https://127.0.0.1/hook',
    'https://localhost/hook',
    'https://10.0.0.1/hook',
    'https://172.16.0.1/hook',
    'https://192.168.1.1/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/hook',
    'https://[fc00::1]/hook',
    'https://loopback.test/hook',
  ])('refuses %s', async (url) => {
    const res = await call('POST', '/v1/webhooks', { name: 'ssrf', url });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'url_not_allowed', field: 'url' } });
  });

  it('exempts only the listed receiver: another loopback port is refused', async () => {
    const res = await call('POST', '/v1/webhooks', { name: 'ssrf', url: `http://127.0.0.1:${internal.port}/` });
    expect(res.status).toBe(400);
  });

  it('refuses a redirect to loopback and never contacts the target', async () => {
    const target = encodeURIComponent(`http://127.0.0.1:${internal.port}/internal`);
    const channel = await createChannel(`/redirect?to=${target}`);
    const id = await sendTest(channel.id);
    const delivery = await until('the first attempt', async () => {
      const d = (await (await call('GET', `/v1/deliveries/${id}`)).json()) as Delivery;
      return d.attemptLog.length > 0 ? d : undefined;
    });
    expect(delivery.attemptLog[0]!.status).toBeNull();
    expect(delivery.attemptLog[0]!.error).toContain(`redirect to http://127.0.0.1:${internal.port}/internal refused`);
    expect(internal.requests).toEqual([]);
    expect(verified(id, [channel.secret])).toHaveLength(1);
  });
});

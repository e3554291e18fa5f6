import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { runDelivery } from '../../workers/src/services/notify/deliver.ts';
import { guardedPost } from '../../workers/src/services/notify/redirects.ts';
import { nonPublicKind, refusal } from '../../workers/src/services/notify/ssrf.ts';
import { fetchWithVars } from './account-helpers.ts';
import { api, seedOrg, type TestOrg } from './helpers.ts';
import { attemptsOf, capturingEnv, createChannel, json, newKey, received, receiverUrl } from './notify-helpers.ts';
import { DNS_RESOLVER } from './notify-outbound.ts';

/**
 * The SSRF guard: webhook URLs that are, resolve to (through the stub DNS-over-HTTPS resolver of
 * notify-outbound.ts) or redirect to a non-public address are refused, when saved and before
 * every attempt, unless ALLOW_PRIVATE_WEBHOOKS exempts the target.
 */

let org: TestOrg;
beforeAll(async () => {
  org = await seedOrg();
});

const create = (url: string) => api(org.apiKey, '/v1/webhooks', json('POST', { name: 'ssrf', url }));

describe('creating a webhook', () => {
  it.each([
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://127.1.2.3:8443/hook', 'loopback'],
    ['https://2130706433/hook', 'loopback'],
    ['https://localhost/hook', 'local name'],
    ['https://api.localhost/hook', 'local name'],
    ['https://10.0.0.1/hook', 'private'],
    ['https://172.16.0.1/hook', 'private'],
    ['https://192.168.1.1/hook', 'private'],
    ['https://100.64.0.1/hook', 'carrier-grade NAT'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['https://0.0.0.0/hook', 'unspecified'],
    ['https://224.0.0.1/hook', 'multicast'],
    ['https://255.255.255.255/hook', 'broadcast'],
    ['https://[::1]/hook', 'loopback'],
    ['https://[::]/hook', 'unspecified'],
    ['https://[fc00::1]/hook', 'unique-local'],
    ['https://[fd12:3456::1]/hook', 'unique-local'],
    ['https://[fe80::1]/hook', 'link-local'],
    ['https://[::ffff:127.0.0.1]/hook', 'loopback (IPv4 in IPv6)'],
    ['https://[::ffff:10.0.0.1]/hook', 'private (IPv4 in IPv6)'],
    ['https://[64:ff9b::a9fe:a9fe]/hook', 'link-local (IPv4 in IPv6)'],
    ['https://loopback.test/hook', 'resolves to 127.0.0.1'],
    ['https://private.test/hook', 'resolves to 10.0.0.1'],
    ['https://metadata.test/hook', 'resolves to 169.254.169.254'],
    ['https://v6-loopback.test/hook', 'resolves to ::1'],
    ['https://mapped.test/hook', 'resolves to ::ffff:127.0.0.1'],
    ['https://mixed.test/hook', 'resolves to fc00::1'],
  ])('refuses %s (%s) with 400 naming url', async (url, reason) => {
    const res = await create(url);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; field: string; message: string } };
    expect(error).toMatchObject({ code: 'url_not_allowed', field: 'url' });
    expect(error.message).toContain(reason);
  });

  it.each([
    'https://receiver.test/hook',
    'https://public.test/hook',
    'https://8.8.8.8/hook',
    'https://[2606:4700::1111]/hook',
  ])('accepts the public target %s', async (url) => {
    expect((await create(url)).status).toBe(201);
  });

  it('accepts a name that does not resolve yet: the check before each attempt decides then', async () => {
    expect((await create('https://not-yet.test/hook')).status).toBe(201);
  });

  it('lets ALLOW_PRIVATE_WEBHOOKS exempt every target, or only the host:port it lists', async () => {
    const post = (vars: Record<string, string>, url: string) =>
      fetchWithVars(vars, '/v1/webhooks', {
        ...json('POST', { name: 'dev', url }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
      });
    expect((await post({ ALLOW_PRIVATE_WEBHOOKS: 'true' }, 'http://127.0.0.1:8080/hook')).status).toBe(201);
    expect((await post({ ALLOW_PRIVATE_WEBHOOKS: 'true' }, 'http://localhost:8080/hook')).status).toBe(201);
    const listed = { ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1:8080' };
    expect((await post(listed, 'http://127.0.0.1:8080/hook')).status).toBe(201);
    expect((await post(listed, 'http://127.0.0.1:8081/hook')).status).toBe(400);
    expect((await post(listed, 'https://10.0.0.1/hook')).status).toBe(400);
    expect((await post(listed, 'https://loopback.test:8080/hook')).status).toBe(400);
  });
});

describe('before every attempt', () => {
  const run = async (url: string, vars: Record<string, string> = {}) => {
    const key = newKey();
    const hook = await createChannel(org, { url: url.replace('KEY', key) });
    const test = (await (await api(org.apiKey, `/v1/webhooks/${hook.id}/test`, { method: 'POST' })).json()) as {
      id: string;
    };
    // The queue may have made the attempt already; the one below then finds nothing to do.
    await runDelivery(capturingEnv(vars).env, { type: 'webhook.deliver', orgId: org.orgId, deliveryId: test.id });
    const attempts = await attemptsOf(test.id);
    return { key, attempts, deliveryId: test.id };
  };

  it('refuses a redirect to loopback, and never contacts it', async () => {
    const { key, attempts } = await run(receiverUrl('KEY', 'redirect?to=http%3A%2F%2F127.0.0.1%3A8080%2Finternal'));
    expect(attempts[0]).toMatchObject({ status: null });
    expect(attempts[0]!.error).toBe(
      'redirect to http://127.0.0.1:8080/internal refused: a webhook URL must use https (http only for targets allowed by ALLOW_PRIVATE_WEBHOOKS)',
    );
    expect(await received(key)).toHaveLength(1);
    expect(JSON.stringify(await received('__other'))).not.toContain('127.0.0.1');
  });

  it('refuses a redirect to a name that resolves to a private address', async () => {
    const { attempts } = await run(receiverUrl('KEY', 'redirect?to=https%3A%2F%2Fprivate.test%2Fx'));
    expect(attempts[0]!.error).toBe(
      "redirect to https://private.test/x refused: the webhook URL's host private.test resolves to 10.0.0.1, a private address",
    );
  });

  it('refuses a name whose DNS changed to loopback after the webhook was saved (rebinding)', async () => {
    const name = `rebind-${newKey()}.test`;
    const set = (a: string) => fetch(`http://dns.test/__set?name=${name}&a=${a}`, { method: 'POST' });
    await set('93.184.216.34');
    const hook = await createChannel(org, { url: `https://${name}/hook` });
    await set('127.0.0.1');
    await env.DB.prepare(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_type, body, state, attempts, created_at)
       VALUES (?, ?, ?, 'webhook.test', '{}', 'pending', 0, ?)`,
    )
      .bind(`dlv_${name.slice(7, 15)}`, org.orgId, hook.id, Date.now())
      .run();
    const { env: testEnv, sent } = capturingEnv();
    expect(
      await runDelivery(testEnv, { type: 'webhook.deliver', orgId: org.orgId, deliveryId: `dlv_${name.slice(7, 15)}` }),
    ).toBe('retrying');
    const [attempt] = await attemptsOf(`dlv_${name.slice(7, 15)}`);
    expect(attempt!.error).toBe(`the webhook URL's host ${name} resolves to 127.0.0.1, a loopback address`);
    expect(sent).toHaveLength(1);
  });

  it('fails an attempt to a name that does not resolve, or when the resolver is unreachable', async () => {
    const { attempts } = await run('https://not-yet.test/KEY');
    expect(attempts[0]!.error).toBe("the webhook URL's host not-yet.test does not resolve");
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key) });
    await env.DB.prepare(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_type, body, state, attempts, created_at)
       VALUES (?, ?, ?, 'webhook.test', '{}', 'pending', 0, ?)`,
    )
      .bind(`dlv_noresolver_${key}`, org.orgId, hook.id, Date.now())
      .run();
    const { env: testEnv } = capturingEnv({ WEBHOOK_DNS_RESOLVER: 'https://no-such-resolver.test/dns-query' });
    await runDelivery(testEnv, { type: 'webhook.deliver', orgId: org.orgId, deliveryId: `dlv_noresolver_${key}` });
    const [attempt] = await attemptsOf(`dlv_noresolver_${key}`);
    expect(attempt!.error).toMatch(/^could not resolve the webhook URL's host receiver\.test: resolver answered 502/);
    expect(await received(key)).toHaveLength(0);
  });
});

describe('the guard’s parts', () => {
  it.each([
    ['8.8.8.8', null],
    ['2606:4700::1111', null],
    ['::ffff:8.8.8.8', null],
    ['64:ff9b::808:808', null],
    ['2002:0808:0808::1', null],
    ['127.0.0.1', 'loopback'],
    ['0.1.2.3', 'unspecified'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['64:ff9b:1::1', 'non-public (rfc6052)'],
    ['2002:7f00:0001::1', 'loopback (IPv4 in IPv6)'],
    ['2001:db8::1', 'reserved'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'non-public (deprecatedSiteLocal)'],
  ])('classifies %s as %s', (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind);
  });

  const opts = { allowPrivate: { all: false, targets: [] }, resolver: DNS_RESOLVER };

  it('follows at most three redirects, checking every hop before contacting it', async () => {
    const calls: string[] = [];
    const hops = ['a', 'b', 'c', 'd', 'e'].map((h) => `https://${h}.example.net/`);
    const fakeFetch = async (input: string | URL | Request) => {
      const url = String(input);
      if (url.startsWith(DNS_RESOLVER)) return fetch(input as string);
      calls.push(url);
      const next = hops[hops.indexOf(url) + 1];
      return next ? new Response(null, { status: 307, headers: { location: next } }) : new Response('done');
    };
    // Give each name a public address in the stub zone.
    for (const h of hops)
      await fetch(`http://dns.test/__set?name=${new URL(h).hostname}&a=93.184.216.34`, { method: 'POST' });
    const three = await guardedPost(
      'https://b.example.net/',
      { headers: {}, body: '{}' },
      { ...opts, fetch: fakeFetch },
    );
    expect('response' in three && (await three.response.text())).toBe('done');
    calls.length = 0;
    const four = await guardedPost(hops[0]!, { headers: {}, body: '{}' }, { ...opts, fetch: fakeFetch });
    expect(four).toMatchObject({ error: 'more than 3 redirects' });
    expect(calls).toEqual(hops.slice(0, 4));

    calls.length = 0;
    const toMetadata = async (input: string | URL | Request) => {
      const url = String(input);
      if (url.startsWith(DNS_RESOLVER)) return fetch(input as string);
      calls.push(url);
      return new Response(null, { status: 301, headers: { location: 'https://169.254.169.254/latest/meta-data/' } });
    };
    const refused = await guardedPost(
      'https://a.example.net/',
      { headers: {}, body: '{}' },
      { ...opts, fetch: toMetadata },
    );
    expect(refused).toMatchObject({
      error:
        "redirect to https://169.254.169.254/latest/meta-data/ refused: the webhook URL's host 169.254.169.254 is a link-local address",
    });
    expect(calls).toEqual(['https://a.example.net/']);
  });

  it('is off for exempt targets only', async () => {
    expect(
      await refusal(
        'http://127.0.0.1:9000/x',
        { ...opts, allowPrivate: { all: false, targets: ['127.0.0.1:9000'] } },
        'deliver',
      ),
    ).toBeNull();
    expect(
      await refusal(
        'https://[::1]:9000/x',
        { ...opts, allowPrivate: { all: false, targets: ['[::1]:9000'] } },
        'deliver',
      ),
    ).toBeNull();
    expect(
      await refusal(
        'https://[::1]:9001/x',
        { ...opts, allowPrivate: { all: false, targets: ['[::1]:9000'] } },
        'deliver',
      ),
    ).toContain('loopback');
    expect(
      await refusal(
        'https://127.0.0.1/x',
        { ...opts, allowPrivate: { all: false, targets: ['127.0.0.1:443'] } },
        'deliver',
      ),
    ).toBeNull();
  });
});

import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { decryptSecret } from '../../workers/src/services/notify/secret-box.ts';
import { auditRows, fetchWithVars } from './account-helpers.ts';
import { api, seedOrg, type TestOrg } from './helpers.ts';
import { createChannel, json, newKey, received, receiverUrl } from './notify-helpers.ts';

let org: TestOrg;
beforeAll(async () => {
  org = await seedOrg();
});

const row = (id: string) =>
  env.DB.prepare('SELECT * FROM webhooks WHERE id = ?').bind(id).first<Record<string, unknown>>();

describe('POST /v1/webhooks', () => {
  it('creates a channel, shows its whsec_ secret once and stores it only encrypted', async () => {
    const res = await api(
      org.apiKey,
      '/v1/webhooks',
      json('POST', {
        name: 'On-call',
        kind: 'slack',
        url: 'https://receiver.test/x/ok?token=s3cr3t',
        filters: { severities: ['critical'] },
      }),
    );
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown> & { id: string; secret: string };
    expect(body).toMatchObject({
      name: 'On-call',
      kind: 'slack',
      filters: { severities: ['critical'] },
      enabled: true,
      disabledReason: null,
      previousSecretExpiresAt: null,
    });
    // 32 random bytes in standard base64, as Standard Webhooks libraries expect.
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body.secretPrefix).toBe(body.secret.slice(0, 10));
    const stored = (await row(body.id))!;
    expect(JSON.stringify(stored)).not.toContain(body.secret.slice(6));
    expect(await decryptSecret(env, body.id, stored.secret_enc as string)).toBe(body.secret);
    // Reads never show the secret again.
    const read = (await (await api(org.apiKey, `/v1/webhooks/${body.id}`)).json()) as Record<string, unknown>;
    expect(read).not.toHaveProperty('secret');
    expect(read.secretPrefix).toBe(body.secretPrefix);
  });

  it('records an audit row without the secret and without the URL past its origin', async () => {
    const created = await createChannel(org, { url: 'https://receiver.test/audit/ok?token=hunter2' });
    const [audit] = (await auditRows(org.orgId, 'createWebhook')).filter((r) => r.target_id === created.id);
    expect(audit).toBeDefined();
    const text = JSON.stringify(audit);
    expect(text).not.toContain(created.secret.slice(6));
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(audit!.changes as string).after.url).toBe('https://receiver.test');
  });

  it.each([
    [{ name: ' ', url: 'https://receiver.test/a' }, 'name'],
    [{ name: 'x', url: 'ftp://receiver.test/a' }, 'url'],
    [{ name: 'x', url: 'http://receiver.test/a' }, 'url'],
    [{ name: 'x', url: 'https://receiver.test/a', kind: 'teams' }, 'kind'],
    [{ name: 'x', url: 'https://receiver.test/a', filters: { severities: ['info'] } }, 'filters.severities.0'],
    [{ name: 'x', url: 'https://receiver.test/a', filters: { ruleIds: [] } }, 'filters.ruleIds'],
    [{ name: 'x', url: 'https://receiver.test/a', secret: 'whsec_mine' }, 'secret'],
  ])('refuses %j with 400 naming %s, and stores nothing', async (body, field) => {
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM webhooks').first<{ n: number }>();
    const res = await api(org.apiKey, '/v1/webhooks', json('POST', body));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe(field);
    expect(await env.DB.prepare('SELECT COUNT(*) AS n FROM webhooks').first()).toEqual(before);
  });

  it('refuses plain http unless ALLOW_PRIVATE_WEBHOOKS allows the target', async () => {
    const res = await api(org.apiKey, '/v1/webhooks', json('POST', { name: 'x', url: 'http://receiver.test/a' }));
    expect(await res.json()).toMatchObject({ error: { code: 'url_not_allowed', field: 'url' } });
    const allowed = await fetchWithVars({ ALLOW_PRIVATE_WEBHOOKS: 'true' }, '/v1/webhooks', {
      ...json('POST', { name: 'x', url: 'http://receiver.test/a' }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
    });
    expect(allowed.status).toBe(201);
  });

  it('answers 503 naming WEBHOOK_SECRETS_KEY when the deployment has no key, and stores nothing', async () => {
    for (const key of ['', 'not base64!', btoa('sixteen bytes!!!')]) {
      const res = await fetchWithVars({ WEBHOOK_SECRETS_KEY: key }, '/v1/webhooks', {
        ...json('POST', { name: 'x', url: 'https://receiver.test/a' }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${org.apiKey}` },
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('not_configured');
      expect(body.error.message).toContain('WEBHOOK_SECRETS_KEY');
    }
  });
});

describe('GET, PATCH and DELETE /v1/webhooks/:id', () => {
  it('lists the org’s channels newest first, never another org’s', async () => {
    const mine = await seedOrg();
    const other = await seedOrg();
    const a = await createChannel(mine, { url: 'https://receiver.test/a' });
    const b = await createChannel(mine, { url: 'https://receiver.test/b' });
    await createChannel(other, { url: 'https://receiver.test/c' });
    const list = (await (await api(mine.apiKey, '/v1/webhooks')).json()) as { webhooks: { id: string }[] };
    expect(list.webhooks.map((w) => w.id).sort()).toEqual([a.id, b.id].sort());
    expect((await api(other.apiKey, `/v1/webhooks/${a.id}`)).status).toBe(404);
    expect((await api(other.apiKey, `/v1/webhooks/${a.id}`, json('PATCH', { name: 'mine now' }))).status).toBe(404);
    expect((await api(other.apiKey, `/v1/webhooks/${a.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await row(a.id))!.name).toBe('test channel');
  });

  it('changes name, filters and URL (checked again), and re-enabling clears disabledReason', async () => {
    const hook = await createChannel(org, { url: 'https://receiver.test/p' });
    await env.DB.prepare(
      "UPDATE webhooks SET enabled = 0, disabled_reason = 'the receiver answered 410 Gone' WHERE id = ?",
    )
      .bind(hook.id)
      .run();
    const refused = await api(org.apiKey, `/v1/webhooks/${hook.id}`, json('PATCH', { url: 'https://10.0.0.1/x' }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'url_not_allowed', field: 'url' } });
    const res = await api(
      org.apiKey,
      `/v1/webhooks/${hook.id}`,
      json('PATCH', {
        name: 'renamed',
        enabled: true,
        filters: { siteIds: ['site_a'] },
        url: 'https://receiver.test/q',
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name: 'renamed',
      enabled: true,
      disabledReason: null,
      filters: { siteIds: ['site_a'] },
      url: 'https://receiver.test/q',
    });
    const [audit] = (await auditRows(org.orgId, 'updateWebhook')).filter((r) => r.target_id === hook.id);
    expect(JSON.parse(audit!.changes as string).before).toMatchObject({ enabled: false, name: 'test channel' });
  });

  it('deletes a channel with its delivery log', async () => {
    const hook = await createChannel(org, { url: receiverUrl(newKey()) });
    const test = (await (await api(org.apiKey, `/v1/webhooks/${hook.id}/test`, { method: 'POST' })).json()) as {
      id: string;
    };
    expect((await api(org.apiKey, `/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await row(hook.id)).toBeNull();
    expect((await api(org.apiKey, `/v1/deliveries/${test.id}`)).status).toBe(404);
    expect((await api(org.apiKey, `/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(404);
    expect(await auditRows(org.orgId, 'deleteWebhook')).toHaveLength(1);
  });

  it('is for admins only, reads included: URLs may hold tokens', async () => {
    const hook = await createChannel(org, { url: 'https://receiver.test/r' });
    for (const scopes of [['read'], ['read', 'write']]) {
      const weaker = await seedOrg(scopes);
      await env.DB.prepare('UPDATE api_keys SET org_id = ? WHERE org_id = ?').bind(org.orgId, weaker.orgId).run();
      for (const path of ['/v1/webhooks', `/v1/webhooks/${hook.id}`, `/v1/webhooks/${hook.id}/deliveries`]) {
        expect((await api(weaker.apiKey, path)).status).toBe(403);
      }
    }
  });
});

describe('POST /v1/webhooks/:id/rotate-secret', () => {
  it('gives a new secret; the previous one signs beside it for the grace period, then not at all', async () => {
    const hook = await createChannel(org, { url: 'https://receiver.test/rot' });
    const before = Date.now();
    const res = await api(org.apiKey, `/v1/webhooks/${hook.id}/rotate-secret`, json('POST', { graceSeconds: 3600 }));
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { secret: string; previousSecretExpiresAt: number; secretPrefix: string };
    expect(rotated.secret).not.toBe(hook.secret);
    expect(rotated.previousSecretExpiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(rotated.previousSecretExpiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
    const stored = (await row(hook.id))!;
    expect(await decryptSecret(env, hook.id, stored.previous_secret_enc as string)).toBe(hook.secret);
    expect(JSON.stringify(await auditRows(org.orgId, 'rotateWebhookSecret'))).not.toContain(rotated.secret.slice(6));

    const now = await api(org.apiKey, `/v1/webhooks/${hook.id}/rotate-secret`, json('POST', { graceSeconds: 0 }));
    expect(await now.json()).toMatchObject({ previousSecretExpiresAt: null });
    expect((await row(hook.id))!.previous_secret_enc).toBeNull();
  });

  it('defaults to 24 hours and refuses more than 7 days', async () => {
    const hook = await createChannel(org, { url: 'https://receiver.test/rot2' });
    const res = await api(org.apiKey, `/v1/webhooks/${hook.id}/rotate-secret`, json('POST', {}));
    const { previousSecretExpiresAt } = (await res.json()) as { previousSecretExpiresAt: number };
    expect(previousSecretExpiresAt - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
    const tooLong = await api(
      org.apiKey,
      `/v1/webhooks/${hook.id}/rotate-secret`,
      json('POST', { graceSeconds: 604_801 }),
    );
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ error: { field: 'graceSeconds' } });
  });
});

describe('POST /v1/webhooks/:id/test and the delivery log', () => {
  it('delivers a signed webhook.test event through the queue; the log shows it with its attempt', async () => {
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key) });
    const res = await api(org.apiKey, `/v1/webhooks/${hook.id}/test`, { method: 'POST' });
    expect(res.status).toBe(202);
    const pending = (await res.json()) as { id: string; state: string; eventType: string };
    expect(pending).toMatchObject({ state: 'pending', eventType: 'webhook.test', webhookId: hook.id });

    const [request] = await vi.waitFor(
      async () => {
        const got = await received(key);
        if (got.length === 0) throw new Error('nothing received yet');
        return got;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(request!.headers['webhook-id']).toBe(pending.id);
    expect(request!.headers['content-type']).toBe('application/json');
    const payload = new Webhook(hook.secret).verify(request!.body, request!.headers) as { type: string; data: unknown };
    expect(payload).toMatchObject({ type: 'webhook.test', data: { webhook: { id: hook.id, name: 'test channel' } } });

    const detail = await vi.waitFor(
      async () => {
        const d = (await (await api(org.apiKey, `/v1/deliveries/${pending.id}`)).json()) as {
          state: string;
          attemptLog: { status: number; latencyMs: number; error: null; responseExcerpt: string }[];
          body: string;
        };
        if (d.state !== 'delivered') throw new Error(`still ${d.state}`);
        return d;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(detail.body).toBe(request!.body);
    expect(detail.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, status: 200, error: null, responseExcerpt: '{"ok":true}' }),
    ]);
    const log = (await (await api(org.apiKey, `/v1/webhooks/${hook.id}/deliveries`)).json()) as {
      deliveries: { id: string; state: string; attempts: number; lastAttemptAt: number }[];
    };
    expect(log.deliveries).toEqual([expect.objectContaining({ id: pending.id, state: 'delivered', attempts: 1 })]);
    expect(await auditRows(org.orgId, 'testWebhook')).toEqual(
      expect.arrayContaining([expect.objectContaining({ target_id: hook.id })]),
    );
  });

  it('refuses a test to a disabled channel with 409', async () => {
    const hook = await createChannel(org, { url: 'https://receiver.test/off', enabled: false });
    const res = await api(org.apiKey, `/v1/webhooks/${hook.id}/test`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'webhook_disabled' } });
  });

  it('pages the log newest first with a cursor, and filters by state', async () => {
    const hook = await createChannel(org, { url: 'https://receiver.test/pages' });
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = `dlv_page_${i}`;
      ids.push(id);
      await env.DB.prepare(
        `INSERT INTO deliveries (id, org_id, webhook_id, event_type, body, state, attempts, created_at)
         VALUES (?, ?, ?, 'alert.firing', '{}', ?, 1, ?)`,
      )
        .bind(id, org.orgId, hook.id, i % 2 ? 'dead' : 'delivered', now + i)
        .run();
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/webhooks/${hook.id}/deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await api(org.apiKey, q)).json()) as {
        deliveries: { id: string }[];
        nextCursor: string | null;
      };
      seen.push(...page.deliveries.map((d) => d.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const dead = (await (await api(org.apiKey, `/v1/webhooks/${hook.id}/deliveries?state=dead`)).json()) as {
      deliveries: { id: string }[];
    };
    expect(dead.deliveries.map((d) => d.id)).toEqual(['dlv_page_3', 'dlv_page_1']);
    const bad = await api(org.apiKey, `/v1/webhooks/${hook.id}/deliveries?cursor=abc`);
    expect(bad.status).toBe(400);
  });
});

describe('POST /v1/deliveries/:id/redeliver', () => {
  it('sends the same body with the same webhook-id again, as a new series of attempts', async () => {
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key) });
    const { id } = (await (await api(org.apiKey, `/v1/webhooks/${hook.id}/test`, { method: 'POST' })).json()) as {
      id: string;
    };
    const settled = async (attempts: number) =>
      vi.waitFor(
        async () => {
          const d = (await (await api(org.apiKey, `/v1/deliveries/${id}`)).json()) as {
            state: string;
            attempts: number;
          };
          if (d.state !== 'delivered' || d.attempts !== attempts) throw new Error(`${d.state} after ${d.attempts}`);
        },
        { timeout: 10_000, interval: 50 },
      );
    await settled(1);
    const res = await api(org.apiKey, `/v1/deliveries/${id}/redeliver`, { method: 'POST' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id, state: 'pending', deliveredAt: null });
    await settled(2);
    const got = await received(key);
    expect(got).toHaveLength(2);
    expect(got[1]!.headers['webhook-id']).toBe(id);
    expect(got[1]!.body).toBe(got[0]!.body);
    for (const r of got) new Webhook(hook.secret).verify(r.body, r.headers);
    expect(await auditRows(org.orgId, 'redeliver')).toEqual(
      expect.arrayContaining([expect.objectContaining({ target_id: id })]),
    );
  });

  it('refuses a delivery still pending, and one of a disabled channel, with 409', async () => {
    const hook = await createChannel(org, { url: 'https://receiver.test/busy' });
    await env.DB.prepare(
      `INSERT INTO deliveries (id, org_id, webhook_id, event_type, body, state, attempts, created_at)
       VALUES ('dlv_busy', ?, ?, 'alert.firing', '{}', 'pending', 1, ?), ('dlv_done', ?, ?, 'alert.firing', '{}', 'dead', 8, ?)`,
    )
      .bind(org.orgId, hook.id, Date.now(), org.orgId, hook.id, Date.now())
      .run();
    const busy = await api(org.apiKey, '/v1/deliveries/dlv_busy/redeliver', { method: 'POST' });
    expect(busy.status).toBe(409);
    expect(await busy.json()).toMatchObject({ error: { code: 'delivery_pending' } });
    await api(org.apiKey, `/v1/webhooks/${hook.id}`, json('PATCH', { enabled: false }));
    const off = await api(org.apiKey, '/v1/deliveries/dlv_done/redeliver', { method: 'POST' });
    expect(off.status).toBe(409);
    expect(await off.json()).toMatchObject({ error: { code: 'webhook_disabled' } });
  });

  it('answers 404 for another org’s delivery, and 400 for a blank id', async () => {
    const other = await seedOrg();
    expect((await api(other.apiKey, '/v1/deliveries/dlv_done')).status).toBe(404);
    expect((await api(other.apiKey, '/v1/deliveries/dlv_done/redeliver', { method: 'POST' })).status).toBe(404);
    const blank = await api(org.apiKey, '/v1/deliveries/%20');
    expect(blank.status).toBe(400);
    expect(await blank.json()).toMatchObject({ error: { field: 'id' } });
  });
});

import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { channelHubFor, STREAM_ORG_HEADER } from '../../workers/src/objects/channel-hub/index.ts';
import { loadSession } from '../../workers/src/objects/channel-hub/session.ts';
import { revokeSocket } from '../../workers/src/objects/channel-hub/socket.ts';
import { closeStreams, closeStreamsIn } from '../../workers/src/services/streams/close.ts';
import { STREAM_PRINCIPAL_HEADER, type StreamPrincipal } from '../../workers/src/services/streams/principal.ts';
import { newId, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { newApiKey } from '../../workers/src/services/credentials/tokens.ts';
import { api, login, seedOrg, seedUser, type TestOrg } from './helpers.ts';
import { connect, upgrade, type Client } from './stream-client.ts';
import { subscribed } from './stream-test-helpers.ts';

const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
afterEach(async () => {
  for (const r of readers.splice(0)) await r.cancel().catch(() => undefined);
});

async function keyId(orgId: string, apiKey: string): Promise<string> {
  const row = await env.DB.prepare('SELECT id FROM api_keys WHERE org_id = ? AND key_hash = ?')
    .bind(orgId, await sha256Hex(apiKey))
    .first<{ id: string }>();
  return row!.id;
}

/** A second admin key of the org, straight in D1. */
async function addKey(orgId: string): Promise<string> {
  const key = newApiKey();
  await env.DB.prepare(
    'INSERT INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
    .bind(newId('key'), orgId, 'second', key.slice(0, 12), await sha256Hex(key), '["read","write","admin"]', Date.now())
    .run();
  return key;
}

/** Signs a new user of the org in; returns the cookie and the ids of the user and the session. */
async function signIn(org: TestOrg, email: string) {
  const userId = await seedUser(org.orgId, email, 'correct horse battery', 'member');
  const res = await login({ email, password: 'correct horse battery' });
  expect(res.status).toBe(200);
  const cookie = /ew_session=[^;]+/.exec(res.headers.get('set-cookie')!)![0];
  const row = await env.DB.prepare('SELECT id FROM sessions WHERE user_id = ?').bind(userId).first<{ id: string }>();
  return { cookie, userId, sessionId: row!.id };
}

/** Resolves with the close event, or rejects when none arrives within `ms`. */
function closedWithin(client: Client, ms: number) {
  return Promise.race([
    client.closed,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms)),
  ]);
}

/** Asserts the socket still answers: the hub echoes a ping through the protocol. */
async function expectOpen(client: Client): Promise<void> {
  expect(await client.idle()).toEqual([]);
}

/** Opens an SSE stream and collects its text; `ended` resolves with all of it when the server ends the stream. */
async function openSse(orgId: string, headers: Record<string, string>) {
  const subject = `org.${orgId}.**`;
  const res = await SELF.fetch(`http://x/v1/stream/sse?subject=${encodeURIComponent(subject)}`, { headers });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  readers.push(reader);
  const decoder = new TextDecoder();
  let text = '';
  let done = false;
  const ended = (async () => {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        done = true;
        return text;
      }
      text += decoder.decode(chunk.value, { stream: true });
    }
  })();
  ended.catch(() => undefined);
  return { ended, isOpen: () => !done };
}

describe('withdrawn access closes live streams', () => {
  it("closes a revoked API key's WebSocket with 4401 within a second, and refuses its reconnect with 401", async () => {
    const org = await seedOrg();
    const second = await addKey(org.orgId);
    const revoked = await connect(org.apiKey);
    const bystander = await connect(second);
    const id = await keyId(org.orgId, org.apiKey);
    const revokedAt = Date.now();
    // The revoke route itself closes the key's streams.
    expect((await api(second, `/v1/api-keys/${id}`, { method: 'DELETE' })).status).toBe(200);
    const close = await closedWithin(revoked, 1000);
    expect(close).toEqual({ code: 4401, reason: expect.stringMatching(/access withdrawn/) });
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    const again = await upgrade({ Authorization: `Bearer ${org.apiKey}` });
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    await expectOpen(bystander);
  });

  it("closes a removed member's WebSocket and SSE stream with 4401 through DELETE /v1/members/:userId", async () => {
    const org = await seedOrg();
    await seedUser(org.orgId, 'owner-removed@example.com', 'correct horse battery', 'owner');
    const ada = await signIn(org, 'ada-removed@example.com');
    const socket = await connect('', { Authorization: '', Cookie: ada.cookie, Origin: 'http://x' });
    const sse = await openSse(org.orgId, { Cookie: ada.cookie });
    expect((await api(org.apiKey, `/v1/members/${ada.userId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await closedWithin(socket, 1000)).code).toBe(4401);
    expect(await sse.ended).toMatch(/"code":"unauthorised"/);
  });

  it("ends a session's SSE stream with a last unauthorised frame when closeStreams names the session", async () => {
    const org = await seedOrg();
    const ada = await signIn(org, 'ada-sse@example.com');
    const ended = await openSse(org.orgId, { Cookie: ada.cookie });
    const keyed = await openSse(org.orgId, { Authorization: `Bearer ${org.apiKey}` });
    const n = await channelHubFor(env, org.orgId).closeStreams({ credentialIds: [ada.sessionId] });
    expect(n).toBe(1);
    const text = await ended.ended;
    expect(text).toMatch(
      /event: error\ndata: \{"type":"error","code":"unauthorised","message":"access withdrawn[^"]*"\}\n\n$/,
    );
    expect(keyed.isOpen()).toBe(true);
    expect((await channelHubFor(env, org.orgId).stats()).sseConnections).toBe(1);
  });

  it("closes every stream of a user named by closeStreams (member removed, role lowered), and no one else's", async () => {
    const org = await seedOrg();
    const ada = await signIn(org, 'ada-ws@example.com');
    const bob = await signIn(org, 'bob-ws@example.com');
    const origin = { Origin: 'http://x' };
    const adaSocket = await connect('', { Authorization: '', Cookie: ada.cookie, ...origin });
    const adaSse = await openSse(org.orgId, { Cookie: ada.cookie });
    const bobSocket = await connect('', { Authorization: '', Cookie: bob.cookie, ...origin });
    const keySocket = await connect(org.apiKey);
    await closeStreams(env, org.orgId, { userIds: [ada.userId] });
    expect((await closedWithin(adaSocket, 1000)).code).toBe(4401);
    await adaSse.ended;
    await expectOpen(bobSocket);
    await expectOpen(keySocket);
    // The user's session is still valid (a lowered role): a new connection is accepted.
    const back = await upgrade({ Cookie: ada.cookie, ...origin });
    expect(back.status).toBe(101);
    back.webSocket!.accept();
    back.webSocket!.close(1000, 'test done');
  });

  it("leaves another org's streams of the same principal ids alone", async () => {
    const a = await seedOrg();
    const b = await seedOrg();
    const inB = await connect(b.apiKey);
    const n = await channelHubFor(env, a.orgId).closeStreams({ credentialIds: [await keyId(b.orgId, b.apiKey)] });
    expect(n).toBe(0);
    await expectOpen(inB);
  });

  it("closes a session's streams in every org it streamed from, across a switch of org (closeStreamsIn)", async () => {
    const a = await seedOrg();
    const b = await seedOrg();
    const ada = await signIn(a, 'ada-switch@example.com');
    await env.DB.prepare('INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, ?)')
      .bind(b.orgId, ada.userId, 'viewer', Date.now())
      .run();
    const origin = { Origin: 'http://x' };
    const inA = await connect('', { Authorization: '', Cookie: ada.cookie, ...origin });
    // What switch-org does to the session: its next request acts in org b.
    await env.DB.prepare('UPDATE sessions SET org_id = ? WHERE id = ?').bind(b.orgId, ada.sessionId).run();
    const inB = await connect('', { Authorization: '', Cookie: ada.cookie, ...origin });
    expect((await channelHubFor(env, b.orgId).stats()).connections).toBe(1);
    await closeStreamsIn(env, [a.orgId, b.orgId], { credentialIds: [ada.sessionId] });
    expect((await closedWithin(inA, 1000)).code).toBe(4401);
    expect((await closedWithin(inB, 1000)).code).toBe(4401);
  });

  it('finds a connection from what survives hibernation: its tags and attachment name the principal', async () => {
    const org = await seedOrg();
    const id = await keyId(org.orgId, org.apiKey);
    const client = await connect(org.apiKey);
    await subscribed(client, 'all', `org.${org.orgId}.**`);
    await runInDurableObject(channelHubFor(env, org.orgId), (_hub, state) => {
      const [ws, ...rest] = state.getWebSockets(`cred:${id}`);
      expect(rest).toEqual([]);
      expect(loadSession(ws!)?.principal).toMatchObject({ via: 'api-key', credentialId: id, userId: null });
      // An empty connection map is the hub's memory after hibernation.
      expect(
        revokeSocket(
          ws!,
          new WeakMap(),
          'epoch',
          { maxQueuedBytes: 0, conflatedSamples: 0, slowConsumerCloses: 0 },
          'access withdrawn: test',
        ),
      ).toBe(true);
    });
    expect(await closedWithin(client, 1000)).toEqual({ code: 4401, reason: 'access withdrawn: test' });
  });

  describe('a connect authenticated before the withdrawal, reaching the hub after it', () => {
    const hubConnect = (orgId: string, p: StreamPrincipal) =>
      channelHubFor(env, orgId).fetch(
        new Request('https://channel-hub.internal/connect', {
          headers: { Upgrade: 'websocket', [STREAM_ORG_HEADER]: orgId, [STREAM_PRINCIPAL_HEADER]: JSON.stringify(p) },
        }),
      );

    it('is refused with 401 for a withdrawn credential', async () => {
      const org = await seedOrg();
      const p: StreamPrincipal = {
        via: 'api-key',
        credentialId: 'key_withdrawn',
        userId: null,
        authAt: Date.now() - 1,
      };
      await closeStreams(env, org.orgId, { credentialIds: ['key_withdrawn'] });
      const res = await hubConnect(org.orgId, p);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    });

    it("is refused for a withdrawn user's earlier authentication, accepted for a later one", async () => {
      const org = await seedOrg();
      const p: StreamPrincipal = {
        via: 'session',
        credentialId: 'ses_1',
        userId: 'usr_lowered',
        authAt: Date.now() - 1,
      };
      await closeStreams(env, org.orgId, { userIds: ['usr_lowered'] });
      const early = await hubConnect(org.orgId, p);
      expect(early.status).toBe(401);
      expect(((await early.json()) as { error: { code: string } }).error.code).toBe('invalid_session');
      const late = await hubConnect(org.orgId, { ...p, authAt: Date.now() + 1000 });
      expect(late.status).toBe(101);
      late.webSocket!.accept();
      late.webSocket!.close(1000, 'test done');
    });

    it('is refused with 400 when the Worker sent no principal', async () => {
      const org = await seedOrg();
      const res = await channelHubFor(env, org.orgId).fetch(
        new Request('https://channel-hub.internal/connect', {
          headers: { Upgrade: 'websocket', [STREAM_ORG_HEADER]: org.orgId },
        }),
      );
      expect(res.status).toBe(400);
    });
  });
});

import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AlertNotifyMessage } from '../../schema/wire/alerts.ts';
import worker from '../../workers/src/index.ts';
import { handleDeadLetter } from '../../workers/src/services/notify/dead-letters.ts';
import { runDelivery, type DeliverMessage } from '../../workers/src/services/notify/deliver.ts';
import { handleAlertNotify } from '../../workers/src/services/notify/notify.ts';
import { api, enroll, seedOrg, type TestOrg } from './helpers.ts';
import {
  attemptsOf,
  capturingEnv,
  createChannel,
  deliveriesOf,
  json,
  newKey,
  received,
  receiverUrl,
  seedIncident,
  seedRule,
} from './notify-helpers.ts';

/**
 * The consumer of ALERTS_QUEUE, called directly: `alert.notify` (channels, filters, silences,
 * bodies, the first attempt at once) and `webhook.deliver` (retries, 410, dead letters,
 * idempotency). Queue sends are captured so each test drives the retries itself.
 */

let org: TestOrg;
let deviceId: string;
beforeAll(async () => {
  org = await seedOrg();
  ({ deviceId } = await enroll(org, 'db-1'));
});

/** An org of its own, so channels of other tests do not receive this one's incidents. */
async function freshOrg() {
  const o = await seedOrg();
  const device = await enroll(o, 'db-1');
  return { org: o, deviceId: device.deviceId };
}

const notify = (orgId: string, incidentId: string, extra: Partial<AlertNotifyMessage> = {}): AlertNotifyMessage => ({
  type: 'alert.notify',
  orgId,
  incidentId,
  transition: 'firing',
  repeat: false,
  at: Date.now(),
  ...extra,
});

describe('alert.notify', () => {
  it('sends one signed delivery per channel at once, with the body of its kind', async () => {
    const { org, deviceId } = await freshOrg();
    const key = newKey();
    const generic = await createChannel(org, { url: receiverUrl(key, 'generic') });
    const slack = await createChannel(org, { url: receiverUrl(key, 'slack'), kind: 'slack' });
    const discord = await createChannel(org, { url: receiverUrl(key, 'discord'), kind: 'discord' });
    const incidentId = await seedIncident(org.orgId, { deviceId, ruleName: 'Disk <!channel> & co' });
    const { env: e, sent } = capturingEnv({ PUBLIC_URL: 'https://edgewatch.example' });
    const msg = notify(org.orgId, incidentId);
    const results = await handleAlertNotify(e, msg);
    expect(Object.values(results)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(sent).toEqual([]);

    const got = await received(key);
    expect(got).toHaveLength(3);
    const by = (suffix: string) => got.find((r) => r.url.endsWith(suffix))!;
    const secrets: Record<string, string> = { generic: generic.secret, slack: slack.secret, discord: discord.secret };
    for (const [kind, secret] of Object.entries(secrets)) new Webhook(secret).verify(by(kind).body, by(kind).headers);

    const body = JSON.parse(by('generic').body);
    expect(body).toMatchObject({
      type: 'alert.firing',
      timestamp: new Date(msg.at).toISOString(),
      data: {
        transition: 'firing',
        repeat: false,
        url: `https://edgewatch.example/incidents/${incidentId}`,
        device: { id: deviceId, name: 'db-1' },
        incident: {
          id: incidentId,
          state: 'firing',
          severity: 'critical',
          value: 95.5,
          threshold: 90,
          labels: { mount: '/' },
          acknowledged: null,
          silenced: false,
        },
      },
    });
    const slackBody = JSON.parse(by('slack').body);
    expect(slackBody.text).toBe('[Firing · CRITICAL] Disk <!channel> & co on db-1');
    expect(slackBody.blocks[0].text.text).toContain('Disk &lt;!channel&gt; &amp; co');
    expect(slackBody.blocks[0].text.text).not.toContain('<!channel>');
    const discordBody = JSON.parse(by('discord').body);
    expect(discordBody).toMatchObject({ allowed_mentions: { parse: [] }, embeds: [{ url: body.data.url }] });

    // The delivery id is the webhook-id, the same for every attempt.
    const [delivery] = await deliveriesOf(generic.id);
    expect(by('generic').headers['webhook-id']).toBe(delivery!.id);
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1, event_type: 'alert.firing' });
  });

  it('records and sends nothing again for a duplicate message', async () => {
    const { org, deviceId } = await freshOrg();
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key) });
    const msg = notify(org.orgId, await seedIncident(org.orgId, { deviceId }));
    await handleAlertNotify(capturingEnv().env, msg);
    expect(await handleAlertNotify(capturingEnv().env, msg)).toEqual({
      [(await deliveriesOf(hook.id))[0]!.id]: 'skipped',
    });
    expect(await deliveriesOf(hook.id)).toHaveLength(1);
    expect(await received(key)).toHaveLength(1);
  });

  it('applies channel filters (severity, rule, site) and skips disabled channels', async () => {
    const { org, deviceId } = await freshOrg();
    const ruleId = await seedRule(org.orgId);
    const key = newKey();
    const ch = async (name: string, extra: Record<string, unknown>) =>
      (await createChannel(org, { name, url: receiverUrl(key, name), ...extra })).id;
    const ids = {
      any: await ch('any', {}),
      critical: await ch('critical', { filters: { severities: ['critical'] } }),
      warning: await ch('warning', { filters: { severities: ['warning'] } }),
      rule: await ch('rule', { filters: { ruleIds: [ruleId] } }),
      otherRule: await ch('otherRule', { filters: { ruleIds: ['rule_other'] } }),
      site: await ch('site', { filters: { siteIds: ['site_a'], severities: ['critical'] } }),
      otherSite: await ch('otherSite', { filters: { siteIds: ['site_b'] } }),
      off: await ch('off', { enabled: false }),
    };
    const incidentId = await seedIncident(org.orgId, { deviceId, ruleId, siteId: 'site_a', severity: 'critical' });
    await handleAlertNotify(capturingEnv().env, notify(org.orgId, incidentId));
    const notified = Object.entries(ids)
      .filter(([, id]) => id !== undefined)
      .map(async ([name, id]) => [name, (await deliveriesOf(id)).length] as const);
    expect(Object.fromEntries(await Promise.all(notified))).toEqual({
      any: 1,
      critical: 1,
      warning: 0,
      rule: 1,
      otherRule: 0,
      site: 1,
      otherSite: 0,
      off: 0,
    });
  });

  it('notifies no one and records nothing for a silenced incident, until the silence ends', async () => {
    const { org, deviceId } = await freshOrg();
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key) });
    const incidentId = await seedIncident(org.orgId, { deviceId, tags: ['db'] });
    const now = Date.now();
    await env.DB.prepare(
      `INSERT INTO silences (id, org_id, matchers, starts_at, ends_at, created_at) VALUES ('sil_1', ?, ?, ?, ?, ?),
         ('sil_other', ?, ?, ?, ?, ?)`,
    )
      .bind(
        org.orgId,
        JSON.stringify([
          { field: 'tag', value: 'db' },
          { field: 'severity', value: 'critical' },
        ]),
        now - 1000,
        now + 60_000,
        now,
        org.orgId,
        JSON.stringify([{ field: 'tag', value: 'web' }]),
        now - 1000,
        now + 60_000,
        now,
      )
      .run();
    expect(await handleAlertNotify(capturingEnv().env, notify(org.orgId, incidentId))).toEqual({});
    expect(await deliveriesOf(hook.id)).toEqual([]);
    await env.DB.prepare("UPDATE silences SET ends_at = ? WHERE id = 'sil_1'").bind(Date.now()).run();
    await handleAlertNotify(capturingEnv().env, notify(org.orgId, incidentId, { transition: 'resolved' }));
    expect((await deliveriesOf(hook.id)).map((d) => d.event_type)).toEqual(['alert.resolved']);
    expect(await received(key)).toHaveLength(1);
  });

  it('marks repeats, and drops a message about an incident of another org', async () => {
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key) });
    const incidentId = await seedIncident(org.orgId, { deviceId });
    await handleAlertNotify(capturingEnv().env, notify(org.orgId, incidentId, { repeat: true }));
    const [delivery] = await deliveriesOf(hook.id);
    expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'alert.firing', data: { repeat: true } });
    const other = await seedOrg();
    expect(await handleAlertNotify(capturingEnv().env, notify(other.orgId, incidentId))).toEqual({});
  });
});

describe('webhook.deliver', () => {
  /**
   * An org of its own with one channel and one delivery whose first attempt was made with
   * `vars` (an immediate retry schedule unless given); `next` is the message of its second attempt.
   */
  async function pending(behaviour: string, vars: Record<string, string> = {}) {
    const { org, deviceId } = await freshOrg();
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key, behaviour) });
    const { env: e } = capturingEnv({ WEBHOOK_RETRY_SCHEDULE: '0s,0s,0s', ...vars });
    await handleAlertNotify(e, notify(org.orgId, await seedIncident(org.orgId, { deviceId })));
    const [delivery] = await deliveriesOf(hook.id);
    const deliveryId = delivery!.id;
    const next: DeliverMessage = { type: 'webhook.deliver', orgId: org.orgId, deliveryId, attempts: 1, seriesStart: 0 };
    return { org, key, hook, deliveryId, next };
  }

  it('retries a failing receiver on the schedule; four attempts, one delivery, one webhook-id', async () => {
    const { key, hook, deliveryId, next } = await pending('flaky/3');
    const { env: e, sent } = capturingEnv({ WEBHOOK_RETRY_SCHEDULE: '0s,0s,0s' });
    // The first attempt was made by handleAlertNotify (with the default schedule): follow it.
    let message = next;
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await runDelivery(e, message));
      if (sent.length > 0) message = sent.shift()!.body;
    }
    expect(results).toEqual(['retrying', 'retrying', 'delivered']);
    const got = await received(key);
    expect(got).toHaveLength(4);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([deliveryId]));
    for (const r of got) new Webhook(hook.secret).verify(r.body, r.headers);
    expect((await attemptsOf(deliveryId)).map((a) => a.status)).toEqual([500, 500, 500, 200]);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ state: 'delivered', attempts: 4 });
    // A duplicate of a message already handled sends nothing.
    expect(await runDelivery(e, message)).toBe('skipped');
    expect(await received(key)).toHaveLength(4);
  });

  it('sends each retry on the queue with its jittered delay, and honours Retry-After up to the schedule’s longest step', async () => {
    const { org, deliveryId } = await pending('status/503?retryAfter=7200');
    const { env: e, sent } = capturingEnv({ WEBHOOK_RETRY_SCHEDULE: '10s,1h' });
    await env.DB.prepare('UPDATE deliveries SET attempts = 0, next_attempt_at = NULL WHERE id = ?')
      .bind(deliveryId)
      .run();
    await env.DB.prepare('DELETE FROM delivery_attempts WHERE delivery_id = ?').bind(deliveryId).run();
    expect(await runDelivery(e, { type: 'webhook.deliver', orgId: org.orgId, deliveryId, attempts: 0 })).toBe(
      'retrying',
    );
    // Retry-After 2 h, capped at the schedule's longest step (1 h), beats the 10 s step.
    expect(sent[0]).toMatchObject({ body: { deliveryId, attempts: 1, seriesStart: 0 }, delaySeconds: 3600 });
    const [row] = await env.DB.prepare('SELECT next_attempt_at FROM deliveries WHERE id = ?')
      .bind(deliveryId)
      .all<{ next_attempt_at: number }>()
      .then((r) => r.results);
    expect(row!.next_attempt_at - Date.now()).toBeGreaterThan(3_590_000);
    // Arriving early (a wait longer than a queue delay allows), the message is sent on for the rest.
    expect(await runDelivery(e, sent[0]!.body)).toBe('waiting');
    expect(sent[1]!.delaySeconds).toBeGreaterThan(3590);
  });

  it('fails the delivery and disables the channel when the receiver answers 410 Gone', async () => {
    const { org, key, hook, deliveryId } = await pending('status/410');
    expect(await received(key)).toHaveLength(1);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ state: 'failed', attempts: 1 });
    const channel = (await (await api(org.apiKey, `/v1/webhooks/${hook.id}`)).json()) as Record<string, unknown>;
    expect(channel.enabled).toBe(false);
    expect(channel.disabledReason).toMatch(/^the receiver answered 410 Gone on \d{4}-/);
    expect(await attemptsOf(deliveryId)).toEqual([expect.objectContaining({ status: 410, error: 'answered 410' })]);
    // A channel disabled while a delivery waits for its retry drops it.
    const again = await api(org.apiKey, `/v1/webhooks/${hook.id}`, json('PATCH', { enabled: true }));
    expect(await again.json()).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('marks a delivery dead past the last retry and sends it to the dead-letter queue', async () => {
    const { key, hook, deliveryId, next } = await pending('status/500');
    const { env: e, sent, dead } = capturingEnv({ WEBHOOK_RETRY_SCHEDULE: '0s,0s' });
    let message = next;
    expect(await runDelivery(e, message)).toBe('retrying');
    message = sent.shift()!.body;
    expect(await runDelivery(e, message)).toBe('dead');
    expect(sent).toEqual([]);
    expect(dead).toEqual([
      expect.objectContaining({ type: 'webhook.deliver', deliveryId, attempts: 3, status: 500, error: 'answered 500' }),
    ]);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ state: 'dead', attempts: 3, next_attempt_at: null });
    expect(await received(key)).toHaveLength(3);
    // The dead-letter consumer leaves it dead and logs it.
    await handleDeadLetter(e, dead[0]);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ state: 'dead' });
  });

  it('gives up on an attempt after WEBHOOK_TIMEOUT_MS, and keeps at most 1 KB of an answer', async () => {
    const slow = await pending('slow/3000', { WEBHOOK_TIMEOUT_MS: '200' });
    const attempts = await attemptsOf(slow.deliveryId);
    expect(attempts).toEqual([expect.objectContaining({ status: null, error: 'timed out after 200 ms' })]);

    const big = await pending('big');
    const [attempt] = await attemptsOf(big.deliveryId);
    expect(new TextEncoder().encode(attempt!.response_excerpt!).length).toBeLessThanOrEqual(1024);
    expect(attempt!.response_excerpt).toMatch(/^é{500,512}$/);
  });

  it('signs with both secrets during a rotation: each verifies', async () => {
    const { org, deviceId } = await freshOrg();
    const key = newKey();
    const hook = await createChannel(org, { url: receiverUrl(key) });
    const rotated = (await (
      await api(org.apiKey, `/v1/webhooks/${hook.id}/rotate-secret`, json('POST', { graceSeconds: 600 }))
    ).json()) as { secret: string };
    await handleAlertNotify(capturingEnv().env, notify(org.orgId, await seedIncident(org.orgId, { deviceId })));
    const [request] = await received(key);
    expect(request!.headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    new Webhook(rotated.secret).verify(request!.body, request!.headers);
    new Webhook(hook.secret).verify(request!.body, request!.headers);
    const [newest] = request!.headers['webhook-signature']!.split(' ');
    new Webhook(rotated.secret).verify(request!.body, { ...request!.headers, 'webhook-signature': newest! });
    expect(() =>
      new Webhook(hook.secret).verify(request!.body, { ...request!.headers, 'webhook-signature': newest! }),
    ).toThrow();
  });

  it('drops a pending delivery of a channel disabled meanwhile, and records an unreadable secret as a failed attempt', async () => {
    const { org, hook, deliveryId } = await pending('status/500');
    await api(org.apiKey, `/v1/webhooks/${hook.id}`, json('PATCH', { enabled: false }));
    const { env: e } = capturingEnv();
    await env.DB.prepare('UPDATE deliveries SET next_attempt_at = NULL WHERE id = ?').bind(deliveryId).run();
    expect(await runDelivery(e, { type: 'webhook.deliver', orgId: org.orgId, deliveryId, attempts: 1 })).toBe('failed');
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ state: 'failed', attempts: 1 });

    const other = await pending('ok');
    await env.DB.prepare("UPDATE deliveries SET state = 'pending', next_attempt_at = NULL WHERE id = ?")
      .bind(other.deliveryId)
      .run();
    const wrongKey = capturingEnv({ WEBHOOK_SECRETS_KEY: btoa('another key, thirty-two bytes!!!') });
    expect(
      await runDelivery(wrongKey.env, {
        type: 'webhook.deliver',
        orgId: other.org.orgId,
        deliveryId: other.deliveryId,
      }),
    ).toBe('retrying');
    const attempts = await attemptsOf(other.deliveryId);
    expect(attempts.at(-1)!.error).toMatch(/^cannot sign: /);
    expect(await received(other.key)).toHaveLength(1);
  });

  it('finishes an attempt its message claimed before the handler died, when the queue hands it over again', async () => {
    const { key, deliveryId, next: msg } = await pending('status/500');
    // As if a handler had claimed attempt 2 (the count is 2) and thrown before recording it.
    await env.DB.prepare('UPDATE deliveries SET attempts = 2, next_attempt_at = NULL WHERE id = ?')
      .bind(deliveryId)
      .run();
    const { env: e, sent } = capturingEnv({ WEBHOOK_RETRY_SCHEDULE: '0s,0s,0s' });
    expect(await runDelivery(e, msg, { queueAttempts: 1 })).toBe('skipped');
    expect(await runDelivery(e, msg, { queueAttempts: 2 })).toBe('retrying');
    expect((await attemptsOf(deliveryId)).map((a) => a.attempt)).toEqual([1, 2]);
    expect(sent[0]!.body).toMatchObject({ attempts: 2 });
    // Handed over once more, the same message finds its attempt recorded and only re-sends the follow-up.
    expect(await runDelivery(e, msg, { queueAttempts: 3 })).toBe('waiting');
    expect(await received(key)).toHaveLength(2);
  });
});

describe('the queue handler', () => {
  it('acknowledges every kind of message, and retries only one whose handling threw', async () => {
    const { org, deviceId } = await freshOrg();
    const incidentId = await seedIncident(org.orgId, { deviceId });
    const batch = createMessageBatch<unknown>('edgewatch-alerts', [
      { id: 'n1', timestamp: new Date(), attempts: 1, body: notify(org.orgId, incidentId) },
      {
        id: 'd1',
        timestamp: new Date(),
        attempts: 1,
        body: { type: 'webhook.deliver', orgId: org.orgId, deliveryId: 'dlv_none' },
      },
      { id: 'h1', timestamp: new Date(), attempts: 1, body: { type: 'health.ping', at: Date.now() } },
      { id: 'u1', timestamp: new Date(), attempts: 1, body: 'garbage' },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(['d1', 'h1', 'n1', 'u1']);
    expect(result.retryMessages).toEqual([]);

    const failing = createMessageBatch('edgewatch-alerts', [
      { id: 'f1', timestamp: new Date(), attempts: 2, body: notify(org.orgId, incidentId) },
    ]);
    const broken = {
      ...env,
      DB: {
        prepare: () => {
          throw new Error('D1 is down');
        },
      },
    } as unknown as Env;
    await worker.queue(failing, broken);
    const retried = await getQueueResult(failing, createExecutionContext());
    expect(retried.retryMessages).toEqual([expect.objectContaining({ msgId: 'f1' })]);
    expect(retried.explicitAcks).toEqual([]);
  });

  it('marks a delivery whose message was dead-lettered by the queue dead', async () => {
    const { hook, deliveryId } = await (async () => {
      const key = newKey();
      const h = await createChannel(org, { url: receiverUrl(key, 'status/500') });
      await env.DB.prepare(
        `INSERT INTO deliveries (id, org_id, webhook_id, event_type, body, state, attempts, created_at)
         VALUES (?, ?, ?, 'webhook.test', '{}', 'pending', 2, ?)`,
      )
        .bind(`dlv_dlq_${key}`, org.orgId, h.id, Date.now())
        .run();
      return { hook: h, deliveryId: `dlv_dlq_${key}` };
    })();
    const batch = createMessageBatch('edgewatch-alerts-dlq', [
      { id: 'x1', timestamp: new Date(), attempts: 1, body: { type: 'webhook.deliver', orgId: org.orgId, deliveryId } },
    ]);
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(['x1']);
    expect((await deliveriesOf(hook.id))[0]).toMatchObject({ state: 'dead' });
  });
});

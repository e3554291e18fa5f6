import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import type { IPublishPacket, ISubackPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import type { AlertNotifyMessage, AlertTransition } from '../../schema/wire/alerts.ts';
import { mqttTopics, type MqttConfigMessage } from '../../schema/wire/mqtt.ts';
import type { HostNotice } from '../../schema/wire/notices.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { newId } from '../../workers/src/services/credentials/crypto.ts';
import { PUSHES_PER_MESSAGE, type ConfigPushMessage } from '../../workers/src/services/agents/config-push.ts';
import { MAX_NOTICE_TARGETS } from '../../workers/src/services/notify/host-notices.ts';
import { handleAlertNotify } from '../../workers/src/services/notify/notify.ts';
import worker from '../../workers/src/index.ts';
import { runCron } from '../../workers/src/services/storage/cron.ts';
import { addBareDevices, api, enroll, seedOrg, type TestOrg } from './helpers.ts';
import { connectDevice } from './mqtt-client.ts';
import { capturingEnv, createChannel, json, newKey, receiverUrl, seedIncident, seedRule } from './notify-helpers.ts';

/**
 * Channels of kind `host` (issue 16): an incident transition becomes a notice for each device the
 * channel targets (`hosts`: the devices its filters cover, or the incident's own), carried by
 * that device's agent config (poll with ETag, MQTT push). Devices outside the targets and other
 * orgs never see it; a redelivered message adds nothing.
 */

async function orgWithDevices(...names: string[]) {
  const org = await seedOrg();
  const devices = [];
  for (const name of names) devices.push(await enroll(org, name));
  return { org, devices };
}

const hostChannel = (org: TestOrg, extra: Record<string, unknown> = {}) =>
  createChannel(org, { name: 'On this host', kind: 'host', ...extra });
/** A host channel whose notices go only to the incident's own device. */
const ownHostChannel = (org: TestOrg, extra: Record<string, unknown> = {}) =>
  hostChannel(org, { hosts: 'incident', ...extra });

const notify = (
  orgId: string,
  incidentId: string,
  transition: AlertTransition = 'firing',
  extra: Partial<AlertNotifyMessage> = {},
): AlertNotifyMessage => ({
  type: 'alert.notify',
  orgId,
  incidentId,
  transition,
  repeat: false,
  at: Date.now(),
  ...extra,
});

async function poll(deviceToken: string, etag?: string) {
  const res = await api(deviceToken, '/v1/agents/config', etag ? { headers: { 'if-none-match': etag } } : {});
  const body = res.status === 200 ? ((await res.json()) as { notices: HostNotice[] }) : undefined;
  return { status: res.status, etag: res.headers.get('etag')!, notices: body?.notices };
}

describe('host channels', () => {
  it('have no URL and no secret, and refuse what needs one', async () => {
    const { org } = await orgWithDevices();
    const res = await api(org.apiKey, '/v1/webhooks', json('POST', { name: 'Terminals', kind: 'host' }));
    expect(res.status).toBe(201);
    const channel = (await res.json()) as Record<string, unknown>;
    expect(channel).toMatchObject({ kind: 'host', url: null, secretPrefix: null, filters: {}, hosts: 'covered' });
    expect(channel).not.toHaveProperty('secret');

    const withUrl = await api(
      org.apiKey,
      '/v1/webhooks',
      json('POST', { name: 'x', kind: 'host', url: 'https://hooks.example.com/a' }),
    );
    expect(withUrl.status).toBe(400);
    expect((await withUrl.json()) as object).toMatchObject({ error: { code: 'invalid_input', field: 'url' } });
    const noUrl = await api(org.apiKey, '/v1/webhooks', json('POST', { name: 'x', kind: 'slack' }));
    expect(noUrl.status).toBe(400);
    expect(((await noUrl.json()) as { error: { field: string; message: string } }).error).toMatchObject({
      field: 'url',
      message: expect.stringContaining('https://hooks.example.com/edgewatch'),
    });

    const id = channel.id as string;
    const patch = await api(org.apiKey, `/v1/webhooks/${id}`, json('PATCH', { url: 'https://hooks.example.com/a' }));
    expect(patch.status).toBe(400);
    const retarget = await api(org.apiKey, `/v1/webhooks/${id}`, json('PATCH', { hosts: 'incident' }));
    expect(retarget.status).toBe(200);
    expect((await retarget.json()) as object).toMatchObject({ hosts: 'incident' });
    const wrong = await api(org.apiKey, `/v1/webhooks/${id}`, json('PATCH', { hosts: 'everyone' }));
    expect(wrong.status).toBe(400);
    expect((await wrong.json()) as object).toMatchObject({ error: { code: 'invalid_input', field: 'hosts' } });
    // Only a host channel has targets.
    const hook = await createChannel(org, { url: receiverUrl(newKey()) });
    expect(hook).toMatchObject({ kind: 'generic', hosts: null });
    const onUrl = await api(org.apiKey, `/v1/webhooks/${hook.id}`, json('PATCH', { hosts: 'covered' }));
    expect(onUrl.status).toBe(400);
    expect((await onUrl.json()) as object).toMatchObject({ error: { code: 'invalid_input', field: 'hosts' } });
    for (const path of ['rotate-secret', 'test']) {
      const r = await api(org.apiKey, `/v1/webhooks/${id}/${path}`, json('POST', {}));
      expect(r.status).toBe(409);
      expect((await r.json()) as object).toMatchObject({ error: { code: 'not_supported' } });
    }
    const list = (await (await api(org.apiKey, '/v1/webhooks')).json()) as { webhooks: unknown[] };
    expect(list.webhooks).toContainEqual(expect.objectContaining({ id, url: null, secretPrefix: null }));
  });

  it("delivers an incident's transitions to its own device's config, once each, and to no one else", async () => {
    const { org, devices } = await orgWithDevices('web-1', 'web-2');
    const [mine, neighbour] = devices as [(typeof devices)[0], (typeof devices)[0]];
    const other = await orgWithDevices('web-1');
    const otherDevice = other.devices[0]!;
    const channel = await ownHostChannel(org);
    // A second host channel, and the other org's own over all its devices: still one notice, and only in this org.
    await ownHostChannel(org, { name: 'Second' });
    await hostChannel(other.org);

    const before = await poll(mine.deviceToken);
    expect(before.notices).toEqual([]);
    const neighbourBefore = await poll(neighbour.deviceToken);
    const otherBefore = await poll(otherDevice.deviceToken);

    const incidentId = await seedIncident(org.orgId, { deviceId: mine.deviceId, ruleName: 'Disk almost full' });
    const { env: e } = capturingEnv({ PUBLIC_URL: 'https://edgewatch.example' });
    const firing = notify(org.orgId, incidentId);
    expect(await handleAlertNotify(e, firing)).toEqual({});
    // Queues deliver at least once: the same message again adds nothing.
    await handleAlertNotify(e, firing);
    // A repeat of a still-firing incident is not shown on the host again.
    await handleAlertNotify(e, notify(org.orgId, incidentId, 'firing', { repeat: true, at: firing.at + 1 }));

    const after = await poll(mine.deviceToken, before.etag);
    expect(after.status).toBe(200);
    expect(after.etag).not.toBe(before.etag);
    expect(after.notices).toEqual([
      {
        id: expect.any(Number),
        at: firing.at,
        transition: 'firing',
        severity: 'critical',
        incidentId,
        ruleName: 'Disk almost full',
        device: { id: mine.deviceId, name: 'web-1' },
        summary: 'disk_used_percent{mount="/"} is 95.5, above 90 (value 95.5, threshold 90)',
        title: '[Firing · CRITICAL] Disk almost full on web-1',
        url: `https://edgewatch.example/incidents/${incidentId}`,
      },
    ]);
    // Unchanged since: 304 with the new ETag.
    expect((await poll(mine.deviceToken, after.etag)).status).toBe(304);
    // Neither the neighbour nor the other org's device got anything: their answers did not change.
    expect((await poll(neighbour.deviceToken, neighbourBefore.etag)).status).toBe(304);
    expect((await poll(otherDevice.deviceToken, otherBefore.etag)).status).toBe(304);

    // Acknowledged and resolved follow, with higher ids, oldest first.
    await handleAlertNotify(e, notify(org.orgId, incidentId, 'acknowledged', { at: firing.at + 10 }));
    await handleAlertNotify(e, notify(org.orgId, incidentId, 'resolved', { at: firing.at + 20 }));
    const later = (await poll(mine.deviceToken)).notices!;
    expect(later.map((n) => n.transition)).toEqual(['firing', 'acknowledged', 'resolved']);
    expect(later.map((n) => n.id)).toEqual([...later.map((n) => n.id)].sort((a, b) => a - b));
    expect(new Set(later.map((n) => n.id)).size).toBe(3);
    expect(later[2]!.title).toBe('[Resolved · CRITICAL] Disk almost full on web-1');

    // Host channels make no deliveries.
    const log = (await (await api(org.apiKey, `/v1/webhooks/${channel.id}/deliveries`)).json()) as {
      deliveries: unknown[];
    };
    expect(log.deliveries).toEqual([]);
  });

  it('sends notices and webhook deliveries side by side', async () => {
    const { org, devices } = await orgWithDevices('db-1');
    const device = devices[0]!;
    await hostChannel(org);
    await createChannel(org, { url: receiverUrl(newKey()) });
    const incidentId = await seedIncident(org.orgId, { deviceId: device.deviceId });
    const results = await handleAlertNotify(capturingEnv().env, notify(org.orgId, incidentId));
    expect(Object.values(results)).toEqual(['delivered']);
    expect((await poll(device.deviceToken)).notices).toHaveLength(1);
  });

  it("applies the channel's filters to incidents: devices, tags, severities", async () => {
    const { org, devices } = await orgWithDevices('a', 'b', 'c');
    const [a, b, c] = devices as [(typeof devices)[0], (typeof devices)[0], (typeof devices)[0]];
    await hostChannel(org, { filters: { deviceIds: [a.deviceId] } });
    await ownHostChannel(org, { filters: { tags: ['db'], severities: ['critical'] } });
    const { env: e } = capturingEnv();
    for (const [device, tags, severity] of [
      [a, [], 'warning'],
      [b, ['db'], 'critical'],
      [c, ['db'], 'warning'],
      [c, ['web'], 'critical'],
    ] as const) {
      const id = await seedIncident(org.orgId, { deviceId: device.deviceId, tags: [...tags], severity });
      await handleAlertNotify(e, notify(org.orgId, id));
    }
    expect((await poll(a.deviceToken)).notices).toHaveLength(1);
    expect((await poll(b.deviceToken)).notices).toHaveLength(1);
    expect((await poll(c.deviceToken)).notices).toEqual([]);
  });

  it('pushes the notice to a device connected over MQTT at once, or through the queue when its hub could not be reached', async () => {
    const { org, devices } = await orgWithDevices('mqtt-1', 'mqtt-2');
    const [mine, neighbour] = devices as [(typeof devices)[0], (typeof devices)[0]];
    await ownHostChannel(org);
    const subscribe = async (device: typeof mine) => {
      const client = await connectDevice(5, device);
      const topic = mqttTopics(device.deviceId).config;
      client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos: 0 }] });
      expect(((await client.next('suback')) as ISubackPacket).granted).toEqual([0]);
      const first = JSON.parse(String(((await client.next('publish')) as IPublishPacket).payload)) as MqttConfigMessage;
      expect(first.notices).toEqual([]);
      return client;
    };
    const client = await subscribe(mine);
    const neighbourClient = await subscribe(neighbour);

    const incidentId = await seedIncident(org.orgId, { deviceId: mine.deviceId });
    const firing = notify(org.orgId, incidentId);
    // The notice is stored, but the call to the device's hub fails.
    const { env: e, sent } = capturingEnv();
    const unreachable = {
      ...e,
      DEVICE_HUB: {
        ...env.DEVICE_HUB,
        idFromName: env.DEVICE_HUB.idFromName.bind(env.DEVICE_HUB),
        get: () => ({ configChanged: () => Promise.reject(new Error('hub unreachable')) }),
      },
    } as unknown as Env;
    await handleAlertNotify(unreachable, firing);
    // That hub goes to the queue, whose consumer tells it (and is retried while it cannot): it pushes the notice.
    expect(sent.map((m) => m.body as unknown)).toEqual([{ type: 'config.push', deviceIds: [mine.deviceId] }]);
    const stillDown = createMessageBatch<unknown>('edgewatch-alerts', [
      { id: 'p0', timestamp: new Date(), attempts: 1, body: sent[0]!.body },
    ]);
    await worker.queue(stillDown, unreachable);
    expect((await getQueueResult(stillDown, createExecutionContext())).retryMessages).toEqual([
      expect.objectContaining({ msgId: 'p0' }),
    ]);
    const batch = createMessageBatch<unknown>('edgewatch-alerts', [
      { id: 'p1', timestamp: new Date(), attempts: 1, body: sent[0]!.body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['p1']);
    const pushed = (await client.next('publish')) as IPublishPacket;
    expect(pushed).toMatchObject({ topic: mqttTopics(mine.deviceId).config, retain: false });
    const update = JSON.parse(String(pushed.payload)) as MqttConfigMessage;
    expect(update.notices).toEqual([expect.objectContaining({ incidentId, transition: 'firing' })]);
    expect(update.etag).toBe((await poll(mine.deviceToken)).etag);

    // The neighbour's session is sent nothing: a config change of its own arrives first.
    const put = await api(
      org.apiKey,
      `/v1/devices/${neighbour.deviceId}/agent-config`,
      json('PUT', { notices: { wall: true, journal: false } }),
    );
    expect(put.status).toBe(200);
    const next = JSON.parse(
      String(((await neighbourClient.next('publish')) as IPublishPacket).payload),
    ) as MqttConfigMessage;
    expect(next.config.notices).toEqual({ wall: true, journal: false });
    expect(next.notices).toEqual([]);
  });

  it('keeps at most 20, the newest, and the cron deletes those older than a week', async () => {
    const { org, devices } = await orgWithDevices('busy');
    const device = devices[0]!;
    await hostChannel(org);
    const { env: e } = capturingEnv();
    const incidentId = await seedIncident(org.orgId, { deviceId: device.deviceId });
    const at = Date.now();
    for (let i = 0; i < 23; i++) {
      await handleAlertNotify(e, notify(org.orgId, incidentId, i % 2 ? 'resolved' : 'firing', { at: at + i }));
    }
    const { notices } = await poll(device.deviceToken);
    expect(notices).toHaveLength(20);
    expect(notices!.map((n) => n.at)).toEqual(Array.from({ length: 20 }, (_, i) => at + 3 + i));

    await env.DB.prepare('UPDATE host_notices SET created_at = created_at - ? WHERE device_id = ?')
      .bind(8 * 86_400_000, device.deviceId)
      .run();
    // The hub answers polls from its copy until told of a change (or an hour passes).
    await deviceHubFor(env, device.deviceId).configChanged();
    expect((await poll(device.deviceToken)).notices).toEqual([]);
    await runCron(env, Date.now());
    const left = await env.DB.prepare('SELECT count(*) AS n FROM host_notices WHERE device_id = ?')
      .bind(device.deviceId)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });
  it('send a notice to every live device the filters cover (sites, tags, or the whole org), within the org', async () => {
    const { org, devices } = await orgWithDevices('a', 'b', 'c', 'd', 'revoked');
    const [a, b, c, d, revoked] = devices as [(typeof devices)[0], ...(typeof devices)[0][]];
    const other = await orgWithDevices('o');
    await hostChannel(other.org);
    const site = newId('site');
    await env.DB.prepare('INSERT INTO sites (id, org_id, name, created_at) VALUES (?, ?, ?, ?)')
      .bind(site, org.orgId, 'Plant', Date.now())
      .run();
    const place = (
      device: { deviceId: string },
      siteId: string | null,
      tags: string[],
      revokedAt: number | null = null,
    ) =>
      env.DB.prepare('UPDATE devices SET site_id = ?, tags = ?, revoked_at = ? WHERE id = ?')
        .bind(siteId, JSON.stringify(tags), revokedAt, device.deviceId)
        .run();
    await place(a, site, ['db']);
    await place(b!, site, []);
    await place(c!, null, ['db']);
    await place(d!, null, ['web']);
    await place(revoked!, site, [], Date.now());
    const before = await Promise.all([a, b!, c!, d!, other.devices[0]!].map((x) => poll(x.deviceToken)));

    await hostChannel(org, { name: 'The plant', filters: { siteIds: [site] } });
    await hostChannel(org, { name: 'Databases', filters: { tags: ['db'], severities: ['critical'] } });
    // Passes no incident here: its rule is another.
    await hostChannel(org, { name: 'Everyone, for one rule', filters: { ruleIds: [await seedRule(org.orgId)] } });
    const incidentId = await seedIncident(org.orgId, { deviceId: a.deviceId, siteId: site, tags: ['db'] });
    await handleAlertNotify(capturingEnv().env, notify(org.orgId, incidentId));

    // The site's devices and the tagged ones: one notice each, about a; d, the revoked device and the other org get none.
    const rows = await env.DB.prepare('SELECT device_id, org_id FROM host_notices WHERE incident_id = ?')
      .bind(incidentId)
      .all<{ device_id: string; org_id: string }>();
    expect(rows.results.map((r) => r.device_id).sort()).toEqual([a.deviceId, b!.deviceId, c!.deviceId].sort());
    expect(new Set(rows.results.map((r) => r.org_id))).toEqual(new Set([org.orgId]));
    for (const x of [a, b!, c!]) {
      expect((await poll(x.deviceToken)).notices).toEqual([
        expect.objectContaining({
          incidentId,
          device: { id: a.deviceId, name: 'a' },
          title: expect.stringMatching(/ on a$/),
        }),
      ]);
    }
    expect((await poll(d!.deviceToken, before[3]!.etag)).status).toBe(304);
    expect((await poll(other.devices[0]!.deviceToken, before[4]!.etag)).status).toBe(304);

    // Without device, site or tag filters a channel covers the whole org: d now gets the next transition too.
    await hostChannel(org, { name: 'Everyone' });
    await handleAlertNotify(capturingEnv().env, notify(org.orgId, incidentId, 'resolved'));
    expect((await poll(d!.deviceToken)).notices).toEqual([
      expect.objectContaining({ incidentId, transition: 'resolved' }),
    ]);
    expect((await poll(other.devices[0]!.deviceToken, before[4]!.etag)).status).toBe(304);
    const revokedRows = await env.DB.prepare('SELECT count(*) AS n FROM host_notices WHERE device_id = ?')
      .bind(revoked!.deviceId)
      .first<{ n: number }>();
    expect(revokedRows?.n).toBe(0);
  });

  it('push the first 50 devices at once and the rest through the queue, and stop at 1,000 devices', async () => {
    const { org, devices } = await orgWithDevices('own', 'far');
    const [own, far] = devices as [(typeof devices)[0], (typeof devices)[0]];
    // Devices made straight in D1, with ids that sort before any enrolled one: far comes after them.
    await addBareDevices(org.orgId, 60);
    const farBefore = await poll(far.deviceToken);
    await hostChannel(org);
    const incidentId = await seedIncident(org.orgId, { deviceId: own.deviceId });
    const { env: e, sent } = capturingEnv();
    await handleAlertNotify(e, notify(org.orgId, incidentId));

    // 62 targets: the incident's own device and 49 more pushed now; 12 queued, far among them.
    const pushes = sent.map((m) => m.body as unknown as ConfigPushMessage);
    expect(pushes).toEqual([{ type: 'config.push', deviceIds: expect.any(Array) }]);
    expect(pushes[0]!.deviceIds).toHaveLength(12);
    expect(pushes[0]!.deviceIds).toContain(far.deviceId);
    expect((await poll(own.deviceToken)).notices).toHaveLength(1);
    // Until its hub is told, far's agent is answered from the hub's copy of its config.
    expect((await poll(far.deviceToken, farBefore.etag)).status).toBe(304);
    const batch = createMessageBatch<unknown>('edgewatch-alerts', [
      { id: 'p1', timestamp: new Date(), attempts: 1, body: pushes[0] },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(['p1']);
    const farAfter = await poll(far.deviceToken, farBefore.etag);
    expect(farAfter.status).toBe(200);
    expect(farAfter.notices).toEqual([
      expect.objectContaining({ incidentId, device: { id: own.deviceId, name: 'own' } }),
    ]);

    // Past 1,000 devices the notice stops, the incident's own device always among them.
    await addBareDevices(org.orgId, 1000 - 60 + 100, 60);
    sent.length = 0;
    await handleAlertNotify(e, notify(org.orgId, incidentId, 'acknowledged'));
    const acked = await env.DB.prepare(
      "SELECT device_id FROM host_notices WHERE incident_id = ? AND notice ->> 'transition' = 'acknowledged'",
    )
      .bind(incidentId)
      .all<{ device_id: string }>();
    expect(acked.results).toHaveLength(MAX_NOTICE_TARGETS);
    expect(acked.results.map((r) => r.device_id)).toContain(own.deviceId);
    const queued = sent.flatMap((m) => (m.body as unknown as ConfigPushMessage).deviceIds);
    expect(queued).toHaveLength(MAX_NOTICE_TARGETS - PUSHES_PER_MESSAGE);
    expect(Math.max(...sent.map((m) => (m.body as unknown as ConfigPushMessage).deviceIds.length))).toBe(50);
  });
});

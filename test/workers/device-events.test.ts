import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../schema/wire/stream.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { getMeta, setMeta } from '../../workers/src/objects/device-hub/store.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { connectDevice, publish } from './mqtt-client.ts';

const WINDOW_MS = Number(env.ONLINE_WINDOW_SECONDS) * 1000;

async function deviceEvents(org: TestOrg, deviceId: string): Promise<StreamEvent[]> {
  const res = await api(org.apiKey, `/v1/events?subject=org.${org.orgId}.site.*.device.${deviceId}.event.*`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: StreamEvent[] }).events;
}

let n = 0;
async function send(deviceToken: string, agent?: { version: string; hostname?: string; startedAt?: number }) {
  const batchId = `b-${Date.now()}-${n++}`;
  const res = await ingest(deviceToken, {
    batchId,
    samples: [{ metric: 'cpu_usage_percent', ts: Date.now(), value: 1 }],
    ...(agent ? { agent } : {}),
  });
  expect(res.status).toBe(200);
  return batchId;
}

/** Moves the device's last batch into the past, as if the device had been quiet since. */
async function backdateLastSeen(deviceId: string, byMs: number): Promise<void> {
  await runInDurableObject(deviceHubFor(env, deviceId), (_hub, state) => {
    const seen = getMeta<{ lastSeenAt: number }>(state.storage.sql, 'seen')!;
    setMeta(state.storage.sql, 'seen', { ...seen, lastSeenAt: seen.lastSeenAt - byMs });
  });
}

describe('device events on the HTTPS path', () => {
  it('records device.online on the first batch, with the batch id, and not again within the window', async () => {
    const org = await seedOrg();
    const { deviceId, deviceToken } = await enroll(org);
    const first = await send(deviceToken);
    await send(deviceToken);
    const events = await deviceEvents(org, deviceId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'device.online',
      subject: `org.${org.orgId}.site._.device.${deviceId}.event.device_online`,
      correlationId: first,
      data: { transport: 'https', lastSeenAt: null },
    });
  });

  it('records device.offline once from the alarm after a silent window, then online on the next batch', async () => {
    const org = await seedOrg();
    const { deviceId, deviceToken } = await enroll(org);
    await send(deviceToken);
    const hub = deviceHubFor(env, deviceId);

    // Within the window the alarm only flushes.
    await runDurableObjectAlarm(hub);
    expect((await deviceEvents(org, deviceId)).map((e) => e.type)).toEqual(['device.online']);
    expect(await hub.stats()).toMatchObject({ dirtyMinutes: 0 });

    await backdateLastSeen(deviceId, WINDOW_MS + 1000);
    await runInDurableObject(hub, async (_h, state) => {
      // The flush re-armed the alarm for the offline check rather than dropping it.
      expect(await state.storage.getAlarm()).not.toBeNull();
    });
    await runDurableObjectAlarm(hub);
    // Alarms are at-least-once: a second run must not record a second offline.
    await runInDurableObject(hub, (h) => h.alarm());
    const afterQuiet = await deviceEvents(org, deviceId);
    expect(afterQuiet.map((e) => e.type)).toEqual(['device.online', 'device.offline']);
    expect(afterQuiet[1]).toMatchObject({
      subject: `org.${org.orgId}.site._.device.${deviceId}.event.device_offline`,
      data: { transport: 'https', reason: 'no_data', windowSeconds: WINDOW_MS / 1000 },
    });

    const back = await send(deviceToken);
    const events = await deviceEvents(org, deviceId);
    expect(events.map((e) => e.type)).toEqual(['device.online', 'device.offline', 'device.online']);
    expect(events[2]!.correlationId).toBe(back);
  });

  it('records the missed offline before the online when a batch ends a silence the alarm did not see', async () => {
    const org = await seedOrg();
    const { deviceId, deviceToken } = await enroll(org);
    await send(deviceToken);
    await backdateLastSeen(deviceId, WINDOW_MS + 5000);
    const back = await send(deviceToken);
    const fromBatch = (await deviceEvents(org, deviceId)).filter((e) => e.correlationId === back);
    // The offline is dated when the window ran out, before the batch that ended the silence.
    expect(fromBatch.map((e) => e.type)).toEqual(['device.offline', 'device.online']);
    const [offline, online] = fromBatch as [StreamEvent, StreamEvent];
    expect(offline.ts).toBe((offline.data.lastSeenAt as number) + WINDOW_MS + 1);
    expect(offline.ts).toBeLessThan(online.ts);
  });

  it('records agent.started when a batch carries a new agent startedAt, once per start', async () => {
    const org = await seedOrg();
    const { deviceId, deviceToken } = await enroll(org);
    const startedAt = Date.now() - 10_000;
    const first = await send(deviceToken, { version: '1.0.0', hostname: 'h1', startedAt });
    await send(deviceToken, { version: '1.0.0', hostname: 'h1', startedAt });
    await send(deviceToken, { version: '1.0.0', hostname: 'h1' });
    const restart = await send(deviceToken, { version: '1.1.0', hostname: 'h1', startedAt: startedAt + 5000 });

    const started = (await deviceEvents(org, deviceId)).filter((e) => e.type === 'agent.started');
    expect(started.map((e) => [e.correlationId, e.data])).toEqual([
      [first, { version: '1.0.0', hostname: 'h1', startedAt, previousStartedAt: null }],
      [restart, { version: '1.1.0', hostname: 'h1', startedAt: startedAt + 5000, previousStartedAt: startedAt }],
    ]);
    expect(started[0]!.subject).toBe(`org.${org.orgId}.site._.device.${deviceId}.event.agent_started`);
  });

  it('refuses a startedAt that is not epoch milliseconds', async () => {
    const org = await seedOrg();
    const { deviceToken } = await enroll(org);
    const res = await ingest(deviceToken, {
      batchId: 'b-bad-start',
      samples: [{ metric: 'x', ts: Date.now(), value: 1 }],
      agent: { version: '1', startedAt: 'yesterday' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { field: 'agent.startedAt' } });
  });

  it('leaves online and offline to the MQTT session while one is attached', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'mqtt-presence');
    const client = await connectDevice(4, device);
    publish(client, device.deviceId, batch('mq-presence-1', [{ metric: 'load1', ts: Date.now(), value: 1 }]));
    await client.next('puback');
    await backdateLastSeen(device.deviceId, WINDOW_MS + 1000);
    await runInDurableObject(deviceHubFor(env, device.deviceId), (h) => h.alarm());
    const events = await deviceEvents(org, device.deviceId);
    expect(events.map((e) => [e.type, e.data.transport])).toEqual([['device.online', 'mqtt']]);
  });
});

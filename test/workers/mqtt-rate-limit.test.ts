import { env } from 'cloudflare:test';
import type { IPubackPacket } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MQTT5_REASON } from '../../schema/wire/mqtt.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { ingestLimit } from '../../workers/src/services/ingest/token-bucket.ts';
import { batch, enroll, seedOrg } from './helpers.ts';
import { connectDevice, publish } from './mqtt-client.ts';

describe('MQTT ingest rate limit', () => {
  it('refuses a device past its ingest budget with PUBACK 0x97 and stores nothing for it', async () => {
    const org = await seedOrg();
    const device = await enroll(org, 'mqtt-chatty');
    const client = await connectDevice(5, device);
    const base = Date.now() - 3600_000;
    let refused: IPubackPacket | undefined;
    let stored = 0;
    // The bucket lets INGEST_BURST through at once, then refills: the limit shows well within twice that.
    for (let i = 0; i < 2 * ingestLimit(env).burst && !refused; i++) {
      publish(client, device.deviceId, batch(`rl-${i}`, [{ metric: 'm', ts: base + i, value: i }]));
      const ack = (await client.next('puback')) as IPubackPacket;
      if (ack.reasonCode === MQTT5_REASON.quotaExceeded) refused = ack;
      else {
        expect(ack.reasonCode).toBe(0);
        stored++;
      }
    }
    expect(refused?.properties?.reasonString).toMatch(/rate limit/);
    // Every acknowledged batch is stored, the refused one is not.
    expect((await deviceHubFor(env, device.deviceId).stats()).samples).toBe(stored);

    // Another device of the same org has its own budget.
    const other = await enroll(org, 'mqtt-quiet');
    const otherClient = await connectDevice(5, other);
    publish(otherClient, other.deviceId, batch('quiet-1', [{ metric: 'm', ts: base, value: 1 }]));
    expect(((await otherClient.next('puback')) as IPubackPacket).reasonCode).toBe(0);
    // Up to twice the burst of QoS 1 publishes over a real socket: room for a loaded machine.
  }, 30_000);
});

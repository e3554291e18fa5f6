import { SELF } from 'cloudflare:test';
import type { IConnackPacket, IDisconnectPacket } from 'mqtt-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { enroll, seedOrg, type TestOrg } from './helpers.ts';
import { connectDevice, connectMqtt, deviceEvents, eventually, openMqtt, upgradeMqtt } from './mqtt-client.ts';

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };

beforeAll(async () => {
  org = await seedOrg();
  device = await enroll(org, 'mqtt-connect');
});

describe('GET /mqtt', () => {
  it('answers a request without Upgrade: websocket with 426 and a JSON error', async () => {
    const res = await SELF.fetch('http://x/mqtt');
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: { code: 'upgrade_required' } });
  });

  it('refuses a WebSocket that offers only other subprotocols', async () => {
    const res = await upgradeMqtt({ 'Sec-WebSocket-Protocol': 'graphql-ws' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'unsupported_subprotocol' } });
  });

  it('accepts the upgrade and echoes the mqtt subprotocol', async () => {
    const client = await openMqtt();
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('answers a CONNECT for MQTT 3.1 (level 3) with return code 1 and closes', async () => {
    const client = await openMqtt(4);
    client.send({
      cmd: 'connect',
      protocolId: 'MQIsdp',
      protocolVersion: 3,
      clientId: 'old',
      clean: true,
      keepalive: 10,
    });
    expect(await client.next('connack')).toMatchObject({ returnCode: 1 });
    await client.closed;
  });

  it('closes a connection whose first packet is not CONNECT', async () => {
    const client = await openMqtt(4);
    client.send({ cmd: 'pingreq' });
    await client.closed;
  });
});

for (const version of [4, 5] as const) {
  const code = (connack: IConnackPacket) => (version === 5 ? connack.reasonCode : connack.returnCode);
  const badCredentials = version === 5 ? 0x86 : 4;
  const notAuthorized = version === 5 ? 0x87 : 5;

  describe(`MQTT ${version === 5 ? '5' : '3.1.1'} CONNECT`, () => {
    it('refuses a wrong secret with "bad user name or password" and closes', async () => {
      const token = device.deviceToken.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      const { client, connack } = await connectMqtt(version, { username: device.deviceId, password: token });
      expect(code(connack)).toBe(notAuthorized);
      await client.closed;
    });

    it('refuses a password that is not a device token', async () => {
      const { client, connack } = await connectMqtt(version, { username: device.deviceId, password: 'hunter2' });
      expect(code(connack)).toBe(badCredentials);
      await client.closed;
    });

    it('refuses a username that is not the token’s device', async () => {
      const { client, connack } = await connectMqtt(version, {
        username: 'dev_someoneelse00',
        password: device.deviceToken,
      });
      expect(code(connack)).toBe(badCredentials);
      await client.closed;
    });

    it('refuses a CONNECT without credentials', async () => {
      const { client, connack } = await connectMqtt(version, {});
      expect(code(connack)).toBe(badCredentials);
      await client.closed;
    });

    it('accepts the device token and records device.online with the session as correlation id', async () => {
      const before = (await deviceEvents(device.deviceId, 'device.online')).length;
      const client = await connectDevice(version, device);
      client.send({ cmd: 'pingreq' });
      await client.next('pingresp');
      const online = await eventually(async () => {
        const rows = await deviceEvents(device.deviceId, 'device.online');
        return rows.length > before ? rows.at(-1) : undefined;
      });
      expect(online.data).toMatchObject({ transport: 'mqtt', protocolVersion: version });
      expect(online.correlation_id).toMatch(/^[0-9a-f]{64}$/);
      expect(online.subject).toBe(`org.${org.orgId}.site._.device.${device.deviceId}.event.device_online`);
    });

    it('answers PINGREQ with PINGRESP, also with several packets in one frame and one packet over two frames', async () => {
      const client = await connectDevice(version, device);
      client.send({ cmd: 'pingreq' });
      expect(await client.next()).toEqual(expect.objectContaining({ cmd: 'pingresp' }));
      client.sendRaw(new Uint8Array([0xc0, 0x00, 0xc0, 0x00]));
      await client.next('pingresp');
      await client.next('pingresp');
      client.sendRaw(new Uint8Array([0xc0]));
      client.sendRaw(new Uint8Array([0x00]));
      await client.next('pingresp');
    });

    it('closes the connection on a second CONNECT', async () => {
      const client = await connectDevice(version, device);
      client.send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: version,
        clientId: 'x',
        clean: true,
        keepalive: 5,
      });
      if (version === 5) expect(await client.next('disconnect')).toMatchObject({ reasonCode: 0x82 });
      await client.closed;
    });
  });
}

describe('MQTT session takeover', () => {
  it('closes the older connection of a device that connects again, without an offline event', async () => {
    const offline = (await deviceEvents(device.deviceId, 'device.offline')).length;
    const first = await connectDevice(5, device);
    const second = await connectDevice(5, device);
    expect((await first.next('disconnect')) as IDisconnectPacket).toMatchObject({ reasonCode: 0x8e });
    await first.closed;
    second.send({ cmd: 'pingreq' });
    await second.next('pingresp');
    second.send({ cmd: 'disconnect' });
    await second.closed;
    await new Promise((r) => setTimeout(r, 200));
    expect(await deviceEvents(device.deviceId, 'device.offline')).toHaveLength(offline);
  });
});

import { createSocket } from 'node:dgram';
import { platform } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { broadcastAddresses } from '../../agent/src/gateway/discovery-broadcast.ts';
import { parseDiscoveryReply, encodeDiscoveryReply } from '../../agent/src/gateway/discovery-protocol.ts';
import { discover, queryDestinations, type DiscoveredController } from '../../agent/src/gateway/discovery.ts';
import {
  startDiscoveryResponder,
  type DiscoveryResponder,
  type SimulatedReply,
} from '../../agent/src/gateway/simulator/discovery.ts';
import { createLogger } from '../../agent/src/log.ts';

/**
 * A 68-byte reply written byte by byte from the offsets, independently of the agent's
 * encoder, so a shared mistake cannot hide. Serial 0x9A3B2C1D (top byte ≥ 0x80), BACnet instance
 * 0x0012AB34 = 1223476, panel name "AHU-3 Roof" padded with NULs and a stray byte after the NUL.
 */
function handWrittenReply(): Buffer {
  const b = Buffer.alloc(68);
  b[0] = 0x65;
  b[1] = 0x00;
  b[4] = 0x1d;
  b[6] = 0x2c;
  b[8] = 0x3b;
  b[10] = 0x9a;
  b[12] = 74; // product id
  b[14] = 7; // Modbus id
  b[16] = 192;
  b[18] = 168;
  b[20] = 10;
  b[22] = 42;
  b[24] = 0xf6; // 502, little-endian
  b[25] = 0x01;
  b[26] = 0x0b; // firmware 523
  b[27] = 0x02;
  b[34] = 0xab;
  b[35] = 0x34;
  b[36] = 3; // panel number
  b.write('AHU-3 Roof', 37, 'latin1');
  b[50] = 0x58; // after the terminating NUL at 47: not part of the name
  b[57] = 0x00;
  b[58] = 0x12;
  b[60] = 0xc0; // 47808, little-endian
  b[61] = 0xba;
  return b;
}

describe('T3 discovery reply parsing', () => {
  it('reads every field of a 68-byte reply at the issue’s offsets', () => {
    const parsed = parseDiscoveryReply(handWrittenReply());
    expect(parsed).toEqual({
      ok: true,
      controller: {
        serial: 0x9a3b2c1d,
        productId: 74,
        modbusId: 7,
        ip: '192.168.10.42',
        port: 502,
        firmware: 523,
        parentSerial: null,
        panelNumber: 3,
        panelName: 'AHU-3 Roof',
        bacnetInstance: 1_223_476,
        bacnetPort: 47_808,
      },
    });
  });

  it('reads a 40-byte (old firmware) reply, leaving the fields past byte 39 null', () => {
    const parsed = parseDiscoveryReply(handWrittenReply().subarray(0, 40));
    expect(parsed.ok && parsed.controller).toMatchObject({
      serial: 0x9a3b2c1d,
      ip: '192.168.10.42',
      port: 502,
      panelNumber: 3,
      panelName: null,
      bacnetInstance: null,
      bacnetPort: null,
    });
  });

  it('reads a sub-device’s parent serial from bytes 30–33', () => {
    const reply = handWrittenReply();
    reply.writeUInt32LE(0x00bc614e, 30); // 12345678
    const parsed = parseDiscoveryReply(reply);
    expect(parsed.ok && parsed.controller.parentSerial).toBe(12_345_678);
  });

  it('refuses a controller in its bootloader (byte 59), short replies and other datagrams', () => {
    const boot = handWrittenReply();
    boot[59] = 1;
    expect(parseDiscoveryReply(boot)).toEqual({ ok: false, reason: 'bootloader', serial: 0x9a3b2c1d });
    expect(parseDiscoveryReply(handWrittenReply().subarray(0, 39))).toEqual({
      ok: false,
      reason: 'too-short',
      length: 39,
    });
    const wrongSecond = handWrittenReply();
    wrongSecond[1] = 0x01;
    expect(parseDiscoveryReply(wrongSecond)).toEqual({ ok: false, reason: 'not-a-reply' });
    expect(parseDiscoveryReply(Buffer.from([0x64, 0, 0, 0, 0]))).toEqual({ ok: false, reason: 'not-a-reply' });
  });

  it('encodes replies the parser reads back (the simulator speaks the same layout)', () => {
    const expected = handWrittenReply();
    expected[50] = 0; // the stray byte after the name's NUL, which the encoder does not write
    expect(encodeDiscoveryReply(fieldsOf(parsedHandWritten()))).toEqual(expected);
  });
});

function parsedHandWritten(): DiscoveredController {
  const parsed = parseDiscoveryReply(handWrittenReply());
  if (!parsed.ok) throw new Error('hand-written reply refused');
  return parsed.controller;
}

function fieldsOf(c: DiscoveredController): SimulatedReply {
  return { ...c, replyFrom: undefined } as SimulatedReply;
}

const base: SimulatedReply = {
  serial: 100_001,
  productId: 74,
  modbusId: 1,
  ip: '127.0.0.1',
  port: 10_502,
  firmware: 523,
  panelNumber: 1,
  panelName: 'Boiler room',
  bacnetInstance: 100_001,
  bacnetPort: 47_808,
};

describe('discover()', () => {
  let responders: DiscoveryResponder[] = [];
  afterEach(async () => {
    await Promise.all(responders.map((r) => r.close()));
    responders = [];
  });
  const respond = async (...args: Parameters<typeof startDiscoveryResponder>) => {
    const r = await startDiscoveryResponder(...args);
    responders.push(r);
    return r;
  };

  it('asks a given address and reports 68-byte, 40-byte and sub-device replies; skips bootloader and malformed ones with a debug line', async () => {
    const responder = await respond({
      replies: [
        base,
        { ...base, serial: 100_002, panelName: 'Old one', length: 40 },
        { ...base, serial: 200_001, modbusId: 5, parentSerial: 100_001, panelName: 'Fan coil 5' },
        { ...base, serial: 300_001, bootloader: true },
        Buffer.from([0x65, 0x00, 0x01, 0x02]),
        Buffer.from('hello'),
      ],
    });
    const lines: string[] = [];
    const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const found = await discover({ targets: [{ host: '127.0.0.1', port: responder.port }], timeoutMs: 300, log });

    const bySerial = new Map(found.map((c) => [c.serial, c]));
    expect([...bySerial.keys()].sort()).toEqual([100_001, 100_002, 200_001]);
    expect(bySerial.get(100_001)).toEqual({
      ...base,
      parentSerial: null,
      replyFrom: `127.0.0.1:${responder.port}`,
    });
    expect(bySerial.get(100_002)).toMatchObject({ panelName: null, bacnetInstance: null, bacnetPort: null });
    expect(bySerial.get(200_001)).toMatchObject({ parentSerial: 100_001, modbusId: 5, panelName: 'Fan coil 5' });
    expect(responder.queries).toBe(1);

    const skipped = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'discovery: reply skipped');
    expect(skipped.map((l) => [l.level, l.reason, l.bytes])).toEqual([
      ['debug', 'bootloader', 68],
      ['debug', 'too-short', 4],
      ['debug', 'not-a-reply', 5],
    ]);
  });

  it('keeps one entry per serial when a controller answers twice', async () => {
    const responder = await respond({ replies: [base, { ...base, panelName: 'second copy' }] });
    const lines: string[] = [];
    const found = await discover({
      targets: [{ host: '127.0.0.1', port: responder.port }],
      timeoutMs: 300,
      log: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    });
    expect(found.map((c) => [c.serial, c.panelName])).toEqual([[100_001, 'Boiler room']]);
    expect(lines.some((l) => JSON.parse(l).msg === 'discovery: duplicate reply')).toBe(true);
  });

  it('asks several targets and merges their controllers', async () => {
    const a = await respond({ replies: [base] });
    const b = await respond({ replies: [{ ...base, serial: 100_009 }] });
    const found = await discover({
      targets: [
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ],
      timeoutMs: 300,
    });
    expect(found.map((c) => c.serial).sort()).toEqual([100_001, 100_009]);
  });

  it('waits out the timeout and ignores replies that come later', async () => {
    const slow = await respond({ replies: [base], delayMs: 400 });
    const started = performance.now();
    const found = await discover({ targets: [{ host: '127.0.0.1', port: slow.port }], timeoutMs: 150 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(slow.queries).toBe(1);
    expect(found).toEqual([]);
  });

  it('returns early with what arrived when its signal aborts', async () => {
    const responder = await respond({ replies: [base] });
    const controller = new AbortController();
    const started = performance.now();
    const found = await discover({
      targets: [{ host: '127.0.0.1', port: responder.port }],
      timeoutMs: 10_000,
      signal: controller.signal,
      onController: () => controller.abort(),
    });
    expect(found.map((c) => c.serial)).toEqual([100_001]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects when its local port is taken', async () => {
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      await expect(
        discover({ localPort: taken.address().port, localAddress: '127.0.0.1', broadcast: false, timeoutMs: 50 }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      taken.close();
    }
  });

  // Linux refuses a send to a broadcast address with EACCES unless the socket has SO_BROADCAST.
  // 127.255.255.255 is the loopback's broadcast address there, so this stays inside the host and
  // checks the socket option; whether a broadcast reaches a controller network depends on that
  // network and is not covered by tests. Other systems route 127.255.255.255 differently.
  describe.runIf(platform() === 'linux')('broadcast', () => {
    it('is refused on a socket without SO_BROADCAST (the control for the next test)', async () => {
      const plain = createSocket('udp4');
      const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
        plain.bind(0, '127.0.0.1', () => plain.send(Buffer.from([0x64]), 9, '127.255.255.255', resolve));
      });
      plain.close();
      expect(refused?.code).toBe('EACCES');
    });

    it('finds a controller by broadcast on loopback: the discovery socket has broadcast enabled', async () => {
      const responder = await respond({ replies: [base], address: '0.0.0.0' });
      const lines: string[] = [];
      const found = await discover({
        broadcast: ['127.255.255.255'],
        port: responder.port,
        timeoutMs: 300,
        log: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
      });
      expect(lines.filter((l) => JSON.parse(l).err !== undefined)).toEqual([]);
      expect(found.map((c) => c.serial)).toEqual([100_001]);
    });
  });
});

describe('discovery destinations', () => {
  it('broadcasts by default and only asks the targets when given some', () => {
    expect(queryDestinations({ targets: [{ host: '10.0.0.9', port: 1234 }] })).toEqual([
      { host: '10.0.0.9', port: 1234 },
    ]);
    expect(queryDestinations({})).toContainEqual({ host: '255.255.255.255', port: 1234 });
    expect(
      queryDestinations({ targets: [{ host: '10.0.0.9', port: 1234 }], broadcast: ['10.0.0.255', '10.0.0.255'] }),
    ).toEqual([
      { host: '10.0.0.9', port: 1234 },
      { host: '10.0.0.255', port: 1234 },
    ]);
  });

  it('adds each IPv4 interface’s directed broadcast, not loopback, IPv6 or point-to-point links', () => {
    const nic = (address: string, cidr: string, internal = false) => ({
      address,
      netmask: '',
      family: 'IPv4' as const,
      mac: '00:00:00:00:00:00',
      internal,
      cidr,
    });
    expect(
      broadcastAddresses({
        lo: [nic('127.0.0.1', '127.0.0.1/8', true)],
        eth0: [nic('192.168.10.5', '192.168.10.5/24'), { ...nic('fe80::1', 'fe80::1/64'), family: 'IPv6', scopeid: 1 }],
        eth1: [nic('10.20.3.4', '10.20.0.0/16')],
        tun0: [nic('10.8.0.2', '10.8.0.2/32')],
      }),
    ).toEqual(['255.255.255.255', '192.168.10.255', '10.20.255.255']);
  });
});

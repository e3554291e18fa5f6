import * as bacnetLib from '@bacnet-js/client';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BACNET_OBJECT_TYPES,
  parseObjectRef,
  PRESENT_VALUE,
  shortestFloat32,
} from '../../agent/src/gateway/bacnet-objects.ts';
import { BacnetTimeoutError, createBacnetReader, type BacnetReader } from '../../agent/src/gateway/bacnet.ts';
import {
  startBacnetDevice,
  type BacnetDeviceOptions,
  type SimulatedBacnetDevice,
} from '../../agent/src/gateway/simulator/bacnet.ts';
import { sample } from '../../schema/wire/ingest.ts';

const objects: BacnetDeviceOptions['objects'] = [
  { type: 'analog-input', instance: 1, value: 21.5 },
  { type: 'analog-output', instance: 2, value: 75.25 },
  { type: 'analog-value', instance: 3, value: -12.5 },
  { type: 'binary-input', instance: 1, value: 1 },
  { type: 'binary-value', instance: 4, value: 0 },
  { type: 'multi-state-value', instance: 1, value: 3 },
  { type: 'analog-input', instance: 5, value: 21.3 },
];

let devices: SimulatedBacnetDevice[] = [];
let readers: BacnetReader[] = [];
let silent: Socket | undefined;
afterEach(async () => {
  await Promise.all([...devices.map((d) => d.close()), ...readers.map((r) => r.close())]);
  devices = [];
  readers = [];
  silent?.close();
  silent = undefined;
});

async function device(options: Partial<BacnetDeviceOptions> = {}) {
  const d = await startBacnetDevice({ deviceInstance: 260_001, objects, ...options });
  devices.push(d);
  return d;
}
function reader(options: Parameters<typeof createBacnetReader>[0] = {}) {
  const r = createBacnetReader(options);
  readers.push(r);
  return r;
}

describe('BACnet presentValue reads', () => {
  it('reads analog, binary and multi-state present values from a device on loopback', async () => {
    const d = await device();
    const r = reader();
    const at = { address: d.target, instance: d.deviceInstance };
    expect(await r.readPresentValue(at, { type: 'analog-input', instance: 1 })).toBe(21.5);
    expect(await r.readPresentValue(at, { type: 'analog-output', instance: 2 })).toBe(75.25);
    expect(await r.readPresentValue(at, { type: 'analog-value', instance: 3 })).toBe(-12.5);
    expect(await r.readPresentValue(at, { type: 'binary-input', instance: 1 })).toBe(1);
    expect(await r.readPresentValue(at, { type: 'binary-value', instance: 4 })).toBe(0);
    expect(await r.readPresentValue(at, { type: 'multi-state-value', instance: 1 })).toBe(3);
    // REAL is a 32-bit float: 21.3 travels as 21.299999237…, and is read back as the 21.3 it stands for.
    expect(await r.readPresentValue(at, { type: 'analog-input', instance: 5 })).toBe(21.3);
    expect(d.requests).toBe(7);
  });

  it('turns a device’s objects into samples the ingest schema accepts, labelled by device instance and object', async () => {
    const d = await device();
    const r = reader();
    const ts = Date.UTC(2026, 11, 2, 12, 0, 0);
    const result = await r.readSamples(
      { address: d.target, instance: d.deviceInstance },
      ['analog-input:1', 'binary-input:1', 'analog-value:3'].map(parseObjectRef),
      ts,
    );
    expect(result.errors).toEqual([]);
    expect(result.samples).toEqual([
      { metric: 'bacnet_present_value', ts, value: 21.5, labels: { controller: '260001', object: 'analog-input:1' } },
      { metric: 'bacnet_present_value', ts, value: 1, labels: { controller: '260001', object: 'binary-input:1' } },
      { metric: 'bacnet_present_value', ts, value: -12.5, labels: { controller: '260001', object: 'analog-value:3' } },
    ]);
    for (const s of result.samples) expect(sample.safeParse(s).success).toBe(true);
  });

  it('labels samples with the given controller label (a T3 serial) over the instance', async () => {
    const d = await device();
    const r = reader();
    const { samples } = await r.readSamples({ address: d.target, instance: d.deviceInstance, label: '100001' }, [
      { type: 'analog-input', instance: 1 },
    ]);
    expect(samples.map((s) => s.labels)).toEqual([{ controller: '100001', object: 'analog-input:1' }]);
  });

  it('reports an unknown object as that object’s error and still reads the others', async () => {
    const d = await device();
    const r = reader();
    const result = await r.readSamples({ address: d.target }, [
      { type: 'analog-input', instance: 99 },
      { type: 'analog-input', instance: 1 },
    ]);
    expect(result.samples.map((s) => [s.labels, s.value])).toEqual([
      [{ controller: d.target, object: 'analog-input:1' }, 21.5],
    ]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.object).toBe('analog-input:99');
    // ErrorClass OBJECT (1), ErrorCode UNKNOWN_OBJECT (31), as the library reports it.
    expect(result.errors[0]!.error.message).toMatch(
      /analog-input:99 on 127\.0\.0\.1:\d+: BacnetError - Class:1 - Code:31/,
    );
  });

  it('times out against a port that never answers, and skips that device’s other objects this round', async () => {
    silent = createSocket('udp4');
    let received = 0;
    silent.on('message', () => received++);
    await new Promise<void>((resolve) => silent!.bind(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${silent.address().port}`;
    const r = reader({ timeoutMs: 300 });

    const started = performance.now();
    await expect(r.readPresentValue({ address: target }, { type: 'analog-input', instance: 1 })).rejects.toThrow(
      BacnetTimeoutError,
    );
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1_500);
    expect(received).toBe(1);

    const round = await r.readSamples({ address: target }, [
      { type: 'analog-input', instance: 1 },
      { type: 'analog-input', instance: 2 },
      { type: 'analog-input', instance: 3 },
    ]);
    expect(round.samples).toEqual([]);
    expect(round.errors.map((e) => e.error.name)).toEqual([
      'BacnetTimeoutError',
      'BacnetTimeoutError',
      'BacnetTimeoutError',
    ]);
    // One request waited out, not three.
    expect(received).toBe(2);
  });

  it('sends one request at a time to a device, while another device is read meanwhile', async () => {
    const slow = await device({ delayMs: 150 });
    const fast = await device({ deviceInstance: 260_002 });
    const r = reader();
    const ai1 = { type: 'analog-input', instance: 1 } as const;

    const slowReads = [1, 2, 3].map(() => r.readPresentValue({ address: slow.target }, ai1));
    const fastRead = r.readPresentValue({ address: fast.target }, ai1);
    const firstSlow = slowReads[0]!.then(() => slow.requests);
    let fastDoneFirst = false;
    await fastRead.then(() => (fastDoneFirst = slow.requests <= 1));
    // When the first slow answer arrives, the second request has not reached the device yet.
    expect(await firstSlow).toBe(1);
    expect(fastDoneFirst).toBe(true);
    expect(await Promise.all(slowReads)).toEqual([21.5, 21.5, 21.5]);
    expect(slow.requests).toBe(3);
  });

  it('keeps at most maxInFlight requests in flight across devices', async () => {
    const slow = await device({ delayMs: 200 });
    const fast = await device({ deviceInstance: 260_002 });
    const r = reader({ maxInFlight: 1 });
    const ai1 = { type: 'analog-input', instance: 1 } as const;
    const order: string[] = [];
    await Promise.all([
      r.readPresentValue({ address: slow.target }, ai1).then(() => order.push('slow')),
      r.readPresentValue({ address: fast.target }, ai1).then(() => order.push('fast')),
    ]);
    expect(order).toEqual(['slow', 'fast']);
    expect(() => createBacnetReader({ maxInFlight: 300 })).toThrow(/1–256/);
  });

  it('uses a free local port, not 47808, so it can run beside other BACnet software', async () => {
    const r = reader();
    const local = await r.address();
    expect(local.port).not.toBe(47_808);
    expect(local.port).toBeGreaterThan(0);
  });

  it('refuses reads after close', async () => {
    const d = await device();
    const r = createBacnetReader();
    expect(await r.readPresentValue({ address: d.target }, { type: 'analog-input', instance: 1 })).toBe(21.5);
    await r.close();
    await expect(r.readPresentValue({ address: d.target }, { type: 'analog-input', instance: 1 })).rejects.toThrow(
      /closed/,
    );
  });
});

describe('BACnet object names', () => {
  it('match the library’s ObjectType and PropertyIdentifier numbers', () => {
    const lib = bacnetLib as unknown as Record<string, Record<string, number>>;
    const ObjectType = lib.ObjectType!;
    for (const [name, number] of Object.entries(BACNET_OBJECT_TYPES)) {
      expect(ObjectType[name.toUpperCase().replaceAll('-', '_')], name).toBe(number);
    }
    expect(lib.PropertyIdentifier!.PRESENT_VALUE).toBe(PRESENT_VALUE);
  });

  it('gives a float32 as its shortest decimal', () => {
    for (const v of [21.3, -0.1, 1e-7, 3.4e38, 123456.7, 0.3333333, 16777217]) {
      const back = shortestFloat32(Math.fround(v));
      expect(Math.fround(back)).toBe(Math.fround(v));
      expect(
        String(back)
          .replace(/^-|e.*$|\./g, '')
          .replace(/^0+/, '').length,
      ).toBeLessThanOrEqual(9);
    }
    expect(shortestFloat32(Math.fround(21.3))).toBe(21.3);
    expect(shortestFloat32(Math.fround(-0.1))).toBe(-0.1);
  });

  it('parses type:instance and refuses other forms with an example', () => {
    expect(parseObjectRef('binary-output:7')).toEqual({ type: 'binary-output', instance: 7 });
    expect(() => parseObjectRef('analog:7')).toThrow(/e\.g\. analog-input:3/);
    expect(() => parseObjectRef('analog-input:4194303')).toThrow(/type:instance|<type>:<instance>/);
    expect(() => parseObjectRef('__proto__:1')).toThrow(/BACnet object/);
  });
});

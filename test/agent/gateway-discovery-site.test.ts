import { afterEach, describe, expect, it } from 'vitest';
import { createBacnetReader, type BacnetReader } from '../../agent/src/gateway/bacnet.ts';
import { discover } from '../../agent/src/gateway/discovery.ts';
import { discoveryAndBacnetPart, type SitePart } from '../../agent/src/gateway/simulator/discovery-site.ts';

let part: SitePart | undefined;
let reader: BacnetReader | undefined;
afterEach(async () => {
  await reader?.close();
  await part?.close();
  part = reader = undefined;
});

// Stand-ins for the simulator's Modbus controllers: this part only reads their serial, Modbus id and port.
const controllers = [
  { serial: 1001, modbusId: 1, modbus: { port: 15_021 } },
  { serial: 1002, modbusId: 2, modbus: { port: 15_022 } },
  { serial: 1003, modbusId: 3, modbus: { port: 15_023 } },
];

describe('simulated site: discovery and BACnet', () => {
  it('is found by discovery, and each BACnet device answers at the instance and port discovery reported', async () => {
    const at = Date.UTC(2026, 11, 2, 12, 0, 0);
    part = await discoveryAndBacnetPart({ clock: () => at })(controllers, '127.0.0.1');
    const found = await discover({ targets: [{ host: '127.0.0.1', port: part.discoveryPort }], timeoutMs: 300 });
    const bySerial = new Map(found.map((c) => [c.serial, c]));
    expect([...bySerial.keys()].sort()).toEqual([1001, 1002, 1003]);
    expect(bySerial.get(1002)).toMatchObject({ modbusId: 2, ip: '127.0.0.1', port: 15_022, panelName: 'Sim panel 2' });
    // The third controller plays old firmware: a 40-byte reply without BACnet fields.
    expect(bySerial.get(1003)).toMatchObject({ panelName: null, bacnetInstance: null, bacnetPort: null });

    reader = createBacnetReader({ timeoutMs: 1_000 });
    for (const serial of [1001, 1002]) {
      const c = bySerial.get(serial)!;
      expect(c.bacnetInstance).toBe(serial);
      const { samples, errors } = await reader.readSamples(
        { address: `${c.ip}:${c.bacnetPort}`, instance: c.bacnetInstance, label: String(c.serial) },
        [
          { type: 'analog-input', instance: 1 },
          { type: 'binary-output', instance: 2 },
          { type: 'analog-value', instance: 1 },
        ],
        at,
      );
      expect(errors).toEqual([]);
      expect(samples.map((s) => [s.labels!.controller, s.labels!.object])).toEqual([
        [String(serial), 'analog-input:1'],
        [String(serial), 'binary-output:2'],
        [String(serial), 'analog-value:1'],
      ]);
      expect(samples[2]!.value).toBe(21.5);
      expect([0, 1]).toContain(samples[1]!.value);
    }
    expect(part.describe()).toEqual([
      `discovery udp 127.0.0.1:${part.discoveryPort}`,
      `bacnet device 1001 udp ${part.bacnet.get(1001)!.target}`,
      `bacnet device 1002 udp ${part.bacnet.get(1002)!.target}`,
      `bacnet device 1003 udp ${part.bacnet.get(1003)!.target}`,
    ]);
  });

  it('values follow the simulator clock', async () => {
    let now = Date.UTC(2026, 11, 2, 12, 0, 0);
    part = await discoveryAndBacnetPart({ clock: () => now })(controllers.slice(0, 1), '127.0.0.1');
    reader = createBacnetReader({ timeoutMs: 1_000 });
    const device = { address: part.bacnet.get(1001)!.target };
    const ai = { type: 'analog-input', instance: 1 } as const;
    const before = await reader.readPresentValue(device, ai);
    now += 7 * 60_000;
    const after = await reader.readPresentValue(device, ai);
    expect(after).not.toBe(before);
    expect(Math.abs(after - 21)).toBeLessThanOrEqual(2);
  });
});

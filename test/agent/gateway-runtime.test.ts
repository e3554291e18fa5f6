import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../agent/src/collectors/types.ts';
import { createBacnetReader } from '../../agent/src/gateway/bacnet.ts';
import { BACNET_OBJECT_TYPES } from '../../agent/src/gateway/bacnet-objects.ts';
import { planBacnet } from '../../agent/src/gateway/bacnet-poller.ts';
import { createGatewayRuntime, planPolling, type GatewayRuntime } from '../../agent/src/gateway/runtime.ts';
import { startBacnetDevice, type SimulatedBacnetDevice } from '../../agent/src/gateway/simulator/bacnet.ts';
import { startSimulator, type Simulator } from '../../agent/src/gateway/simulator/index.ts';
import { createLogger } from '../../agent/src/log.ts';
import {
  BACNET_OBJECT_PATTERN,
  BACNET_OBJECT_TYPE_NAMES,
  gatewayConfig,
  type GatewayConfig,
} from '../../schema/wire/gateway.ts';
import { until } from './helpers/http-server.ts';

const log = createLogger({ level: 'error' });
const controller = (id: string, port: number) => ({
  id,
  serial: null,
  host: '127.0.0.1',
  port,
  unit: 1,
  timeoutMs: 1_000,
});
const flow = {
  name: 'flow',
  register: 'holding',
  address: 0,
  type: 'UINT16',
  byteOrder: 'AB',
  scale: 1,
} as unknown as GatewayConfig['trendLogs'][number]['registers'][number]['spec'];

function config(port: number, trendLogs: GatewayConfig['trendLogs']): GatewayConfig {
  return {
    controllers: [controller('c1', port)],
    trendLogs,
    discovery: { enabled: false, intervalSeconds: 600, targets: [] },
  };
}

describe('planPolling', () => {
  it('gives each controller one schedule per interval; a point in two trend logs is read at the shorter one', () => {
    const cfg: GatewayConfig = {
      ...config(502, [
        {
          id: 'slow',
          intervalSeconds: 60,
          points: [
            { controller: 'c1', point: 'IN1' },
            { controller: 'c1', point: 'OUT2' },
          ],
          registers: [],
        },
        { id: 'fast', intervalSeconds: 5, points: [{ controller: 'c1', point: 'IN1' }], registers: [] },
        { id: 'other', intervalSeconds: 60, points: [{ controller: 'c2', point: 'IN1' }], registers: [] },
      ]),
      controllers: [controller('c1', 502), controller('c3', 503)],
    };
    const plan = planPolling(cfg);
    // c2 is not a controller of this gateway; c3 is in no trend log: neither is polled.
    expect(plan.map((t) => t.id)).toEqual(['c1']);
    expect(plan[0]!.timeoutMs).toBe(1_000);
    expect(plan[0]!.schedules!.map((s) => [s.intervalMs, s.points.map((p) => `${p.type}${p.number}`)])).toEqual([
      [5_000, ['IN1']],
      [60_000, ['OUT2']],
    ]);
  });
});

let sim: Simulator | undefined;
let runtime: GatewayRuntime | undefined;
afterEach(async () => {
  await runtime?.stop();
  await sim?.close();
  runtime = undefined;
  sim = undefined;
});

describe('gateway runtime', () => {
  it('starts, changes and stops polling as its config changes, without a restart', async () => {
    sim = await startSimulator({ controllers: 1, delay: { minMs: 5, maxMs: 5 }, parts: [] });
    const port = sim.controllers[0]!.modbus.port;
    const samples: Sample[] = [];
    runtime = createGatewayRuntime({
      log,
      onSamples: async (s) => void samples.push(...s),
      report: async () => {},
    });
    const seen = (point: string) => samples.some((s) => s.metric === 't3_point_value' && s.labels?.point === point);

    await runtime.apply(
      config(port, [{ id: 't', intervalSeconds: 1, points: [{ controller: 'c1', point: 'IN1' }], registers: [] }]),
    );
    await until('IN1 to be read', () => (seen('IN1') ? true : undefined));
    expect(runtime.health().map((h) => h.controller)).toEqual(['c1']);

    // The same section again changes nothing: the poller is not restarted.
    const requests = sim.requests();
    await runtime.apply(
      config(port, [{ id: 't', intervalSeconds: 1, points: [{ controller: 'c1', point: 'IN1' }], registers: [] }]),
    );
    expect(sim.requests() - requests).toBeLessThanOrEqual(2);

    await runtime.apply(
      config(port, [
        {
          id: 't',
          intervalSeconds: 1,
          points: [{ controller: 'c1', point: 'VAR3' }],
          registers: [{ controller: 'c1', spec: flow }],
        },
      ]),
    );
    await until('VAR3 and the raw register to be read', () =>
      seen('VAR3') && samples.some((s) => s.metric === 'modbus_register_value') ? true : undefined,
    );

    await runtime.apply(undefined);
    expect(runtime.health()).toEqual([]);
    const after = sim.requests();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(sim.requests()).toBe(after);
  });
});

describe('planBacnet', () => {
  it("reads each controller's objects at the shortest interval naming them, and skips controllers without BACnet", () => {
    const cfg: GatewayConfig = {
      controllers: [{ ...controller('c1', 502), bacnet: { instance: 7, port: 47_809 } }, controller('c2', 503)],
      trendLogs: [
        {
          id: 'slow',
          intervalSeconds: 60,
          points: [],
          registers: [],
          bacnet: [
            { controller: 'c1', object: 'analog-input:1' },
            { controller: 'c1', object: 'binary-output:2' },
            { controller: 'c2', object: 'analog-input:1' },
          ],
        },
        {
          id: 'fast',
          intervalSeconds: 5,
          points: [],
          registers: [],
          bacnet: [{ controller: 'c1', object: 'analog-input:1' }],
        },
      ],
      discovery: { enabled: false, intervalSeconds: 600, targets: [] },
    };
    expect(planBacnet(cfg)).toEqual([
      {
        controller: 'c1',
        device: { address: '127.0.0.1:47809', instance: 7, label: 'c1' },
        intervalMs: 5_000,
        objects: [{ type: 'analog-input', instance: 1 }],
      },
      {
        controller: 'c1',
        device: { address: '127.0.0.1:47809', instance: 7, label: 'c1' },
        intervalMs: 60_000,
        objects: [{ type: 'binary-output', instance: 2 }],
      },
    ]);
  });

  it("names the same object types as the reader, and bounds instances by the wire's pattern", () => {
    expect([...BACNET_OBJECT_TYPE_NAMES].sort()).toEqual(Object.keys(BACNET_OBJECT_TYPES).sort());
    expect(BACNET_OBJECT_PATTERN.test('analog-input:4194302')).toBe(true);
    expect(BACNET_OBJECT_PATTERN.test('analog-input:4194303')).toBe(false);
    expect(BACNET_OBJECT_PATTERN.test('analog-input:03')).toBe(false);
    expect(BACNET_OBJECT_PATTERN.test('device:1')).toBe(false);
  });

  it('takes a config with fields it does not know (a newer platform) rather than rejecting it', () => {
    const parsed = gatewayConfig.safeParse({
      ...config(502, []),
      controllers: [{ ...controller('c1', 502), future: 1 }],
      later: true,
    });
    expect(parsed.success).toBe(true);
  });
});

describe('gateway runtime with BACnet', () => {
  let device: SimulatedBacnetDevice | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
    await device?.close();
    device = undefined;
  });

  it("reads a trend log's BACnet objects into the same samples, and stops when the entry is removed", async () => {
    device = await startBacnetDevice({
      deviceInstance: 1001,
      objects: [
        { type: 'analog-input', instance: 1, value: 21.5 },
        { type: 'binary-output', instance: 2, value: 1 },
      ],
    });
    const samples: Sample[] = [];
    runtime = createGatewayRuntime({ log, onSamples: async (s) => void samples.push(...s), report: async () => {} });
    const withBacnet = (bacnet: NonNullable<GatewayConfig['trendLogs'][number]['bacnet']>): GatewayConfig => ({
      controllers: [{ ...controller('1001', 1), bacnet: { instance: 1001, port: device!.port } }],
      trendLogs: [{ id: 't', intervalSeconds: 1, points: [], registers: [], bacnet }],
      discovery: { enabled: false, intervalSeconds: 600, targets: [] },
    });
    const value = (object: string) =>
      samples.find(
        (s) => s.metric === 'bacnet_present_value' && s.labels?.controller === '1001' && s.labels.object === object,
      )?.value;

    await runtime.apply(
      withBacnet([
        { controller: '1001', object: 'analog-input:1' },
        { controller: '1001', object: 'binary-output:2' },
      ]),
    );
    await until('both objects to be read', () =>
      value('analog-input:1') !== undefined && value('binary-output:2') !== undefined ? true : undefined,
    );
    expect(value('analog-input:1')).toBe(21.5);
    expect(value('binary-output:2')).toBe(1);
    // Modbus is not touched: the controller has no points or registers in the trend log.
    expect(runtime.health()).toEqual([]);

    await runtime.apply(withBacnet([]));
    const after = device.requests;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(device.requests).toBe(after);
  });

  it('logs the failure of a device that does not answer once, not every round, and keeps asking', async () => {
    device = await startBacnetDevice({ objects: [{ type: 'analog-input', instance: 1, value: 1 }], silent: true });
    const lines: { level: string; msg: string; error?: string }[] = [];
    const captured = createLogger({ level: 'info', write: (line) => void lines.push(JSON.parse(line)) });
    const reader = createBacnetReader({ timeoutMs: 200 });
    runtime = createGatewayRuntime({
      log: captured,
      onSamples: async () => {},
      report: async () => {},
      bacnetReader: reader,
    });
    await runtime.apply({
      controllers: [{ ...controller('1', 1), bacnet: { instance: 1234, port: device.port } }],
      trendLogs: [
        {
          id: 't',
          intervalSeconds: 1,
          points: [],
          registers: [],
          bacnet: [{ controller: '1', object: 'analog-input:1' }],
        },
      ],
      discovery: { enabled: false, intervalSeconds: 600, targets: [] },
    });
    await until('three rounds to time out', () => (device!.requests >= 3 ? true : undefined), 10_000);
    const failures = lines.filter((l) => l.msg === 'bacnet: read failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.error).toMatch(/analog-input:1: no BACnet answer .* within 200 ms/);
    await runtime.stop();
    runtime = undefined;
    await reader.close();
  });
});

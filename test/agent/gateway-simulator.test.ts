import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createControllerReader } from '../../agent/src/gateway/controller-reader.ts';
import { createModbusConnection, type ModbusConnection } from '../../agent/src/gateway/modbus-connection.ts';
import { startSimulator, type Simulator } from '../../agent/src/gateway/simulator/index.ts';
import { simulatedPoint } from '../../agent/src/gateway/simulator/modbus-t3-model.ts';
import { parsePoint, pointId, type T3Point } from '../../agent/src/gateway/t3-profile.ts';
import { closedPort, until } from './helpers/http-server.ts';
import { runCli, startCli } from './helpers/run-cli.ts';

let sim: Simulator | undefined;
const connections: ModbusConnection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) await c.close();
  await sim?.close();
  sim = undefined;
});

function readerFor(port: number, points: T3Point[]) {
  const connection = createModbusConnection({ host: '127.0.0.1', port, timeoutMs: 2_000, retries: 0 });
  connections.push(connection);
  return createControllerReader(
    { id: String(port), host: '127.0.0.1', port, unitId: 1, points, registers: [] },
    connection,
  );
}

const EVERY_POINT: T3Point[] = [
  ...Array.from({ length: 64 }, (_, i) => parsePoint(`IN${i + 1}`)),
  ...Array.from({ length: 64 }, (_, i) => parsePoint(`OUT${i + 1}`)),
  ...Array.from({ length: 128 }, (_, i) => parsePoint(`VAR${i + 1}`)),
];

describe('T3000 simulator (Modbus side)', () => {
  it('serves the T3 register map: every point of two controllers reads back as its model says', async () => {
    const t = Date.UTC(2026, 0, 1, 12, 0, 7);
    sim = await startSimulator({ controllers: 2, delay: 0, clock: () => t });
    for (const [index, controller] of sim.controllers.entries()) {
      const reader = readerFor(controller.modbus.port, EVERY_POINT);
      const result = await reader.readCycle({ meta: true });
      expect(result.failures).toEqual([]);
      expect(result.values).toHaveLength(256);
      for (const v of result.values) {
        const model = simulatedPoint(index, v.point, t);
        expect([pointId(v.point), v.value, v.digital]).toEqual([pointId(v.point), model.value, model.digital]);
        expect(reader.meta(v.point)).toEqual({ range: model.range, manual: model.manual, digital: model.digital });
      }
      // The map has what the tests of the gateway need: negatives, digital points, manual ones.
      expect(result.values.some((v) => v.value < 0)).toBe(true);
      expect(result.values.filter((v) => v.digital).length).toBeGreaterThan(10);
      expect(result.metas.filter((m) => m.meta.manual).length).toBeGreaterThan(10);
    }
  });

  it('changes values over time: analog points move, digital ones toggle', async () => {
    let t = Date.UTC(2026, 0, 1);
    sim = await startSimulator({ controllers: 1, delay: 0, clock: () => t });
    const reader = readerFor(sim.controllers[0]!.modbus.port, ['IN1', 'IN3', 'IN8'].map(parsePoint));
    const before = await reader.readCycle({ meta: true });
    t += 17_000;
    const after = await reader.readCycle({ meta: false });
    const byPoint = (r: typeof before) => Object.fromEntries(r.values.map((v) => [pointId(v.point), v.value]));
    const [a, b] = [byPoint(before), byPoint(after)];
    expect(a.IN1).not.toBe(b.IN1);
    expect(a.IN3).not.toBe(b.IN3);
    expect(a.IN3! < 0 || b.IN3! < 0).toBe(true); // an outdoor temperature around −5 °C
    expect([a.IN8, b.IN8].sort()).toEqual([0, 1]); // toggles every 10 s
  });

  it('answers after its delay and counts each read request', async () => {
    sim = await startSimulator({ controllers: 2, delay: 0, delays: { 1: 300 } });
    const fast = readerFor(sim.controllers[0]!.modbus.port, [parsePoint('VAR2')]);
    const slow = readerFor(sim.controllers[1]!.modbus.port, [parsePoint('VAR2')]);
    const f = await fast.readCycle({ meta: false });
    const s = await slow.readCycle({ meta: false });
    expect(Math.max(...f.latenciesMs)).toBeLessThan(200);
    expect(Math.min(...s.latenciesMs)).toBeGreaterThanOrEqual(290);
    // VAR2's value and its three flag registers (too far apart to join): four requests each.
    expect(sim.controllers.map((c) => c.modbus.requests)).toEqual([4, 4]);
    expect(sim.requests()).toBe(8);
    await fast.readCycle({ meta: false });
    expect(sim.controllers[0]!.modbus.requests).toBe(5);
    expect(sim.controllers[0]!.modbus.registersRead).toBe(2 + 1 + 1 + 1 + 2);
  });

  it('listens on consecutive ports from --port P', async () => {
    const first = await twoFreePorts();
    sim = await startSimulator({ controllers: 2, delay: 0, port: first });
    expect(sim.controllers.map((c) => [c.serial, c.modbus.port])).toEqual([
      [1001, first],
      [1002, first + 1],
    ]);
  });
});

/** A port P such that P and P+1 are both free (as far as a bind can tell). */
async function twoFreePorts(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const p = await closedPort();
    if (p >= 65_535) continue;
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(p + 1, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise((resolve) => probe.close(resolve));
      return p;
    }
  }
  throw new Error('no two consecutive free ports');
}

describe('edgewatch-agent gateway simulate', () => {
  it('prints its controllers as JSON, serves them until SIGTERM, then exits 0', async () => {
    const run = startCli(['gateway', 'simulate', '--controllers', '2', '--delay-ms', '0', '--json']);
    try {
      const line = await until('the JSON line', () => (run.out.stdout.includes('\n') ? run.out.stdout : undefined));
      const described = JSON.parse(line) as { host: string; controllers: { serial: number; port: number }[] };
      expect(described.host).toBe('127.0.0.1');
      expect(described.controllers.map((c) => c.serial)).toEqual([1001, 1002]);
      const read = await runCli([
        'gateway',
        'read',
        '--host',
        '127.0.0.1',
        '--port',
        String(described.controllers[1]!.port),
        '--points',
        'IN1',
        '--json',
      ]);
      expect(read.code, read.stderr).toBe(0);
      expect(JSON.parse(read.stdout).points[0]).toMatchObject({ point: 'IN1', digital: false, range: 3 });
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  }, 30_000);

  it('says where it listens and how fast it answers (2-5 s by default)', async () => {
    const run = startCli(['gateway', 'simulate', '--controllers', '1']);
    try {
      const text = await until('the description', () =>
        run.out.stdout.includes('Stop with Ctrl-C.') ? run.out.stdout : undefined,
      );
      expect(text).toMatch(/^T3000 simulator: 1 controller\(s\) on 127\.0\.0\.1, answering in 2000-5000 ms\n/);
      expect(text).toMatch(/ {2}controller 1001 {2}modbus 127\.0\.0\.1:\d+\n/);
      expect(text).toContain('Try: edgewatch-agent gateway read --host 127.0.0.1 --port ');
      run.child.kill('SIGINT');
      expect(await run.exited).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  }, 30_000);

  it('refuses bad options with exit 2 and a hint', async () => {
    const r = await runCli(['gateway', 'simulate', '--delay-ms', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--delay-ms "soon" must be milliseconds, or MIN-MAX (example: --delay-ms 2000-5000)');
    expect(r.stderr).toContain('See: edgewatch-agent gateway simulate --help');
  }, 30_000);
});

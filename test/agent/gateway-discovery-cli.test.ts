import { afterEach, describe, expect, it } from 'vitest';
import { createDiscoveryCollector } from '../../agent/src/gateway/discovery-collector.ts';
import { runDiscover } from '../../agent/src/gateway/discovery-cli.ts';
import type { DiscoveredController } from '../../agent/src/gateway/discovery.ts';
import {
  startDiscoveryResponder,
  type DiscoveryResponder,
  type SimulatedReply,
} from '../../agent/src/gateway/simulator/discovery.ts';
import { createLogger } from '../../agent/src/log.ts';
import { startCollectors } from '../../agent/src/scheduler.ts';

const boiler: SimulatedReply = {
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
const fanCoil: SimulatedReply = {
  ...boiler,
  serial: 200_001,
  modbusId: 5,
  parentSerial: 100_001,
  panelNumber: 2,
  panelName: null,
  length: 40,
};

let responder: DiscoveryResponder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runDiscover(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('edgewatch-agent gateway discover', () => {
  it('prints the controllers that answered a target as JSON', async () => {
    responder = await startDiscoveryResponder({ replies: [fanCoil, boiler] });
    const r = await run(['--target', `127.0.0.1:${responder.port}`, '--timeout', '0.3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const listed = JSON.parse(r.stdout) as DiscoveredController[];
    expect(listed.map((c) => [c.serial, c.parentSerial, c.panelName])).toEqual([
      [100_001, null, 'Boiler room'],
      [200_001, 100_001, null],
    ]);
    expect(listed[0]).toMatchObject({ ip: '127.0.0.1', port: 10_502, bacnetInstance: 100_001, bacnetPort: 47_808 });
  });

  it('prints a table by default', async () => {
    responder = await startDiscoveryResponder({ replies: [boiler, fanCoil] });
    const r = await run(['--target', `127.0.0.1:${responder.port}`, '--timeout', '0.3']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header!.split(/\s+/)).toEqual([
      'SERIAL',
      'PRODUCT',
      'IP',
      'PORT',
      'MODBUS',
      'PARENT',
      'PANEL',
      'NAME',
      'BACNET',
      'BACNET-PORT',
      'FIRMWARE',
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^100001\s+74\s+127\.0\.0\.1\s+10502\s+1\s+-\s+1\s+Boiler room\s+100001\s+47808\s+523$/);
    expect(rows[1]).toMatch(/^200001\s+74\s+127\.0\.0\.1\s+10502\s+5\s+100001\s+2\s+-\s+-\s+-\s+523$/);
  });

  it('exits 1 with a message when nothing answers in time', async () => {
    responder = await startDiscoveryResponder({ replies: [boiler], delayMs: 1_000 });
    const r = await run(['--target', `127.0.0.1:${responder.port}`, '--timeout', '0.2', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toContain('no controller answered within 0.2 s');
  });

  it('logs skipped replies with --verbose', async () => {
    responder = await startDiscoveryResponder({ replies: [{ ...boiler, bootloader: true }] });
    const r = await run(['--target', `127.0.0.1:${responder.port}`, '--timeout', '0.3', '--verbose']);
    expect(r.code).toBe(1);
    const skipped = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'discovery: reply skipped');
    expect(skipped).toMatchObject({ level: 'debug', reason: 'bootloader', serial: 100_001, component: 'discovery' });
  });

  it('refuses bad options with exit 2 and an example', async () => {
    for (const args of [['--target', 'host:99999'], ['--timeout', 'soon'], ['--timeout', '0'], ['--frobnicate']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('See: edgewatch-agent gateway discover --help');
    }
    expect((await run(['--target', 'nope:1:2'])).stderr).toContain('e.g. 10.20.0.15:1234');
  });

  it('prints its help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: edgewatch-agent gateway discover');
  });
});

describe('periodic discovery', () => {
  it('runs at start and then on its interval under the agent scheduler, reporting each round', async () => {
    responder = await startDiscoveryResponder({ replies: [boiler, fanCoil] });
    const rounds: { serials: number[]; at: number }[] = [];
    const samples: unknown[] = [];
    let roundSeen: () => void = () => {};
    const collector = createDiscoveryCollector({
      targets: [{ host: '127.0.0.1', port: responder.port }],
      timeoutMs: 100,
      intervalMs: 400,
      onDiscovered: (controllers, at) => {
        rounds.push({ serials: controllers.map((c) => c.serial).sort(), at });
        roundSeen();
      },
    });
    const nextRound = () => new Promise<void>((resolve) => (roundSeen = resolve));
    const first = nextRound();
    const scheduler = startCollectors({
      collectors: [collector],
      onSamples: async (s) => void samples.push(...s),
      log: createLogger({ level: 'error' }),
    });
    try {
      await first;
      await nextRound();
    } finally {
      await scheduler.stop();
    }
    expect(rounds.slice(0, 2).map((r) => r.serials)).toEqual([
      [100_001, 200_001],
      [100_001, 200_001],
    ]);
    expect(responder.queries).toBeGreaterThanOrEqual(2);
    expect(samples).toContainEqual({ metric: 'gateway_discovered_controllers', ts: rounds[0]!.at, value: 2 });
  });

  it('does not report a round cut short by a stop', async () => {
    responder = await startDiscoveryResponder({ replies: [boiler], delayMs: 5_000 });
    let reported = 0;
    const collector = createDiscoveryCollector({
      targets: [{ host: '127.0.0.1', port: responder.port }],
      timeoutMs: 10_000,
      onDiscovered: () => void reported++,
    });
    const controller = new AbortController();
    const received = responder.nextQuery();
    const collecting = collector.collect(controller.signal);
    await received;
    controller.abort();
    expect(await collecting).toEqual([]);
    expect(reported).toBe(0);
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gatewayCommand } from '../../agent/src/gateway/cli.ts';
import { buildAgent } from '../../scripts/build.ts';
import { startSimulator, type Simulator } from '../../agent/src/gateway/simulator/index.ts';
import { simulatedPoint } from '../../agent/src/gateway/simulator/modbus-t3-model.ts';
import { parsePoint } from '../../agent/src/gateway/t3-profile.ts';
import { closedPort } from './helpers/http-server.ts';
import { runCli } from './helpers/run-cli.ts';

// A fixed simulator clock, so every value the CLI prints is known.
const T = Date.UTC(2026, 5, 1, 8, 30, 0);
let sim: Simulator;
let port: string;
beforeAll(async () => {
  sim = await startSimulator({ controllers: 1, delay: 0, clock: () => T });
  port = String(sim.controllers[0]!.modbus.port);
});
afterAll(async () => {
  await sim.close();
});

const model = (id: string) => simulatedPoint(0, parsePoint(id), T);

/** Runs `edgewatch-agent gateway …` in this process, capturing what it prints. */
async function inProcess(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await gatewayCommand(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('edgewatch-agent gateway read', () => {
  it('prints decoded points and raw registers as JSON', async () => {
    const points = ['IN1', 'IN3', 'IN8', 'OUT5', 'VAR10'];
    const r = await runCli([
      'gateway',
      'read',
      '--host',
      '127.0.0.1',
      '--port',
      port,
      '--unit',
      '3',
      '--points',
      points.join(','),
      '--raw',
      'holding:7488:INT32',
      '--raw',
      'holding:7488:INT32:CDAB',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ controller: `127.0.0.1:${port}`, unit: 3, errors: [] });
    expect(out.points.map((p: Record<string, unknown>) => [p.point, p.value, p.digital, p.range, p.manual])).toEqual(
      points.map((id) => [id, model(id).value, model(id).digital, model(id).range, model(id).manual]),
    );
    expect(model('IN3').value).toBeLessThan(0);
    expect(model('OUT5').manual).toBe(true);
    // IN3's registers read raw: thousandths, high word first (ABCD); CDAB swaps the words.
    const raw = Math.round(model('IN3').value * 1000);
    const swapped = Buffer.alloc(4);
    swapped.writeInt32BE(raw);
    const cdab = Buffer.concat([swapped.subarray(2), swapped.subarray(0, 2)]).readInt32BE(0);
    expect(out.registers.map((x: { name: string; value: number }) => [x.name, x.value])).toEqual([
      ['holding:7488:INT32', raw],
      ['holding:7488:INT32:CDAB', cdab],
    ]);
    expect(out.requests).toBeGreaterThan(1);
  }, 30_000);

  it('prints a table by default', async () => {
    const r = await runCli(['gateway', 'read', '--host', '127.0.0.1', '--port', port, '--points', 'IN8,OUT5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Controller 127\\.0\\.0\\.1:${port} \\(unit 1\\): \\d+ request\\(s\\)`));
    const rows = r.stdout.split('\n').filter((l) => /^(point|IN8|OUT5)\b/.test(l));
    expect(rows.map((l) => l.split(/\s{2,}/))).toEqual([
      ['point', 'value', 'kind', 'range', 'mode'],
      ['IN8', String(model('IN8').value), 'digital', '1', 'auto'],
      ['OUT5', String(model('OUT5').value), 'analog', '4', 'manual'],
    ]);
  }, 30_000);

  it('exits 1 and says why when the controller refuses the connection', async () => {
    const dead = String(await closedPort());
    const r = await runCli(['gateway', 'read', '--host', '127.0.0.1', '--port', dead, '--points', 'IN1', '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.points[0]).toMatchObject({ point: 'IN1', value: null });
    expect(out.errors.join('\n')).toContain('ECONNREFUSED');
  }, 30_000);

  it('refuses bad usage with exit 2, naming the problem', async () => {
    const cases: [string[], string][] = [
      [['gateway', 'read', '--points', 'IN1'], 'read needs --host'],
      [['gateway', 'read', '--host', 'h'], 'read needs --points or --raw'],
      [['gateway', 'read', '--host', 'h', '--points', 'IN99'], '"IN99": IN points are numbered 1 to 64'],
      [['gateway', 'read', '--host', 'h', '--raw', 'holding:1:REAL'], 'type must be one of INT16'],
      [
        ['gateway', 'read', '--host', 'h', '--points', 'IN1', '--port', '0'],
        '--port "0" must be a number from 1 to 65535',
      ],
      [['gateway', 'read', '--host', 'h', '--points', 'IN1', '--colour'], "Unknown option '--colour'"],
      [['gateway', 'frobnicate'], 'unknown gateway command "frobnicate"'],
    ];
    // In process, so the cases cost no process start each; one goes through the real CLI below.
    for (const [args, message] of cases) {
      const { code, stderr } = await inProcess(args.slice(1));
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toContain(message);
      expect(stderr, args.join(' ')).toContain('See: edgewatch-agent gateway ');
    }
    const r = await runCli(cases[2]![0]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(cases[2]![1]);
  }, 30_000);

  it('has help for gateway, read and simulate', async () => {
    const main = await inProcess(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/^Usage: edgewatch-agent gateway <command>/);
    for (const sub of ['read', 'simulate']) {
      const r = await inProcess([sub, '--help']);
      expect(r.code, sub).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: edgewatch-agent gateway ${sub}`));
    }
    expect((await inProcess([])).code).toBe(2);
  });

  it('works from the bundle under the system Node (serialport left out)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edgewatch-gateway-'));
    try {
      const bundle = await buildAgent({ outfile: join(dir, 'edgewatch-agent.js') });
      const child = spawn(
        'node',
        [bundle, 'gateway', 'read', '--host', '127.0.0.1', '--port', port, '--points', 'VAR1', '--json'],
        {
          env: { ...process.env, PATH: '/usr/bin:/bin' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d));
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      const [code] = await once(child, 'exit');
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout).points[0].value).toBe(model('VAR1').value);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

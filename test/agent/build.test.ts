import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentChunks, buildAgent, buildDashboard } from '../../scripts/build.ts';
import { startConfigServer } from './helpers/config-server.ts';
import { until } from './helpers/http-server.ts';
import { isolatedEnv } from './helpers/run-cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-build-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a file with the system's `node` (what `#!/usr/bin/env node` finds outside npm scripts). */
function systemNode(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn('node', args, {
    env: { ...process.env, ...env, PATH: '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d));
  return { child, out, exited: once(child, 'exit').then(([code]) => code as number | null) };
}

describe('agent bundle', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await buildAgent({ outfile: join(dir, 'agent', 'edgewatch-agent.js') });
  }, 60_000);

  it('is one executable main file with a node shebang, and the chunks it names with their sha256', async () => {
    expect((await stat(bundle)).mode & 0o111).toBe(0o111);
    const text = await readFile(bundle, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(await readdir(join(dir, 'agent'))).toEqual(['chunks', 'edgewatch-agent.js']);
    const named = agentChunks(text);
    expect(named.length).toBeGreaterThan(0);
    expect((await readdir(join(dir, 'agent', 'chunks'))).sort()).toEqual(
      named.map((c) => c.path.slice('chunks/'.length)).sort(),
    );
    for (const chunk of named) {
      const bytes = await readFile(join(dir, 'agent', chunk.path));
      expect(createHash('sha256').update(bytes).digest('hex'), chunk.path).toBe(chunk.sha256);
    }
  });

  it('keeps the gateway, MQTT and systeminformation out of what a host agent parses at start', async () => {
    // What the main file imports statically, followed through the chunks: what `run` parses.
    const loaded = new Set<string>();
    const visit = async (file: string) => {
      const text = await readFile(file, 'utf8');
      for (const [, spec] of text.matchAll(/(?:^|[;\n}])import\s*(?:[\w{},*\s$]+from\s*)?"(\.\/[^"]+)"/g)) {
        const path = join(file, '..', spec!);
        if (!loaded.has(path)) {
          loaded.add(path);
          await visit(path);
        }
      }
    };
    await visit(bundle);
    const parsed = [bundle, ...loaded];
    const texts = await Promise.all(parsed.map((f) => readFile(f, 'utf8')));
    const size = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
    expect(size).toBeLessThan(400 * 1024);
    const all = texts.join('\n');
    for (const lazy of ['ModbusRTU', 'BACnet', 'MqttClient', 'networkInterfaceDefault'])
      expect(all).not.toContain(lazy);
  });

  it('prints its help under the system Node', async () => {
    const run = systemNode([bundle, '--help']);
    expect(await run.exited, run.out.stderr).toBe(0);
    expect(run.out.stdout).toContain('Usage: edgewatch-agent <command>');
  });

  it('collects and ships under the system Node, from outside the repository', async () => {
    const server = await startConfigServer();
    const env = {
      ...isolatedEnv(dir),
      EDGEWATCH_URL: server.url,
      EDGEWATCH_TOKEN: 'ewd.test',
      EDGEWATCH_INTERVAL: '1',
    };
    const run = systemNode([bundle, 'run'], env);
    try {
      const metrics = await until(
        'cpu and disk samples',
        () => {
          const seen = new Set(server.samples().map((s) => s.metric));
          return seen.has('cpu_usage_percent') && seen.has('disk_used_bytes') && seen.has('mem_used_bytes')
            ? seen
            : undefined;
        },
        15_000,
      );
      expect(metrics).toContain('load1');
      // Under Node 20 too, the agent polls its remote config and rewrites its status file.
      expect(server.configRequests().length).toBeGreaterThanOrEqual(1);
      await until('a status file', () => stat(join(dir, 'state', 'edgewatch', 'status.json')).catch(() => undefined));
      run.child.kill('SIGINT');
      expect(await run.exited, run.out.stderr).toBe(0);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await server.close();
    }
  }, 30_000);
});

describe('dashboard build', () => {
  it('bundles main.tsx to app.js, the CSS it imports to app.css, and copies the HTML and uPlot’s stylesheet', async () => {
    const src = join(dir, 'dash-src');
    await mkdir(src, { recursive: true });
    await writeFile(
      join(src, 'main.tsx'),
      "import './app.css';\nimport { label } from './label.ts';\ndocument.title = label(2);\n",
    );
    await writeFile(join(src, 'label.ts'), 'export const label = (n: number): string => `Edgewatch ${n}`;\n');
    await writeFile(join(src, 'index.html'), '<!doctype html><script type="module" src="app.js"></script>');
    await writeFile(join(src, 'app.css'), 'body { margin: 0 }');
    const out = await buildDashboard({ srcdir: src, outdir: join(dir, 'dash-dist') });
    expect((await readdir(out)).sort()).toEqual([
      '_headers',
      'app.css',
      'app.css.map',
      'app.js',
      'app.js.map',
      'index.html',
      'uPlot.min.css',
    ]);
    expect(await readFile(join(out, '_headers'), 'utf8')).toContain("Content-Security-Policy: default-src 'self'");
    expect(await readFile(join(out, 'app.js'), 'utf8')).toContain('Edgewatch');
    expect(await readFile(join(out, 'app.css'), 'utf8')).toContain('margin');
  });

  it('fails with a clear message when the dashboard source is missing', async () => {
    await expect(buildDashboard({ srcdir: join(dir, 'nowhere'), outdir: join(dir, 'x') })).rejects.toThrow(
      /cannot build the dashboard: .*main\.tsx and .*index\.html not found/,
    );
  });
});

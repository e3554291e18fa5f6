import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../scripts/local/free-port.ts';
import { findOrInstall } from './debian.ts';
import type { BenchContext } from './types.ts';

/** The gauge both systems alert on, and its threshold. */
export const ALERT_METRIC = 'bench_alert_value';
export const ALERT_THRESHOLD = 50;

/** A /metrics endpoint serving one gauge whose value the benchmark sets. */
async function startGauge(ctx: BenchContext) {
  let value = 0;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# HELP ${ALERT_METRIC} Set by the benchmark.\n# TYPE ${ALERT_METRIC} gauge\n${ALERT_METRIC} ${value}\n`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  ctx.defer(() => new Promise<void>((r) => server.close(() => r())));
  return { target: `127.0.0.1:${(server.address() as AddressInfo).port}`, set: (v: number) => (value = v) };
}

/** Spawns a daemon, keeps the tail of its output for errors, and stops it with the context. */
function daemon(ctx: BenchContext, bin: string, args: string[]) {
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d).slice(-2000)));
  ctx.defer(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  });
  return { child, tail: () => tail };
}

async function waitReady(url: string, what: string, proc: ReturnType<typeof daemon>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (proc.child.exitCode !== null) throw new Error(`${what} exited: ${proc.tail()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`${what} not ready within 30 s: ${proc.tail()}`);
}

/**
 * Prometheus scraping the gauge every second and evaluating `gauge > threshold` every second,
 * sending to Alertmanager with `group_wait: 0s`, which posts to `webhookUrl`: the fastest
 * settings these tools sensibly allow. Returns the gauge's setter, or a reason to skip.
 */
export async function startPrometheusAlerting(
  ctx: BenchContext,
  webhookUrl: string,
): Promise<{ set: (v: number) => void; versions: string } | { skip: string }> {
  const prom = findOrInstall(ctx, 'prometheus', 'prometheus');
  if ('skip' in prom) return prom;
  const am = findOrInstall(ctx, 'prometheus-alertmanager', 'prometheus-alertmanager');
  if ('skip' in am) return am;
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-bench-prom-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const gauge = await startGauge(ctx);
  const [promPort, amPort] = [await freePort(), await freePort()];

  await writeFile(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: bench',
      '  group_by: [alertname]',
      '  group_wait: 0s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: bench',
      '    webhook_configs:',
      `      - url: ${webhookUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'rules.yml'),
    [
      'groups:',
      '  - name: bench',
      '    interval: 1s',
      '    rules:',
      '      - alert: BenchValueHigh',
      `        expr: ${ALERT_METRIC} > ${ALERT_THRESHOLD}`,
      '        for: 0s',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files: [rules.yml]',
      'alerting:',
      '  alertmanagers:',
      `    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]`,
      'scrape_configs:',
      '  - job_name: bench',
      `    static_configs: [{ targets: ['${gauge.target}'] }]`,
      '',
    ].join('\n'),
  );
  const amProc = daemon(ctx, am.bin, [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'am')}`,
    `--web.listen-address=127.0.0.1:${amPort}`,
    // A single instance: no gossip port to collide with anything.
    '--cluster.listen-address=',
  ]);
  await waitReady(`http://127.0.0.1:${amPort}/-/ready`, 'alertmanager', amProc);
  const promProc = daemon(ctx, prom.bin, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ]);
  await waitReady(`http://127.0.0.1:${promPort}/-/ready`, 'prometheus', promProc);
  const version = (bin: string) =>
    new Promise<string>((resolve) => {
      const p = spawn(bin, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (d: Buffer) => (out += d));
      p.stderr!.on('data', (d: Buffer) => (out += d));
      p.on('exit', () => resolve(/version ([\d.]+)/.exec(out)?.[1] ?? '?'));
    });
  return {
    set: gauge.set,
    versions: `Prometheus ${await version(prom.bin)} + Alertmanager ${await version(am.bin)}`,
  };
}

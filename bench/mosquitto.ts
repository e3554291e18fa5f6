import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../scripts/local/free-port.ts';
import type { BenchContext } from './types.ts';
import { stopChild } from './peer-process.ts';

/**
 * Our own mosquitto on a free loopback port with a throwaway config, so a system broker on
 * 1883 (Debian starts one) neither collides nor gets measured. Stopped by the context's cleanup.
 */
export async function startMosquitto(ctx: BenchContext, bin: string): Promise<{ url: string; pid: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-mosquitto-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // Small frames, latency measured: no Nagle delay, like the Worker's WebSockets.
      'set_tcp_nodelay true',
      // Fan-out bursts must not hit the default per-client queue limit and drop silently.
      'max_queued_messages 100000',
      'log_dest stderr',
      'log_type error',
      '',
    ].join('\n'),
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d).slice(-2000)));
  ctx.defer(() => stopChild(child, 5000));
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) break;
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid! };
    await sleep(100);
  }
  throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
}

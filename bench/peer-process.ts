import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchContext } from './types.ts';

/** A peer database the bench started: its process, and a stop that also deletes its folder. */
export interface PeerProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a peer (VictoriaMetrics, InfluxDB) with its output in `log` (one log per peer,
 * overwritten by each instance: it only matters when the last start failed), and registers its
 * stop with the bench's cleanup, so Ctrl-C or a failure also stops it and deletes `dir`.
 */
export function startPeerProcess(
  ctx: BenchContext,
  bin: string,
  args: string[],
  o: { log: string; dir: string },
): PeerProcess {
  const logFd = openSync(o.log, 'w');
  const child = spawn(bin, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopChild(child, 10_000);
    await rm(o.dir, { recursive: true, force: true });
  };
  ctx.defer(stop);
  return { child, stop };
}

/** Stops `child` with SIGTERM, then SIGKILL if it has not exited within `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Polls `ready` every 50 ms for up to 10 s; throws when the peer exits or never gets ready. */
export async function waitReady(peer: PeerProcess, name: string, log: string, ready: () => Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (peer.child.exitCode !== null) throw new Error(`${name} exited with ${peer.child.exitCode}; see ${log}`);
    try {
      if (await ready()) return;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  throw new Error(`${name} did not get ready within 10 s; see ${log}`);
}

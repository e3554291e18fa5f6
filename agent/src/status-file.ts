import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.ts';
import type { Logger } from './log.ts';

/**
 * What the running agent writes to `<spoolDir>/status.json` every few seconds (and once more
 * on a clean stop, with `stoppedAt`), for `edgewatch-agent status`. Times are ISO 8601.
 */
export interface AgentStatus {
  v: 1;
  pid: number;
  version: string;
  startedAt: string;
  updatedAt: string;
  /** How often the file is rewritten; a file older than a few of these means the agent is gone. */
  intervalMs: number;
  stoppedAt?: string;
  url: string;
  deviceId?: string;
  transport: string;
  spool: {
    kind: 'disk' | 'memory';
    dir: string;
    pendingSamples: number;
    /** Size of the spool's files (disk spool). */
    bytes?: number;
    dropped: number;
    rejected: number;
  };
  shipping: {
    lastShipAt?: string;
    lastLatencyMs?: number;
    batchesShipped: number;
    samplesShipped: number;
    shipErrors: number;
    lastError?: { at: string; message: string };
  };
  config: { source: 'defaults' | 'cache' | 'poll' | 'push'; etag?: string; appliedAt?: string };
  collectors: { name: string; intervalSeconds: number }[];
  /** Gateway mode only: each polled controller's health, as the poller keeps it. */
  gateway?: {
    controllers: {
      controller: string;
      address: string;
      up?: boolean;
      lastSuccessAt?: string;
      lastCycleMs?: number;
      readLatencyMs?: number;
      requestsTotal: number;
      errorsTotal: number;
      lastError?: string;
    }[];
  };
}

/** Rewrites the status file on an interval; see {@link createStatusWriter}. */
export interface StatusWriter {
  /** Writes now (errors are logged, never thrown). */
  write(): Promise<void>;
  /** Stops the interval and writes a last status with `stoppedAt`. */
  stop(): Promise<void>;
}

/** Starts rewriting `path` from `snapshot()` every `intervalMs` (default 5 000), atomically. */
export function createStatusWriter(options: {
  path: string;
  snapshot: () => Omit<AgentStatus, 'updatedAt' | 'intervalMs'>;
  log: Logger;
  intervalMs?: number;
}): StatusWriter {
  const intervalMs = options.intervalMs ?? 5_000;
  let failing = false;
  let writing: Promise<void> = Promise.resolve();
  const write = (extra: Partial<AgentStatus> = {}) => {
    // Chained so a final write cannot be overtaken by a periodic one still in flight.
    writing = writing.then(async () => {
      const status: AgentStatus = {
        ...options.snapshot(),
        ...extra,
        updatedAt: new Date().toISOString(),
        intervalMs,
      };
      try {
        await writeFileAtomic(options.path, JSON.stringify(status, null, 2) + '\n', 0o644);
        failing = false;
      } catch (err) {
        if (!failing) options.log.warn('could not write the status file', { path: options.path, err });
        failing = true;
      }
    });
    return writing;
  };
  const timer = setInterval(() => void write(), intervalMs);
  timer.unref();
  void write();
  return {
    write: () => write(),
    async stop() {
      clearInterval(timer);
      await write({ stoppedAt: new Date().toISOString() });
    },
  };
}

/** The status file as read, or why it could not be. */
export type StatusRead =
  { ok: true; status: AgentStatus } | { ok: false; reason: 'missing' | 'unreadable' | 'invalid'; message: string };

/** Reads and minimally checks a status file. */
export async function readStatusFile(path: string): Promise<StatusRead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: 'missing', message: `no status file at ${path}` };
    return { ok: false, reason: 'unreadable', message: `cannot read ${path}: ${(err as Error).message}` };
  }
  try {
    const status = JSON.parse(text) as AgentStatus;
    if (status.v !== 1 || typeof status.pid !== 'number' || typeof status.updatedAt !== 'string') throw new Error();
    return { ok: true, status };
  } catch {
    return { ok: false, reason: 'invalid', message: `${path} is not an agent status file` };
  }
}

/** Whether the agent that wrote `status` still runs: not stopped, pid alive, file fresh. */
export function assessStatus(
  status: AgentStatus,
  now = Date.now(),
): { running: boolean; ageMs: number; reason?: string } {
  const ageMs = Math.max(0, now - Date.parse(status.updatedAt));
  if (status.stoppedAt) return { running: false, ageMs, reason: `stopped at ${status.stoppedAt}` };
  if (!pidAlive(status.pid)) return { running: false, ageMs, reason: `process ${status.pid} is gone` };
  // Three missed rewrites plus slack for a busy host: after that the writer is stuck or gone.
  const staleAfter = 3 * status.intervalMs + 5_000;
  if (ageMs > staleAfter) {
    return { running: false, ageMs, reason: `status not updated for ${Math.round(ageMs / 1000)} s` };
  }
  return { running: true, ageMs };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user (the service account), which is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

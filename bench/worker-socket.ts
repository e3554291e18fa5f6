/**
 * The Worker's own socket under `wrangler dev`. wrangler runs the Worker in one workerd process
 * and listens in another, a proxy that forwards each request over loopback HTTP; the Worker's
 * process listens on a port chosen at start-up that wrangler does not print. Reading it from
 * /proc lets a bench time the Worker without the proxy, as a deployed Worker is reached
 * (dev-server-floor.ts measures what the proxy costs). Linux only; undefined elsewhere.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** Every process below `pid`: one pass over /proc for the parent of each, then a walk down. */
async function descendants(pid: number): Promise<number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Field 4 (ppid) follows the parenthesised command, which may itself hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const next = byParent.get(queue.shift()!) ?? [];
    out.push(...next);
    queue.push(...next);
  }
  return out;
}

/** TCP ports a process listens on: its socket inodes matched against /proc/net/tcp. */
async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const link = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // local_address is hex ip:port, st 0A is LISTEN, the inode is the tenth field.
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** What a row says when the socket was not found. */
export const SOCKET_NOT_FOUND = "workerd's own socket was not found (Linux /proc only)";

/** The URL of the workerd socket that answers Edgewatch's `/health`, under the platform's wrangler dev. */
export async function workerSocketUrl(platform: {
  url: string;
  workerPid(): number | undefined;
}): Promise<string | undefined> {
  const wranglerPid = platform.workerPid();
  if (wranglerPid === undefined) return undefined;
  const proxyPort = Number(new URL(platform.url).port);
  for (const pid of await descendants(wranglerPid)) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('workerd')) continue;
    for (const port of await listeningPorts(pid)) {
      if (port === proxyPort) continue;
      const url = `http://127.0.0.1:${port}`;
      try {
        const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        const body = (await res.json()) as { status?: unknown };
        if (res.ok && body.status === 'ok') return url;
      } catch {
        /* another of workerd's sockets (inspector, loopback services) */
      }
    }
  }
  return undefined;
}

import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from '../log.ts';
import { broadcastAddresses } from './discovery-broadcast.ts';
import {
  DISCOVERY_PORT,
  DISCOVERY_QUERY,
  parseDiscoveryReply,
  type DiscoveredController,
} from './discovery-protocol.ts';

export type { DiscoveredController } from './discovery-protocol.ts';
export { DISCOVERY_PORT } from './discovery-protocol.ts';

/** Where a query goes. */
export interface DiscoveryTarget {
  host: string;
  port: number;
}

export interface DiscoverOptions {
  /**
   * Unicast targets (routed networks, tests). With targets and no `broadcast`, only they are asked.
   */
  targets?: DiscoveryTarget[];
  /**
   * Broadcast the query: `true` (the default without targets) sends to 255.255.255.255 and to the
   * directed broadcast address of each IPv4 interface; a list sends to those addresses.
   */
  broadcast?: boolean | string[];
  /** Port broadcasts go to. Default 1234. */
  port?: number;
  /** How long to collect replies after sending. Default 3 000 ms: T3 controllers answer slowly. */
  timeoutMs?: number;
  /** Local port to bind; default 0 (any), since controllers answer the query's source. */
  localPort?: number;
  /** Local address to bind; default all interfaces. */
  localAddress?: string;
  /** Stops collecting early; what arrived so far is returned. */
  signal?: AbortSignal;
  /** Malformed, bootloader and duplicate replies are logged at debug. */
  log?: Logger;
  /** Called for each new controller as its reply arrives (the CLI prints as they come). */
  onController?: (controller: DiscoveredController) => void;
}

/**
 * Sends the T3 discovery query and collects replies for `timeoutMs`, one entry per serial number
 * (the first reply wins; a controller reached by two broadcast addresses answers twice).
 * Replies that are not T3 replies, too short, or from a controller in its bootloader are skipped.
 * Rejects only when the socket cannot be opened; a send that fails (no route) is logged.
 */
export async function discover(options: DiscoverOptions = {}): Promise<DiscoveredController[]> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const log = options.log;
  const found = new Map<string, DiscoveredController>();
  const socket = createSocket({ type: 'udp4', reuseAddr: false });
  try {
    await bind(socket, options.localPort ?? 0, options.localAddress);
    socket.setBroadcast(true);
    socket.on('message', (msg, rinfo) => {
      const from = `${rinfo.address}:${rinfo.port}`;
      const parsed = parseDiscoveryReply(msg);
      if (!parsed.ok) {
        log?.debug('discovery: reply skipped', { from, bytes: msg.length, ...parsed, ok: undefined });
        return;
      }
      const controller = { ...parsed.controller, replyFrom: from };
      const key = String(controller.serial);
      if (found.has(key)) {
        log?.debug('discovery: duplicate reply', { from, serial: controller.serial });
        return;
      }
      found.set(key, controller);
      options.onController?.(controller);
    });
    // After bind, so a send error (unreachable network) cannot race the listener.
    socket.on('error', (err) => log?.warn('discovery: socket error', { err }));

    const destinations = queryDestinations(options);
    await Promise.all(destinations.map((d) => send(socket, d, log)));
    await collectFor(timeoutMs, options.signal);
    return [...found.values()];
  } finally {
    socket.close();
  }
}

/** The unicast targets plus, unless only targets were given, the broadcast addresses. */
export function queryDestinations(options: Pick<DiscoverOptions, 'targets' | 'broadcast' | 'port'>): DiscoveryTarget[] {
  const port = options.port ?? DISCOVERY_PORT;
  const targets = options.targets ?? [];
  const broadcast = options.broadcast ?? targets.length === 0;
  const addresses = broadcast === true ? broadcastAddresses() : broadcast === false ? [] : broadcast;
  const all = [...targets, ...addresses.map((host) => ({ host, port }))];
  return all.filter((d, i) => all.findIndex((o) => o.host === d.host && o.port === d.port) === i);
}

function bind(socket: Socket, port: number, address: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

function send(socket: Socket, to: DiscoveryTarget, log: Logger | undefined): Promise<void> {
  return new Promise((resolve) => {
    socket.send(DISCOVERY_QUERY, to.port, to.host, (err) => {
      // One unreachable interface must not stop the query on the others.
      if (err) log?.warn('discovery: query not sent', { to: `${to.host}:${to.port}`, err });
      else log?.debug('discovery: query sent', { to: `${to.host}:${to.port}` });
      resolve();
    });
  });
}

function collectFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

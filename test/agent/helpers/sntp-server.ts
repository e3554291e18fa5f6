import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** A local SNTP responder; `requests` counts the queries it received. */
export interface SntpServer {
  port: number;
  requests: number;
  close(): Promise<void>;
}

export interface SntpServerOptions {
  /** Added to this machine's clock in the answer, so the client should measure this offset. */
  offsetMs?: number;
  /** Wait before answering, to give a known round trip. */
  delayMs?: number;
  /** Receive the query but never answer. */
  silent?: boolean;
  stratum?: number;
}

// Written here independently of the agent's encoder, so a shared bug cannot hide.
function ntpTimestamp(epochMs: number): Buffer {
  const b = Buffer.alloc(8);
  const seconds = epochMs / 1000 + 2_208_988_800;
  b.writeUInt32BE(Math.floor(seconds) >>> 0, 0);
  b.writeUInt32BE(Math.floor((seconds % 1) * 2 ** 32) >>> 0, 4);
  return b;
}

/** Starts an SNTP server on 127.0.0.1 and a free UDP port. */
export async function startSntpServer(options: SntpServerOptions = {}): Promise<SntpServer> {
  const socket = createSocket('udp4');
  const server: SntpServer = { port: 0, requests: 0, close: () => new Promise((r) => socket.close(() => r())) };
  socket.on('message', (msg, peer) => {
    server.requests += 1;
    if (options.silent || msg.length < 48) return;
    const received = Date.now() + (options.offsetMs ?? 0);
    setTimeout(() => {
      const reply = Buffer.alloc(48);
      reply[0] = (0 << 6) | (4 << 3) | 4; // no leap warning, version 4, mode 4 (server)
      reply[1] = options.stratum ?? 2;
      reply.write('LOCL', 12, 'ascii');
      msg.copy(reply, 24, 40, 48); // originate = the client's transmit timestamp
      ntpTimestamp(received).copy(reply, 32);
      ntpTimestamp(Date.now() + (options.offsetMs ?? 0)).copy(reply, 40);
      socket.send(reply, peer.port, peer.address);
    }, options.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  server.port = (socket.address() as AddressInfo).port;
  return server;
}

import { createSocket, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';

/** The BACnet/IP UDP port (0xBAC0). */
export const BACNET_PORT = 47_808;

/** The largest BACnet/IP datagram payload (1476-octet APDU plus headers), as the library's own transport. */
const MAX_PAYLOAD = 1482;

export interface BacnetTransportOptions {
  /** Local UDP port; 0 (the default) takes any free port. */
  port?: number;
  /** Local address; default all interfaces. */
  address?: string;
  /** Where a send without a receiver goes. Default 255.255.255.255. */
  broadcastAddress?: string;
}

/**
 * A UDP transport for `@bacnet-js/client` (its `transport` option). The library's own binds
 * `port || 47808` with SO_REUSEADDR, so asking it for any free port gives 47808 shared with
 * whatever BACnet software runs on the host, which then takes some of our replies. This one binds
 * the port asked for, 0 meaning any, exclusively, and says when it is bound.
 *
 * Addresses are the library's strings: `ip` for port 47808, else `ip:port`.
 */
export class BacnetTransport extends EventEmitter {
  readonly #socket: Socket;
  readonly #options: BacnetTransportOptions;
  /** Resolves with the bound address once listening; rejects if the bind fails. */
  readonly ready: Promise<AddressInfo>;

  constructor(options: BacnetTransportOptions = {}) {
    super();
    this.#options = options;
    this.#socket = createSocket({ type: 'udp4', reuseAddr: false });
    this.#socket.on('message', (msg, rinfo) => {
      this.emit('message', msg, rinfo.port === BACNET_PORT ? rinfo.address : `${rinfo.address}:${rinfo.port}`);
    });
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once('listening', () => {
        this.#socket.off('error', reject);
        resolve(this.#socket.address());
      });
      this.#socket.once('error', reject);
    });
    // The client reports errors through its own 'error' event; a failed bind shows in `ready`.
    this.ready.catch(() => {});
    this.#socket.on('error', (err) => this.emit('error', err));
    this.#socket.on('listening', () => this.emit('listening', this.#socket.address()));
    this.#socket.on('close', () => this.emit('close'));
  }

  /** Called by the client's constructor. */
  open(): void {
    this.#socket.bind({ port: this.#options.port ?? 0, address: this.#options.address, exclusive: true }, () => {
      this.#socket.setBroadcast(true);
    });
  }

  close(): void {
    this.#socket.close();
  }

  getBroadcastAddress(): string {
    return this.#options.broadcastAddress ?? '255.255.255.255';
  }

  getMaxPayload(): number {
    return MAX_PAYLOAD;
  }

  /** Sends `buffer[0, length)` to `receiver` (`ip` or `ip:port`), or broadcasts without one. */
  send(buffer: Buffer, length: number, receiver?: string): void {
    const [host, port] = splitAddress(receiver ?? this.getBroadcastAddress());
    this.#socket.send(buffer, 0, length, port, host, (err) => {
      if (err) this.emit('error', err);
    });
  }
}

/** `ip` or `ip:port` as the library writes them; no port means 47808. */
export function splitAddress(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  if (i === -1) return [address, BACNET_PORT];
  return [address.slice(0, i), Number(address.slice(i + 1))];
}

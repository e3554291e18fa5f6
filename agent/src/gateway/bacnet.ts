import type { AddressInfo } from 'node:net';
import type BACnetClient from '@bacnet-js/client';
import type { Sample } from '../collectors/types.ts';
import type { Logger } from '../log.ts';
import {
  BACNET_OBJECT_TYPES,
  formatObjectRef,
  PRESENT_VALUE,
  presentValueNumber,
  type BacnetObjectRef,
  type TaggedValue,
} from './bacnet-objects.ts';
import { createRequestQueue } from './bacnet-queue.ts';
import { BACNET_PORT, BacnetTransport, splitAddress } from './bacnet-transport.ts';

export { BACNET_PORT } from './bacnet-transport.ts';
export type { BacnetObjectRef, BacnetObjectTypeName } from './bacnet-objects.ts';

/** A BACnet/IP device as the gateway addresses it. */
export interface BacnetDevice {
  /** `host` (port 47808) or `host:port`, IPv4. */
  address: string;
  /** Device instance, when known (discovery reports it). */
  instance?: number | null;
  /**
   * The `controller` label of its samples. Default: the instance, else the address. A T3
   * controller read over both protocols should get its serial here, as its Modbus points do.
   */
  label?: string;
}

export interface BacnetReaderOptions {
  /** Time for one ReadProperty to be answered. Default 3 000 ms (the library's APDU timeout). */
  timeoutMs?: number;
  /** Local UDP port; default 0 (any free port; devices answer the request's source). */
  localPort?: number;
  /** Local address; default all interfaces. */
  localAddress?: string;
  /** Requests in flight across devices, at most 256 (the library's invoke ids). Default 128. */
  maxInFlight?: number;
  log?: Logger;
}

/** What reading a device's objects gave: a sample per object read, and why the others failed. */
export interface BacnetReadResult {
  samples: Sample[];
  errors: { object: string; error: Error }[];
}

/** Reads `presentValue` over BACnet/IP, one request at a time per device. */
export interface BacnetReader {
  /** The local address requests leave from (the port a firewall must let answers back to). */
  address(): Promise<AddressInfo>;
  /** One object's present value as a number (binary states 0/1). Rejects on timeout or BACnet error. */
  readPresentValue(device: BacnetDevice, object: BacnetObjectRef, signal?: AbortSignal): Promise<number>;
  /**
   * Reads each object in turn and returns `bacnet_present_value` samples labelled
   * `{ controller, object }` (e.g. `{ controller: '1234', object: 'analog-input:3' }`) for those that
   * answered, stamped `ts`, and the failures. After a timeout the remaining objects of that
   * device are not tried this round: a device that does not answer one read rarely answers the next.
   */
  readSamples(device: BacnetDevice, objects: readonly BacnetObjectRef[], ts?: number): Promise<BacnetReadResult>;
  close(): Promise<void>;
}

/** A read that got no answer in time. */
export class BacnetTimeoutError extends Error {
  override name = 'BacnetTimeoutError';
}

type Client = InstanceType<typeof BACnetClient>;

/**
 * Creates a reader. The BACnet library and the socket are loaded on the first read, so a gateway
 * with no BACnet device configured pays for neither.
 */
export function createBacnetReader(options: BacnetReaderOptions = {}): BacnetReader {
  const timeoutMs = options.timeoutMs ?? 3_000;
  if (options.maxInFlight !== undefined && !(options.maxInFlight >= 1 && options.maxInFlight <= 256)) {
    throw new RangeError(`maxInFlight must be 1–256, got ${options.maxInFlight}`);
  }
  const queue = createRequestQueue(options.maxInFlight ?? 128);
  let opened: Promise<{ client: Client; transport: BacnetTransport }> | undefined;
  let closed = false;

  const open = () => {
    opened ??= (async () => {
      const mod = await import('@bacnet-js/client');
      // CommonJS with `exports.default`: Node's ESM import puts the exports object on `default`.
      const Ctor = ((mod.default as unknown as { default?: typeof BACnetClient }).default ??
        mod.default) as typeof BACnetClient;
      const transport = new BacnetTransport({ port: options.localPort, address: options.localAddress });
      const client = new Ctor({ transport, apduTimeout: timeoutMs });
      client.on('error', (err) => options.log?.warn('bacnet: socket error', { err }));
      try {
        await transport.ready;
      } catch (err) {
        // A port in use now may be free on the next read.
        opened = undefined;
        client.close();
        throw new Error(`cannot open the BACnet socket: ${(err as Error).message}`, { cause: err });
      }
      return { client, transport };
    })();
    return opened;
  };

  const readPresentValue = async (device: BacnetDevice, object: BacnetObjectRef, signal?: AbortSignal) => {
    // Keyed by the normalized address, so `host` and `host:47808` share one queue.
    const address = normalize(device.address);
    return queue.run(address, async () => {
      if (closed) throw new Error('BACnet reader is closed');
      signal?.throwIfAborted();
      const { client } = await open();
      const receiver = { address };
      const objectId = { type: BACNET_OBJECT_TYPES[object.type], instance: object.instance };
      const started = performance.now();
      let result;
      try {
        result = await client.readProperty(receiver, objectId, PRESENT_VALUE);
      } catch (err) {
        // Closing rejects what is pending as a timeout; say what happened instead.
        if (closed) throw new Error('BACnet reader is closed', { cause: err });
        throw translate(err, device, object, timeoutMs);
      }
      const value = presentValueNumber(result.values as TaggedValue[]);
      options.log?.debug('bacnet: read', {
        device: device.address,
        object: formatObjectRef(object),
        ms: Math.round(performance.now() - started),
      });
      if (value === null) {
        throw new Error(
          `${formatObjectRef(object)} on ${device.address}: presentValue is not a number (${JSON.stringify(result.values).slice(0, 120)})`,
        );
      }
      return value;
    });
  };

  return {
    address: async () => (await open()).transport.ready,
    readPresentValue: (device, object, signal) => readPresentValue(device, object, signal),
    async readSamples(device, objects, ts = Date.now()) {
      const out: BacnetReadResult = { samples: [], errors: [] };
      const label = device.label ?? (device.instance != null ? String(device.instance) : device.address);
      let timedOut = false;
      for (const object of objects) {
        const name = formatObjectRef(object);
        if (timedOut) {
          out.errors.push({ object: name, error: new BacnetTimeoutError(`skipped: ${device.address} timed out`) });
          continue;
        }
        try {
          const value = await readPresentValue(device, object);
          out.samples.push({ metric: 'bacnet_present_value', ts, value, labels: { controller: label, object: name } });
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          timedOut = error instanceof BacnetTimeoutError;
          out.errors.push({ object: name, error });
        }
      }
      return out;
    },
    async close() {
      closed = true;
      const session = await opened?.catch(() => undefined);
      if (!session) return;
      const { client, transport } = session;
      const done = new Promise<void>((resolve) => transport.once('close', () => resolve()));
      client.close();
      await done;
    },
  };
}

/** The library wants `ip` for 47808 and `ip:port` otherwise, as its transport reports senders. */
function normalize(address: string): string {
  const [host, port] = splitAddress(address);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`bad BACnet address ${JSON.stringify(address)}`);
  return port === BACNET_PORT ? host : `${host}:${port}`;
}

function translate(err: unknown, device: BacnetDevice, object: BacnetObjectRef, timeoutMs: number): Error {
  const message = err instanceof Error ? err.message : String(err);
  const what = `${formatObjectRef(object)} on ${device.address}`;
  if (message === 'ERR_TIMEOUT') return new BacnetTimeoutError(`no BACnet answer for ${what} within ${timeoutMs} ms`);
  // The library's errors read `BacnetError - Class:1 - Code:31` (class object, code unknown object).
  return new Error(`${what}: ${message}`, { cause: err });
}

import type BACnetClient from '@bacnet-js/client';
import { BACNET_OBJECT_TYPES, PRESENT_VALUE, type BacnetObjectRef } from '../bacnet-objects.ts';
import { BacnetTransport } from '../bacnet-transport.ts';

/** ASHRAE 135 codes the simulated device answers with (the library's enums, loaded lazily). */
const TAG = { UNSIGNED: 2, REAL: 4, ENUMERATED: 9 } as const;
const ERROR_CLASS = { OBJECT: 1, PROPERTY: 2 } as const;
const ERROR_CODE = { UNKNOWN_OBJECT: 31, UNKNOWN_PROPERTY: 32 } as const;
const CONFIRMED_READ_PROPERTY = 12;
const NO_SEGMENTATION = 3;

/** One object of the simulated device; `value` may be a function for values that change. */
export interface SimulatedBacnetObject extends BacnetObjectRef {
  value: number | (() => number);
}

export interface BacnetDeviceOptions {
  /** Device instance (answered in I-Am). Default 1234. */
  deviceInstance?: number;
  objects: readonly SimulatedBacnetObject[];
  /** UDP port; default 0 (any free port). Real devices use 47808. */
  port?: number;
  /** Default 127.0.0.1. */
  address?: string;
  /** Wait before answering, as slow controllers do. Default 0. */
  delayMs?: number;
  /** Never answer (a device that is down, for timeout tests). */
  silent?: boolean;
  /** Temco's vendor id is 148. */
  vendorId?: number;
}

/** A running simulated device. */
export interface SimulatedBacnetDevice {
  readonly port: number;
  readonly address: string;
  /** `address:port`, as a reader addresses it. */
  readonly target: string;
  readonly deviceInstance: number;
  /** ReadProperty requests received (answered or not). */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * A BACnet/IP device on loopback built with @bacnet-js/client: answers ReadProperty of
 * `presentValue` for its objects (REAL for analog, ENUMERATED 0/1 for binary, Unsigned for
 * multi-state), an error for unknown objects and properties, and Who-Is with I-Am.
 * The library ignores requests from `127.0.0.1:47808` (its own broadcasts), so readers on the
 * same host must use another local port, which the gateway's reader does by default.
 */
export async function startBacnetDevice(options: BacnetDeviceOptions): Promise<SimulatedBacnetDevice> {
  const mod = await import('@bacnet-js/client');
  const Ctor = ((mod.default as unknown as { default?: typeof BACnetClient }).default ??
    mod.default) as typeof BACnetClient;
  const deviceInstance = options.deviceInstance ?? 1234;
  const byNumber = new Map<string, SimulatedBacnetObject>(
    options.objects.map((o) => [`${BACNET_OBJECT_TYPES[o.type]}:${o.instance}`, o]),
  );
  const transport = new BacnetTransport({ port: options.port ?? 0, address: options.address ?? '127.0.0.1' });
  const device = new Ctor({ transport });
  device.on('error', () => {});
  const timers = new Set<NodeJS.Timeout>();
  let requests = 0;

  const later = (fn: () => void) => {
    if (!options.delayMs) return fn();
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, options.delayMs);
    timers.add(t);
  };

  device.on('readProperty', (content) => {
    requests++;
    if (options.silent) return;
    const sender = content.header!.sender;
    const invokeId = content.invokeId!;
    const { objectId, property } = content.payload;
    const object = byNumber.get(`${objectId.type}:${objectId.instance}`);
    later(() => {
      if (!object) {
        device.errorResponse(sender, CONFIRMED_READ_PROPERTY, invokeId, ERROR_CLASS.OBJECT, ERROR_CODE.UNKNOWN_OBJECT);
      } else if (property.id !== PRESENT_VALUE) {
        device.errorResponse(
          sender,
          CONFIRMED_READ_PROPERTY,
          invokeId,
          ERROR_CLASS.PROPERTY,
          ERROR_CODE.UNKNOWN_PROPERTY,
        );
      } else {
        const value = typeof object.value === 'function' ? object.value() : object.value;
        device.readPropertyResponse(sender, invokeId, objectId, property, [tagged(object, value)]);
      }
    });
  });
  device.on('whoIs', (content) => {
    if (options.silent) return;
    const { lowLimit, highLimit } = content.payload;
    if (lowLimit !== undefined && (deviceInstance < lowLimit || deviceInstance > (highLimit ?? lowLimit))) return;
    device.iAmResponse(content.header!.sender, deviceInstance, NO_SEGMENTATION, options.vendorId ?? 148);
  });

  const bound = await transport.ready;
  return {
    port: bound.port,
    address: bound.address,
    target: `${bound.address}:${bound.port}`,
    deviceInstance,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        transport.once('close', () => resolve());
        device.close();
      }),
  };
}

function tagged(object: SimulatedBacnetObject, value: number) {
  if (object.type.startsWith('binary-')) return { type: TAG.ENUMERATED, value: value ? 1 : 0 };
  if (object.type.startsWith('multi-state-')) return { type: TAG.UNSIGNED, value: Math.max(1, Math.round(value)) };
  return { type: TAG.REAL, value };
}

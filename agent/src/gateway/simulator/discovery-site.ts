import { startBacnetDevice, type SimulatedBacnetDevice, type SimulatedBacnetObject } from './bacnet.ts';
import { startDiscoveryResponder, type SimulatedReply } from './discovery.ts';

/** What this part needs to know of a simulated controller (the simulator's `SimulatedController`). */
export interface SiteController {
  serial: number;
  modbusId: number;
  modbus: { port: number };
}

/** The same shape as the simulator's `SimulatorPart`. */
export interface SitePart {
  describe(): string[];
  close(): Promise<void>;
  /** The discovery responder's UDP port. */
  readonly discoveryPort: number;
  /** Each controller's BACnet device, by serial. */
  readonly bacnet: ReadonlyMap<number, SimulatedBacnetDevice>;
}

export interface SitePartOptions {
  /** UDP port of the discovery responder; default 0 (free). Real controllers use 1234. */
  discoveryPort?: number;
  /** Give each controller a BACnet device (its instance is its serial). Default true. */
  bacnet?: boolean;
  /** The simulator's time, for values that change. Default Date.now. */
  clock?: () => number;
}

/** Temco's product id of a T3-BB controller, which the simulated controllers pretend to be. */
const T3_BB = 74;

/**
 * A simulator part: for each controller a BACnet device (instance = serial) with changing
 * values, then one discovery responder whose replies describe every controller, its Modbus port
 * and its BACnet port, so `gateway discover` finds the simulated site and both protocols reach it.
 * Every third controller answers with a 40-byte (old firmware) reply.
 */
export function discoveryAndBacnetPart(options: SitePartOptions = {}) {
  return async (controllers: readonly SiteController[], host: string): Promise<SitePart> => {
    const clock = options.clock ?? Date.now;
    const bacnet = new Map<number, SimulatedBacnetDevice>();
    const close = () => Promise.allSettled([...bacnet.values()].map((d) => d.close())).then(() => {});
    try {
      if (options.bacnet ?? true) {
        for (const [i, c] of controllers.entries()) {
          bacnet.set(
            c.serial,
            await startBacnetDevice({ deviceInstance: c.serial, address: host, objects: objects(i, clock) }),
          );
        }
      }
      const replies = controllers.map((c, i): SimulatedReply => ({
        serial: c.serial,
        productId: T3_BB,
        modbusId: c.modbusId,
        ip: host,
        port: c.modbus.port,
        firmware: 523,
        panelNumber: i + 1,
        panelName: `Sim panel ${i + 1}`,
        bacnetInstance: bacnet.has(c.serial) ? c.serial : null,
        bacnetPort: bacnet.get(c.serial)?.port ?? null,
        length: i % 3 === 2 ? 40 : 68,
      }));
      const responder = await startDiscoveryResponder({ replies, port: options.discoveryPort ?? 0, address: host });
      return {
        discoveryPort: responder.port,
        bacnet,
        describe: () => [
          `discovery udp ${host}:${responder.port}`,
          ...[...bacnet.entries()].map(([serial, d]) => `bacnet device ${serial} udp ${d.target}`),
        ],
        close: async () => {
          await responder.close();
          await close();
        },
      };
    } catch (err) {
      await close();
      throw err;
    }
  };
}

/** A few objects in T3000's BACnet mapping: inputs as AI, outputs as AO/BO, variables as AV. */
function objects(index: number, clock: () => number): SimulatedBacnetObject[] {
  const minutes = () => clock() / 60_000;
  return [
    { type: 'analog-input', instance: 1, value: () => round(21 + index + 2 * Math.sin(minutes() / 5)) },
    { type: 'analog-input', instance: 2, value: () => round(-5 + 3 * Math.cos(minutes() / 7)) },
    { type: 'analog-output', instance: 1, value: () => round(50 + 25 * Math.sin(minutes() / 3)) },
    { type: 'binary-output', instance: 2, value: () => Math.floor(minutes()) % 2 },
    { type: 'analog-value', instance: 1, value: 21.5 },
  ];
}

const round = (n: number) => Math.round(n * 10) / 10;

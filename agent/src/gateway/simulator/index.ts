import { startSimulatedModbus, type AnswerDelay, type SimulatedModbus } from './modbus-server.ts';
import { discoveryAndBacnetPart } from './discovery-site.ts';

/** One simulated T3 controller. */
export interface SimulatedController {
  /** Its serial number (as discovery would report it): 1001, 1002, … */
  serial: number;
  /** Its Modbus id. The server answers any unit id; this is what discovery reports. */
  modbusId: number;
  modbus: SimulatedModbus;
}

/**
 * Another part of the simulated site (the discovery responder, the BACnet device), started
 * once the controllers listen so it can describe them.
 */
export interface SimulatorPart {
  /** Lines for `gateway simulate` to print, e.g. `discovery udp 127.0.0.1:1234`. */
  describe(): string[];
  close(): Promise<void>;
}
export type SimulatorPartStarter = (
  controllers: readonly SimulatedController[],
  host: string,
) => Promise<SimulatorPart>;

export interface SimulatorOptions {
  /** Number of controllers. Default 3. */
  controllers?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** First controller's port; the next ones follow (P, P+1, …). Default: free ports. */
  port?: number;
  /** Answer delay of every controller. Default 2–5 s, like T3 hardware. */
  delay?: AnswerDelay;
  /** Per-controller delays, by index, overriding `delay`. */
  delays?: Record<number, AnswerDelay>;
  /** The simulator's time; see startSimulatedModbus. */
  clock?: () => number;
  /** Further parts to start instead of DEFAULT_PARTS (tests pass their own, or none). */
  parts?: readonly SimulatorPartStarter[];
}

/** Besides the Modbus controllers: the discovery responder and the BACnet devices. */
const DEFAULT_PARTS: readonly SimulatorPartStarter[] = [discoveryAndBacnetPart()];

/** A running simulated T3000 site. */
export interface Simulator {
  host: string;
  controllers: SimulatedController[];
  parts: SimulatorPart[];
  /** Read requests every controller has answered. */
  requests(): number;
  close(): Promise<void>;
}

/** The default answer time of simulated controllers: T3 hardware takes 2–5 s a read. */
export const REALISTIC_DELAY: AnswerDelay = { minMs: 2_000, maxMs: 5_000 };

/** Starts N simulated T3 controllers, each its own Modbus TCP server on its own port. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const count = options.controllers ?? 3;
  const controllers: SimulatedController[] = [];
  const parts: SimulatorPart[] = [];
  const close = async () => {
    await Promise.allSettled([...parts.map((p) => p.close()), ...controllers.map((c) => c.modbus.close())]);
  };
  try {
    for (let i = 0; i < count; i++) {
      const modbus = await startSimulatedModbus({
        index: i,
        host,
        port: options.port ? options.port + i : 0,
        delay: options.delays?.[i] ?? options.delay ?? REALISTIC_DELAY,
        clock: options.clock,
      });
      controllers.push({ serial: 1001 + i, modbusId: 1, modbus });
    }
    for (const start of options.parts ?? DEFAULT_PARTS) parts.push(await start(controllers, host));
  } catch (err) {
    await close();
    throw err;
  }
  return {
    host,
    controllers,
    parts,
    requests: () => controllers.reduce((sum, c) => sum + c.modbus.requests, 0),
    close,
  };
}

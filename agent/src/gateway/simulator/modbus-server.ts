import { once } from 'node:events';
import { createServer } from 'node:net';
import { ServerTCP } from 'modbus-serial';
import { simulatedRegister } from './modbus-t3-model.ts';

/** An answer delay: a fixed number of milliseconds, or a range drawn from per request. */
export type AnswerDelay = number | { minMs: number; maxMs: number };

export interface SimulatedModbusOptions {
  /** Controller number: picks its values (0, 1, …). */
  index: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** How long each answer takes. Default 0. */
  delay?: AnswerDelay;
  /** The simulator's time (epoch ms). Default Date.now; tests fix it to know every register. */
  clock?: () => number;
}

/** One simulated controller's Modbus TCP server. */
export interface SimulatedModbus {
  host: string;
  port: number;
  /** Read requests answered or being answered (functions 3 and 4), since start. */
  readonly requests: number;
  /** Registers those requests asked for. */
  readonly registersRead: number;
  /** Changes the answer delay from now on. */
  setDelay(delay: AnswerDelay): void;
  close(): Promise<void>;
}

/**
 * Serves a simulated T3 controller's holding registers with modbus-serial's ServerTCP, answering
 * any unit id. Input registers read 0 (T3 uses holding registers only).
 */
export async function startSimulatedModbus(options: SimulatedModbusOptions): Promise<SimulatedModbus> {
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? Date.now;
  let delay = options.delay ?? 0;
  let requests = 0;
  let registersRead = 0;
  const timers = new Set<NodeJS.Timeout>();

  const answer = <T>(value: () => T, cb: (err: Error | null, value: T) => void) => {
    const ms = typeof delay === 'number' ? delay : delay.minMs + Math.random() * (delay.maxMs - delay.minMs);
    if (ms <= 0) return cb(null, value());
    const timer = setTimeout(() => {
      timers.delete(timer);
      cb(null, value());
    }, ms);
    timers.add(timer);
  };
  const holding = (address: number, length: number) => {
    requests++;
    registersRead += length;
    // Values are taken when the answer leaves, as a slow controller would.
    return () => Array.from({ length }, (_, i) => simulatedRegister(options.index, address + i, clock()));
  };
  const zeros = (length: number) => {
    requests++;
    registersRead += length;
    return () => new Array<number>(length).fill(0);
  };

  // ServerTCP picks callback style by arity: these keep four (and three) parameters.
  const vector = {
    getMultipleHoldingRegisters: (addr: number, length: number, _unit: number, cb: Callback<number[]>) =>
      answer(holding(addr, length), cb),
    getHoldingRegister: (addr: number, _unit: number, cb: Callback<number>) => answer(() => holding(addr, 1)()[0]!, cb),
    getMultipleInputRegisters: (_addr: number, length: number, _unit: number, cb: Callback<number[]>) =>
      answer(zeros(length), cb),
    getInputRegister: (_addr: number, _unit: number, cb: Callback<number>) => answer(() => zeros(1)()[0]!, cb),
  };

  const { server, port } = await listen(vector, host, options.port ?? 0);
  return {
    host,
    port,
    get requests() {
      return requests;
    },
    get registersRead() {
      return registersRead;
    },
    setDelay(d) {
      delay = d;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

type Callback<T> = (err: Error | null, value: T) => void;

/**
 * ServerTCP takes no port 0 (it would listen on 502), so a free port is found first; another
 * process can take it in between, hence the retries on EADDRINUSE.
 */
async function listen(vector: object, host: string, wanted: number): Promise<{ server: ServerTCP; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const port = wanted || (await freePort(host));
    const server = new ServerTCP(vector, { host, port, unitID: 255 });
    // A client that hangs up mid-answer is its own business, not the simulator's.
    server.on('socketError', () => {});
    server.on('error', () => {});
    try {
      await Promise.race([
        once(server, 'initialized'),
        once(server, 'serverError').then(([err]) => Promise.reject(err as Error)),
      ]);
      return { server, port };
    } catch (err) {
      server.close(() => {});
      if (wanted || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 4) throw err;
    }
  }
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  probe.listen(0, host);
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

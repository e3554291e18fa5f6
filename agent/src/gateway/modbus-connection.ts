import ModbusRTU from 'modbus-serial';
import { backoffDelay, type BackoffOptions } from '../backoff.ts';
import type { ReadRequest } from './request-plan.ts';

/** Where a controller is and how patient to be with it. */
export interface ModbusConnectionOptions {
  host: string;
  /** Modbus TCP port. Default 502. */
  port?: number;
  /** Modbus unit id (T3: the controller's Modbus id). Default 1. */
  unitId?: number;
  /** Limit for connecting and for each request's answer. Default 5 000 ms (T3 hardware takes 2–5 s). */
  timeoutMs?: number;
  /** Further attempts after a timeout or a connection failure. Default 1. */
  retries?: number;
  /** Delay between attempts (full jitter). Default base 250 ms, cap 5 s. */
  backoff?: BackoffOptions;
}

/** Why a read failed: the controller's own exception, no answer in time, no connection, or stopped. */
export type ModbusFailure = 'exception' | 'timeout' | 'connection' | 'aborted';

export class ModbusRequestError extends Error {
  override name = 'ModbusRequestError';
  readonly kind: ModbusFailure;
  /** The Modbus exception code, for `exception` (2: illegal data address). */
  readonly modbusCode?: number;
  constructor(message: string, kind: ModbusFailure, modbusCode?: number) {
    super(message);
    this.kind = kind;
    this.modbusCode = modbusCode;
  }
}

/** What a read returned: register bytes as on the wire (2 per register), or bits as 0/1. */
export interface ReadAnswer {
  bytes?: Buffer;
  bits?: number[];
  /** When the answer arrived (epoch ms). */
  at: number;
  /** From sending the request to its answer, of the attempt that succeeded. */
  latencyMs: number;
}

/** One controller's Modbus TCP connection: requests one at a time, reconnecting as needed. */
export interface ModbusConnection {
  /** Reads one request; rejects with ModbusRequestError. Queued behind requests already sent. */
  read(request: ReadRequest, signal?: AbortSignal): Promise<ReadAnswer>;
  /** Drops the connection; a later read connects again. */
  close(): Promise<void>;
}

/**
 * A connection with modbus-serial's TCP client. A request that times out drops the socket, so a
 * late answer can never be taken for the next request's, and the next attempt connects afresh.
 * Timeouts and connection failures are retried with backoff; a controller's exception (it
 * answered "illegal address") is not, since asking again would get the same answer.
 */
export function createModbusConnection(options: ModbusConnectionOptions): ModbusConnection {
  const port = options.port ?? 502;
  const unitId = options.unitId ?? 1;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retries = options.retries ?? 1;
  const backoff = { baseMs: 250, capMs: 5_000, ...options.backoff };
  let client: ModbusRTU | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const drop = () => {
    const c = client;
    client = undefined;
    // destroy() cancels the pending request's timer without calling it back: `attempt` races
    // every request against its own timer and the abort signal, so nothing waits forever.
    if (c) c.destroy(() => {});
  };

  const connect = async (signal?: AbortSignal): Promise<ModbusRTU> => {
    if (client?.isOpen) return client;
    drop();
    const c = new ModbusRTU();
    // Socket errors after connecting surface as failed requests; without a listener they would crash.
    c.on('error', () => {});
    c.setTimeout(timeoutMs);
    try {
      await bounded(c.connectTCP(options.host, { port, timeout: timeoutMs }), timeoutMs, signal, 'connect');
    } catch (err) {
      c.destroy(() => {});
      throw classify(err, `connect to ${options.host}:${port}`);
    }
    c.setID(unitId);
    client = c;
    return c;
  };

  const attempt = async (request: ReadRequest, signal?: AbortSignal): Promise<ReadAnswer> => {
    const c = await connect(signal);
    const sent = performance.now();
    try {
      const answer = await bounded(send(c, request), timeoutMs + 100, signal, 'read');
      return { ...answer, at: Date.now(), latencyMs: performance.now() - sent };
    } catch (err) {
      const failure = classify(err, `${request.table} ${request.address}+${request.count}`);
      if (failure.kind !== 'exception') drop();
      throw failure;
    }
  };

  const readWithRetries = async (request: ReadRequest, signal?: AbortSignal): Promise<ReadAnswer> => {
    for (let n = 0; ; n++) {
      try {
        return await attempt(request, signal);
      } catch (err) {
        const failure = err as ModbusRequestError;
        if (failure.kind === 'exception' || failure.kind === 'aborted' || n >= retries) throw failure;
        await sleep(backoffDelay(n, backoff), signal);
      }
    }
  };

  return {
    read(request, signal) {
      const next = queue.then(() => readWithRetries(request, signal));
      queue = next.catch(() => {});
      return next;
    },
    async close() {
      drop();
    },
  };
}

async function send(c: ModbusRTU, r: ReadRequest): Promise<{ bytes?: Buffer; bits?: number[] }> {
  switch (r.table) {
    case 'holding':
      return { bytes: (await c.readHoldingRegisters(r.address, r.count)).buffer };
    case 'input':
      return { bytes: (await c.readInputRegisters(r.address, r.count)).buffer };
    case 'coil':
      return { bits: (await c.readCoils(r.address, r.count)).data.slice(0, r.count).map(Number) };
    case 'discrete':
      return { bits: (await c.readDiscreteInputs(r.address, r.count)).data.slice(0, r.count).map(Number) };
  }
}

/** Settles with `promise`, or rejects on timeout or abort (modbus-serial's own timers are the first line). */
function bounded<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(new ModbusRequestError(`${what}: stopped`, 'aborted'));
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      done();
      reject(new ModbusRequestError(`${what}: stopped`, 'aborted'));
    };
    const timer = setTimeout(() => {
      done();
      reject(new ModbusRequestError(`${what}: no answer in ${ms} ms`, 'timeout'));
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (done(), resolve(v)),
      (e: unknown) => (done(), reject(e)),
    );
  });
}

function classify(err: unknown, what: string): ModbusRequestError {
  if (err instanceof ModbusRequestError) return err;
  const e = err as { message?: string; name?: string; code?: string; errno?: string; modbusCode?: number };
  if (typeof e.modbusCode === 'number') {
    return new ModbusRequestError(`${what}: ${e.message ?? 'Modbus exception'}`, 'exception', e.modbusCode);
  }
  const timedOut =
    e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT' || /timed out/i.test(e.message ?? '');
  const message = e.message ?? String(err);
  const code = e.code ?? e.errno;
  const why = code && !message.includes(code) ? `${code} ${message}` : message;
  return new ModbusRequestError(`${what}: ${why}`, timedOut ? 'timeout' : 'connection');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ModbusRequestError('stopped', 'aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ModbusRequestError('stopped', 'aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

import type { ModbusConnection, ModbusRequestError } from './modbus-connection.ts';
import { decodeWords, scaled } from './register-decode.ts';
import { isWordRegister, TYPE_WORDS, type RawRegister, type RegisterTable } from './register-spec.ts';
import { planRequests, type ReadRequest, type Span } from './request-plan.ts';
import { decodeMeta, decodeValue, pointId, pointRegisters, type T3Point, type T3PointMeta } from './t3-profile.ts';

/** A controller to poll: where it is, which T3 points and which raw registers. */
export interface ControllerTarget {
  /** The `controller` label: the serial number when known (discovery), else `host:port`. */
  id: string;
  host: string;
  port: number;
  unitId: number;
  points: readonly T3Point[];
  registers: readonly RawRegister[];
}

export interface PointValue {
  point: T3Point;
  /** When the answer holding it arrived (epoch ms). */
  ts: number;
  value: number;
  digital: boolean;
}

export interface PointMetaReading {
  point: T3Point;
  ts: number;
  meta: T3PointMeta;
}

export interface RegisterValue {
  register: RawRegister;
  ts: number;
  /** Scaled; may be NaN or ±Infinity for a float register (the samples skip those). */
  value: number;
}

export interface RequestFailure {
  request: ReadRequest;
  error: ModbusRequestError;
}

/** What one poll of a controller got. */
export interface CycleResult {
  startedAt: number;
  endedAt: number;
  values: PointValue[];
  metas: PointMetaReading[];
  registers: RegisterValue[];
  /** Requests the cycle needed, those sent, and those the controller answered. */
  planned: number;
  requests: number;
  answered: number;
  failures: RequestFailure[];
  /** Latency of each answered request. */
  latenciesMs: number[];
  /**
   * The controller did not answer in time or refused the connection even after retries: the
   * cycle's remaining requests were not sent, so a dead controller costs one timeout, not one
   * per request.
   */
  unreachable: boolean;
}

export interface ControllerReader {
  /**
   * Reads the values of every point and raw register; with `meta`, also the range,
   * auto/manual and analog/digital registers (a point whose flags were never read gets them
   * regardless, since its value cannot be decoded without them).
   */
  readCycle(options: { meta: boolean; signal?: AbortSignal }): Promise<CycleResult>;
  /** The last flags read for a point. */
  meta(point: T3Point): T3PointMeta | undefined;
}

/** Options for coalescing; see planRequests. */
export interface ReaderOptions {
  maxGap?: number;
  /**
   * Where the points' flags are remembered. Readers of one controller share one map, so a point
   * read by several trend logs has its flags read once.
   */
  metas?: Map<string, T3PointMeta>;
}

/** Reads one controller's points and registers over `connection`, remembering their flags. */
export function createControllerReader(
  target: ControllerTarget,
  connection: ModbusConnection,
  options: ReaderOptions = {},
): ControllerReader {
  const metas = options.metas ?? new Map<string, T3PointMeta>();

  const readCycle: ControllerReader['readCycle'] = async ({ meta, signal }) => {
    const startedAt = Date.now();
    const metaPoints = target.points.filter((p) => meta || !metas.has(pointId(p)));
    const requests = planRequests(spansOf(target, metaPoints), { maxGap: options.maxGap });
    const image = new RegisterImage();
    const result: CycleResult = {
      startedAt,
      endedAt: startedAt,
      values: [],
      metas: [],
      registers: [],
      planned: requests.length,
      requests: 0,
      answered: 0,
      failures: [],
      latenciesMs: [],
      unreachable: false,
    };
    for (const request of requests) {
      result.requests++;
      try {
        const answer = await connection.read(request, signal);
        image.store(request, answer.bytes, answer.bits, answer.at);
        result.answered++;
        result.latenciesMs.push(answer.latencyMs);
      } catch (err) {
        const error = err as ModbusRequestError;
        result.failures.push({ request, error });
        if (error.kind !== 'exception') {
          result.unreachable = error.kind !== 'aborted';
          break;
        }
      }
    }

    for (const point of metaPoints) {
      const r = pointRegisters(point);
      const range = image.word('holding', r.range);
      const autoManual = image.word('holding', r.autoManual);
      const analogDigital = image.word('holding', r.analogDigital);
      if (!range || !autoManual || !analogDigital) continue;
      const m = decodeMeta(point.type, { range: range.v, autoManual: autoManual.v, analogDigital: analogDigital.v });
      metas.set(pointId(point), m);
      result.metas.push({ point, ts: Math.max(range.ts, autoManual.ts, analogDigital.ts), meta: m });
    }
    for (const point of target.points) {
      const m = metas.get(pointId(point));
      const r = pointRegisters(point);
      const high = image.word('holding', r.value);
      const low = image.word('holding', r.value + 1);
      if (!m || !high || !low) continue;
      result.values.push({ point, ts: low.ts, value: decodeValue(high.v, low.v, m.digital), digital: m.digital });
    }
    for (const register of target.registers) {
      const value = decodeRegister(image, register);
      if (value) result.registers.push({ register, ...value });
    }
    result.endedAt = Date.now();
    return result;
  };

  return { readCycle, meta: (point) => metas.get(pointId(point)) };
}

/** The spans a cycle needs: every value, the flags of `metaPoints`, every raw register. */
export function spansOf(
  target: Pick<ControllerTarget, 'points' | 'registers'>,
  metaPoints: readonly T3Point[],
): Span[] {
  const spans: Span[] = [];
  for (const point of target.points) {
    spans.push({ table: 'holding', address: pointRegisters(point).value, count: 2, fillable: true });
  }
  for (const point of metaPoints) {
    const r = pointRegisters(point);
    for (const address of new Set([r.range, r.autoManual, r.analogDigital])) {
      spans.push({ table: 'holding', address, count: 1, fillable: true });
    }
  }
  for (const register of target.registers) {
    const count = isWordRegister(register) ? TYPE_WORDS[register.type] : 1;
    spans.push({ table: register.register, address: register.address, count });
  }
  return spans;
}

function decodeRegister(image: RegisterImage, register: RawRegister): { ts: number; value: number } | undefined {
  if (!isWordRegister(register)) {
    const bit = image.word(register.register, register.address);
    return bit && { ts: bit.ts, value: scaled(bit.v, register) };
  }
  const words = TYPE_WORDS[register.type];
  const bytes = Buffer.alloc(2 * words);
  let ts = 0;
  for (let i = 0; i < words; i++) {
    const w = image.word(register.register, register.address + i);
    if (!w) return undefined;
    bytes.writeUInt16BE(w.v, 2 * i);
    ts = Math.max(ts, w.ts);
  }
  return { ts, value: scaled(decodeWords(bytes, register.type, register.byteOrder), register) };
}

/** The registers (and bits) one cycle's answers held, each with the time its answer arrived. */
class RegisterImage {
  private readonly tables = new Map<RegisterTable, Map<number, { v: number; ts: number }>>();

  store(request: ReadRequest, bytes: Buffer | undefined, bits: number[] | undefined, ts: number): void {
    let table = this.tables.get(request.table);
    if (!table) this.tables.set(request.table, (table = new Map()));
    for (let i = 0; i < request.count; i++) {
      const v = bytes ? (2 * i + 1 < bytes.length ? bytes.readUInt16BE(2 * i) : undefined) : bits?.[i];
      if (v !== undefined) table.set(request.address + i, { v, ts });
    }
  }

  word(table: RegisterTable, address: number): { v: number; ts: number } | undefined {
    return this.tables.get(table)?.get(address);
  }
}

import type { RegisterTable } from './register-spec.ts';

/** Most registers one read may ask for (functions 3 and 4), per the Modbus specification. */
export const MAX_REGISTERS_PER_REQUEST = 125;
/** Most coils or discrete inputs one read may ask for (functions 1 and 2). */
export const MAX_BITS_PER_REQUEST = 2000;

/** Registers (or bits) something needs: a point's value, a flag, a raw register. */
export interface Span {
  table: RegisterTable;
  address: number;
  count: number;
  /**
   * Whether the gap between this span and a fillable neighbour may be read too. T3 controllers
   * answer every address of their map, so reading a few unused registers saves a round trip
   * (seconds on that hardware); an unknown device may refuse an unmapped address, so raw
   * registers are merged only when contiguous or overlapping.
   */
  fillable?: boolean;
}

/** One Modbus read request. */
export interface ReadRequest {
  table: RegisterTable;
  address: number;
  count: number;
}

export interface PlanOptions {
  /** Largest gap of unused registers read between two fillable spans. Default 125 (as long as the request fits). */
  maxGap?: number;
  /** Override the per-request limits (tests, or devices that allow less). */
  maxRegisters?: number;
  maxBits?: number;
}

const TABLE_ORDER: readonly RegisterTable[] = ['holding', 'input', 'coil', 'discrete'];

/**
 * Coalesces spans into as few requests as the limits allow: sorted by address, a span joins the
 * current request when it overlaps or touches it, or (both fillable) the gap is at most
 * `maxGap`, and the request stays within 125 registers (2000 bits). Requests come out by table,
 * then address.
 */
export function planRequests(spans: readonly Span[], options: PlanOptions = {}): ReadRequest[] {
  const maxGap = options.maxGap ?? MAX_REGISTERS_PER_REQUEST;
  const requests: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const limit =
      table === 'holding' || table === 'input'
        ? (options.maxRegisters ?? MAX_REGISTERS_PER_REQUEST)
        : (options.maxBits ?? MAX_BITS_PER_REQUEST);
    const sorted = spans.filter((s) => s.table === table).sort((a, b) => a.address - b.address || b.count - a.count);
    let current: { address: number; end: number; fillable: boolean } | undefined;
    for (const span of sorted) {
      const end = span.address + span.count;
      if (current) {
        const gap = span.address - current.end;
        const joins = gap <= 0 || (gap <= maxGap && current.fillable && span.fillable === true);
        if (joins && Math.max(end, current.end) - current.address <= limit) {
          // Whether the request's tail may be filled is up to the span that ends it.
          if (end > current.end) current.fillable = span.fillable === true;
          else if (end === current.end) current.fillable ||= span.fillable === true;
          current.end = Math.max(end, current.end);
          continue;
        }
        requests.push({ table, address: current.address, count: current.end - current.address });
      }
      current = { address: span.address, end, fillable: span.fillable === true };
    }
    if (current) requests.push({ table, address: current.address, count: current.end - current.address });
  }
  return requests;
}

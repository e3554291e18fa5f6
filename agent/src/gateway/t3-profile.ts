/**
 * The Temco T3 register profile (holding registers, function 3, 0-based addresses), as issue 13
 * gives it and Temco's firmware implements it: a point such as `IN1` is an int32 value in two
 * registers, high word first, plus one register each for its range, auto/manual and
 * analog/digital flags.
 */

export const T3_POINT_TYPES = ['IN', 'OUT', 'VAR'] as const;
export type T3PointType = (typeof T3_POINT_TYPES)[number];

/** A point of a T3 controller: `{ type: 'IN', number: 1 }` is `IN1`. Numbers start at 1. */
export interface T3Point {
  type: T3PointType;
  number: number;
}

/** How many points of each type a controller has. */
export const T3_POINT_COUNTS: Record<T3PointType, number> = { IN: 64, OUT: 64, VAR: 128 };

/**
 * First register of each table. Values take two registers per point, the others one. Inputs
 * have no analog/digital table: the flag is the high byte of their range register.
 */
export const T3_TABLES: Record<
  T3PointType,
  { value: number; range: number; autoManual: number; analogDigital: number | undefined }
> = {
  OUT: { value: 7100, range: 7292, autoManual: 7356, analogDigital: 7420 },
  IN: { value: 7484, range: 7804, autoManual: 7868, analogDigital: undefined },
  VAR: { value: 8092, range: 8532, autoManual: 8348, analogDigital: 8660 },
};

/** A point id that is not `IN1`…`IN64`, `OUT1`…`OUT64` or `VAR1`…`VAR128`. */
export class T3PointError extends Error {
  override name = 'T3PointError';
}

const POINT_ID = /^(IN|OUT|VAR)([0-9]{1,3})$/i;

/** Parses `IN1`, `out3`, `VAR128`; throws T3PointError naming the id and the valid range. */
export function parsePoint(id: string): T3Point {
  const m = POINT_ID.exec(id.trim());
  if (!m) {
    throw new T3PointError(`${JSON.stringify(id)} is not a T3 point: use IN1-IN64, OUT1-OUT64 or VAR1-VAR128`);
  }
  const type = m[1]!.toUpperCase() as T3PointType;
  const number = Number(m[2]);
  const count = T3_POINT_COUNTS[type];
  if (number < 1 || number > count) {
    throw new T3PointError(`${JSON.stringify(id)}: ${type} points are numbered 1 to ${count}`);
  }
  return { type, number };
}

/** `IN1`: the point's id, also its `point` label. */
export function pointId(point: T3Point): string {
  return `${point.type}${point.number}`;
}

/** The registers of one point. `analogDigital` is the range register for inputs. */
export interface T3PointRegisters {
  /** First of the two value registers (high word). */
  value: number;
  range: number;
  autoManual: number;
  analogDigital: number;
}

export function pointRegisters(point: T3Point): T3PointRegisters {
  const table = T3_TABLES[point.type];
  const i = point.number - 1;
  return {
    value: table.value + 2 * i,
    range: table.range + i,
    autoManual: table.autoManual + i,
    analogDigital: table.analogDigital === undefined ? table.range + i : table.analogDigital + i,
  };
}

/** What changes rarely about a point: read at a low rate (see the poller). */
export interface T3PointMeta {
  /** T3000's range code (its unit, or for digital points the on/off wording and polarity). */
  range: number;
  /** Manual: an operator overrides the value (0 in the register is auto). */
  manual: boolean;
  /** Digital (0/1) rather than analog (×1000). */
  digital: boolean;
}

/**
 * Decodes the rare registers of a point. Temco's firmware writes 1 for analog and 0 for digital;
 * for inputs that flag is the range register's high byte and the range its low byte.
 */
export function decodeMeta(type: T3PointType, registers: { range: number; autoManual: number; analogDigital: number }) {
  const meta: T3PointMeta =
    type === 'IN'
      ? { range: registers.range & 0xff, manual: registers.autoManual !== 0, digital: registers.range >> 8 === 0 }
      : { range: registers.range, manual: registers.autoManual !== 0, digital: registers.analogDigital === 0 };
  return meta;
}

/**
 * Decodes a value from its two registers (high word first). Analog values are signed
 * thousandths; digital values are 0 or 1 in the low word, not ×1000. Some digital ranges invert
 * the logic: the value is reported as the controller gives it, and the range is recorded so a
 * later mapping can apply it.
 */
export function decodeValue(high: number, low: number, digital: boolean): number {
  if (digital) return low === 0 ? 0 : 1;
  // `<< 16` yields a signed 32-bit integer, so negative temperatures come out negative.
  return ((high << 16) | low) / 1000;
}

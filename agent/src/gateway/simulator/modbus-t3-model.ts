import { T3_POINT_COUNTS, T3_POINT_TYPES, T3_TABLES, type T3Point, type T3PointType } from '../t3-profile.ts';

/**
 * The simulated controllers' points: a pure function of the controller, the point and the time,
 * so a test that fixes the clock knows every register. Analog values are sines (some below
 * zero, like an outdoor temperature), digital ones toggle; a few points are in manual.
 */

/** A simulated point's state at one instant. */
export interface SimulatedPoint {
  digital: boolean;
  manual: boolean;
  range: number;
  /** Engineering units for analog points (3 decimals at most), 0/1 for digital ones. */
  value: number;
}

/** T3000 range codes the simulator uses: 3 °C, 4 0–100 %, 1 on/off. */
const RANGE = { celsius: 3, percent: 4, onOff: 1 } as const;

/** The state of point `point` of controller number `controller` (0, 1, …) at `t` (epoch ms). */
export function simulatedPoint(controller: number, point: T3Point, t: number): SimulatedPoint {
  const n = point.number;
  const phase = controller * 0.7 + n * 0.3;
  const sine = (period: number) => Math.sin((2 * Math.PI * t) / (period * 1000) + phase);
  const toggle = (period: number) => Math.floor(t / (period * 1000) + controller + n) % 2;
  const milli = (v: number) => Math.round(v * 1000) / 1000;
  switch (point.type) {
    case 'IN': {
      const digital = n % 8 === 0;
      if (digital) return { digital, manual: false, range: RANGE.onOff, value: toggle(7 + (n % 5)) };
      // Every third input is an outdoor temperature, mostly below zero.
      const value = n % 3 === 0 ? -5 + 4 * sine(90 + n) : 21 + 3 * sine(60 + n);
      return { digital, manual: n % 7 === 0, range: RANGE.celsius, value: milli(value) };
    }
    case 'OUT': {
      const digital = n % 4 === 0;
      const manual = n % 5 === 0;
      if (digital) return { digital, manual, range: RANGE.onOff, value: toggle(11 + (n % 3)) };
      return { digital, manual, range: RANGE.percent, value: milli(50 + 50 * sine(120 + n)) };
    }
    case 'VAR': {
      const digital = n % 10 === 0;
      if (digital) return { digital, manual: false, range: RANGE.onOff, value: toggle(13) };
      const value = n % 4 === 1 ? -20 + 5 * sine(45 + n) : 18 + 4 * sine(75 + n);
      return { digital, manual: n % 9 === 0, range: RANGE.celsius, value: milli(value) };
    }
  }
}

/**
 * The holding register at `address` of controller `controller` at `t`, as T3 firmware would
 * answer: values as int32 high word first (analog ×1000, digital 0/1 in the low word), one
 * register each for range, auto/manual and analog/digital (for inputs: the range register's
 * high byte). Addresses outside the map read 0, as on the hardware.
 */
export function simulatedRegister(controller: number, address: number, t: number): number {
  for (const type of T3_POINT_TYPES) {
    const table = T3_TABLES[type];
    const count = T3_POINT_COUNTS[type];
    if (address >= table.value && address < table.value + 2 * count) {
      const offset = address - table.value;
      const p = state(controller, type, (offset >> 1) + 1, t);
      const raw = p.digital ? p.value : Math.round(p.value * 1000);
      return offset % 2 === 0 ? (raw >>> 16) & 0xffff : raw & 0xffff;
    }
    const at = (base: number | undefined) =>
      base !== undefined && address >= base && address < base + count ? address - base + 1 : 0;
    let n: number;
    if ((n = at(table.range))) {
      const p = state(controller, type, n, t);
      return type === 'IN' ? ((p.digital ? 0 : 1) << 8) | p.range : p.range;
    }
    if ((n = at(table.autoManual))) return state(controller, type, n, t).manual ? 1 : 0;
    if ((n = at(table.analogDigital))) return state(controller, type, n, t).digital ? 0 : 1;
  }
  return 0;
}

const state = (controller: number, type: T3PointType, number: number, t: number) =>
  simulatedPoint(controller, { type, number }, t);

import type { T3PointType } from '../../../../../schema/wire/gateway.ts';

/**
 * What a T3 point's range code means: its unit (analog) or its two state names (digital).
 * The gateway records only T3000's range code (docs/gateway.md, "Samples"); these tables
 * follow the ones Temco's T3000 tool shows for inputs, outputs and variables
 * (`Input_List_Analog_Units`, `Output_Analog_Units_Show`, `Variable_Analog_Units_Array`,
 * `Digital_Units_Array` in its global_define.h). A unit set on the point (PATCH points) wins.
 */

const C = '°C';
const F = '°F';

/** Analog inputs: thermistor and PT1000 curves alternate °C/°F, then signals and sensors. */
// prettier-ignore
const INPUT_UNITS: Record<number, string> = {
  1: C, 2: F, 3: C, 4: F, 5: C, 6: F, 7: C, 8: F, 9: C, 10: F,
  11: 'V', 12: 'A', 13: 'mA', 14: 'psi', 15: 'counts', 16: '%', 17: '%', 18: '%', 19: 'V',
  25: 'counts', 26: 'Hz', 27: '%RH', 28: 'ppm', 29: 'RPM', 30: 'ppb', 31: 'µg/m³', 32: '#/cm³',
  33: 'dB', 34: 'lx', 36: 'A',
};

/** The sensor or signal an analog input's range names (T3000's Range column). */
// prettier-ignore
const INPUT_RANGES: Record<number, string> = {
  1: 'Y3K -40 to 150', 2: 'Y3K -40 to 300', 3: '10K Type2', 4: '10K Type2', 5: 'G3K -40 to 120',
  6: 'G3K -40 to 250', 7: '10K Type3', 8: '10K Type3', 9: 'PT 1K -200 to 300', 10: 'PT 1K -200 to 570',
  11: '0 to 5 V', 12: '0 to 100 A', 13: '4 to 20 mA', 14: '4 to 20 mA (psi)', 15: 'Pulse count (slow)',
  16: '0 to 100 %', 17: '0 to 100 %', 18: '0 to 100 %', 19: '0 to 10 V', 20: 'Table 1', 21: 'Table 2',
  22: 'Table 3', 23: 'Table 4', 24: 'Table 5', 25: 'Pulse count (fast)', 26: 'Frequency', 27: 'Humidity',
  28: 'CO₂', 29: 'Revolutions', 30: 'TVOC', 31: 'Particles (mass)', 32: 'Particles (count)', 33: 'Sound level',
  34: 'Light level', 36: '-200 to 200 A',
};

// prettier-ignore
const OUTPUT_UNITS: Record<number, string> = { 1: 'V', 2: '%Open', 3: 'psi', 4: '%', 5: '%Cls', 6: 'mA', 7: '%PWM' };
// prettier-ignore
const OUTPUT_RANGES: Record<number, string> = {
  1: '0 to 10 V', 2: '0 to 100 %Open', 3: '0 to 20 psi', 4: '0 to 100 %', 5: '0 to 100 %Cls', 6: '0 to 20 mA',
  7: '0 to 100 %PWM',
};

// prettier-ignore
const VARIABLE_UNITS: Record<number, string> = {
  1: C, 2: F, 3: 'ft/min', 4: 'Pa', 5: 'kPa', 6: 'psi', 7: 'inWC', 8: 'W', 9: 'kW', 10: 'kWh', 11: 'V',
  12: 'kV', 13: 'A', 14: 'mA', 15: 'CFM', 16: 's', 17: 'min', 18: 'h', 19: 'd', 20: 'time', 21: 'Ω',
  22: '%', 23: '%RH', 24: 'p/min', 25: 'counts', 26: '%Open', 27: 'kg', 28: 'L/h', 29: 'GPH', 30: 'gal',
  31: 'ft³', 32: 'BTU', 33: 'm³/h',
};

/**
 * Digital ranges name the state at 0, then the state at anything else. Codes 12-22 are the
 * inverted spellings of 1-11 ("On/Off": 0 reads On), which is how T3000 applies inverted logic.
 */
// prettier-ignore
const DIGITAL_STATES: Record<number, readonly [string, string]> = {
  1: ['Off', 'On'], 2: ['Close', 'Open'], 3: ['Stop', 'Start'], 4: ['Disable', 'Enable'], 5: ['Normal', 'Alarm'],
  6: ['Normal', 'High'], 7: ['Normal', 'Low'], 8: ['No', 'Yes'], 9: ['Cool', 'Heat'], 10: ['Unoccupied', 'Occupied'],
  11: ['Low', 'High'], 12: ['On', 'Off'], 13: ['Open', 'Close'], 14: ['Start', 'Stop'], 15: ['Enable', 'Disable'],
  16: ['Alarm', 'Normal'], 17: ['High', 'Normal'], 18: ['Low', 'Normal'], 19: ['Yes', 'No'], 20: ['Heat', 'Cool'],
  21: ['Occupied', 'Unoccupied'], 22: ['High', 'Low'],
};

/** What the table needs of a point to describe its range and value. */
export interface PointMeta {
  pointType: T3PointType;
  range: number | null;
  analogDigital: 'analog' | 'digital' | null;
  unit: string | null;
}

const ANALOG_UNITS: Record<T3PointType, Record<number, string>> = {
  IN: INPUT_UNITS,
  OUT: OUTPUT_UNITS,
  VAR: VARIABLE_UNITS,
};

/** The unit an analog point's value is in: the one set on the point, else its range's; '' when unknown. */
export function unitOf(p: PointMeta): string {
  if (p.unit) return p.unit;
  if (p.analogDigital !== 'analog' || p.range === null) return '';
  return ANALOG_UNITS[p.pointType][p.range] ?? '';
}

/** The two states of a digital point (`['Off', 'On']`), or null for an analog or unknown range. */
export function statesOf(p: PointMeta): readonly [string, string] | null {
  if (p.analogDigital !== 'digital' || p.range === null) return null;
  return DIGITAL_STATES[p.range] ?? null;
}

/** The range as T3000 names it ("10K Type2 °C", "Off/On"), with its code; '—' when not read yet. */
export function rangeText(p: PointMeta): string {
  if (p.range === null) return '—';
  if (p.range === 0) return 'Unused (0)';
  const states = statesOf(p);
  if (states) return `${states.join('/')} (${p.range})`;
  if (p.analogDigital === 'analog') {
    const named =
      p.pointType === 'IN' ? INPUT_RANGES[p.range] : p.pointType === 'OUT' ? OUTPUT_RANGES[p.range] : undefined;
    const unit = ANALOG_UNITS[p.pointType][p.range];
    const text = named && unit && !named.includes(unit) ? `${named} ${unit}` : (named ?? unit);
    if (text) return `${text} (${p.range})`;
  }
  return `range ${p.range}`;
}

/** A value as the table shows it: a digital point's state name, or the number with its unit. */
export function valueText(p: PointMeta, value: number | null): string {
  if (value === null) return '—';
  const states = statesOf(p);
  if (states) return states[value === 0 ? 0 : 1];
  const unit = unitOf(p);
  const number = Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
  return unit ? `${number} ${unit}` : number;
}

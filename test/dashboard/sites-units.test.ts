import { describe, expect, it } from 'vitest';
import { rangeText, unitOf, valueText, type PointMeta } from '../../workers/dashboard/src/pages/sites/point-units.ts';

const analog = (pointType: PointMeta['pointType'], range: number, unit: string | null = null): PointMeta => ({
  pointType,
  range,
  analogDigital: 'analog',
  unit,
});
const digital = (pointType: PointMeta['pointType'], range: number): PointMeta => ({
  pointType,
  range,
  analogDigital: 'digital',
  unit: null,
});

describe('T3 range codes to units', () => {
  it('reads analog input thermistor ranges as °C and °F alternately, and signal ranges by their unit', () => {
    expect(unitOf(analog('IN', 3))).toBe('°C');
    expect(unitOf(analog('IN', 4))).toBe('°F');
    expect(unitOf(analog('IN', 19))).toBe('V');
    expect(unitOf(analog('IN', 27))).toBe('%RH');
    expect(unitOf(analog('IN', 28))).toBe('ppm');
  });

  it('maps the same code differently for outputs and variables', () => {
    expect(unitOf(analog('OUT', 1))).toBe('V');
    expect(unitOf(analog('OUT', 2))).toBe('%Open');
    expect(unitOf(analog('VAR', 1))).toBe('°C');
    expect(unitOf(analog('VAR', 5))).toBe('kPa');
  });

  it('prefers a unit set on the point, and gives none for a digital, unknown or unread range', () => {
    expect(unitOf(analog('IN', 3, 'K'))).toBe('K');
    expect(unitOf(digital('OUT', 1))).toBe('');
    expect(unitOf(analog('IN', 99))).toBe('');
    expect(unitOf({ pointType: 'IN', range: null, analogDigital: null, unit: null })).toBe('');
  });

  it('names the range with its code', () => {
    expect(rangeText(analog('IN', 3))).toBe('10K Type2 °C (3)');
    expect(rangeText(analog('IN', 19))).toBe('0 to 10 V (19)');
    expect(rangeText(analog('VAR', 1))).toBe('°C (1)');
    expect(rangeText(digital('OUT', 1))).toBe('Off/On (1)');
    expect(rangeText(analog('IN', 0))).toBe('Unused (0)');
    expect(rangeText(analog('IN', 99))).toBe('range 99');
    expect(rangeText({ pointType: 'IN', range: null, analogDigital: null, unit: null })).toBe('—');
  });

  it('shows a digital value as its state, inverted ranges included, and an analog one with its unit', () => {
    expect(valueText(digital('OUT', 1), 1)).toBe('On');
    expect(valueText(digital('OUT', 1), 0)).toBe('Off');
    // 12 is "On/Off": T3000's inverted spelling of 1, so 0 reads On.
    expect(valueText(digital('OUT', 12), 0)).toBe('On');
    expect(valueText(analog('IN', 3), 21.5)).toBe('21.5 °C');
    expect(valueText(analog('IN', 3), -5.25)).toBe('-5.25 °C');
    expect(valueText(analog('IN', 3), 1 / 3)).toBe('0.333 °C');
    expect(valueText(analog('IN', 99), 7)).toBe('7');
    expect(valueText(analog('IN', 3), null)).toBe('—');
  });
});

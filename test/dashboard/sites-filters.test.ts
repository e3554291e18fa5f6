import { describe, expect, it } from 'vitest';
import {
  filterPoints,
  formatFilter,
  parseFilter,
  type FilterablePoint,
} from '../../workers/dashboard/src/pages/sites/point-filter.ts';
import { DAILY_FROM_MS, parsePointRange, pointStep } from '../../workers/dashboard/src/pages/sites/long-ranges.ts';

const row = (point: string, label: string | null, range: number | null = 3): FilterablePoint => ({
  point,
  label,
  pointType: /^(IN|OUT|VAR)/.exec(point)![1] as FilterablePoint['pointType'],
  range,
  analogDigital: 'analog',
  unit: null,
});
const rows = [row('IN1', 'Supply air'), row('IN2', 'Return air'), row('OUT1', 'Fan', 1), row('VAR1', 'Setpoint', 1)];
const ids = (r: FilterablePoint[]) => r.map((x) => x.point);

describe('the points filter', () => {
  it('narrows by type', () => {
    expect(ids(filterPoints(rows, { type: 'IN', text: '' }))).toEqual(['IN1', 'IN2']);
    expect(ids(filterPoints(rows, { type: 'OUT', text: '' }))).toEqual(['OUT1']);
    expect(ids(filterPoints(rows, { type: 'all', text: '' }))).toEqual(['IN1', 'IN2', 'OUT1', 'VAR1']);
  });

  it('matches every word of the text, case-folded, in id, label, unit or range', () => {
    expect(ids(filterPoints(rows, { type: 'all', text: 'AIR' }))).toEqual(['IN1', 'IN2']);
    expect(ids(filterPoints(rows, { type: 'all', text: 'supply air' }))).toEqual(['IN1']);
    expect(ids(filterPoints(rows, { type: 'all', text: 'var1' }))).toEqual(['VAR1']);
    // OUT range 1 is 0-10 V; IN range 3 a 10K thermistor in °C.
    expect(ids(filterPoints(rows, { type: 'all', text: '°C' }))).toEqual(['IN1', 'IN2', 'VAR1']);
    expect(ids(filterPoints(rows, { type: 'IN', text: 'fan' }))).toEqual([]);
  });

  it('round-trips through the address, keeping other parameters', () => {
    expect(parseFilter('?type=OUT&q=fan')).toEqual({ type: 'OUT', text: 'fan' });
    expect(parseFilter('?type=bogus')).toEqual({ type: 'all', text: '' });
    expect(formatFilter('?controller=c1', { type: 'IN', text: 'air' })).toBe('?controller=c1&type=IN&q=air');
    expect(formatFilter('?type=IN&q=x', { type: 'all', text: '' })).toBe('');
  });
});

describe('the point history ranges', () => {
  const DAY = 86_400_000;
  it('asks for daily buckets beyond 90 days, the device page step below', () => {
    expect(pointStep(0, 3 * 365 * DAY)).toBe(DAY);
    expect(pointStep(0, DAILY_FROM_MS + 1)).toBe(DAY);
    expect(pointStep(0, 30 * DAY)).toBe(3_600_000);
    expect(pointStep(0, 30 * 60_000)).toBeUndefined();
  });

  it('knows the 3 y preset and otherwise reads ranges as the device page does', () => {
    const three = parsePointRange('3y');
    expect(three.kind === 'preset' && three.preset.ms).toBe(3 * 365 * DAY);
    expect(parsePointRange('1000000000000-1000000360000')).toEqual({
      kind: 'custom',
      from: 1000000000000,
      to: 1000000360000,
    });
  });
});

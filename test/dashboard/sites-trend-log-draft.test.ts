import { describe, expect, it } from 'vitest';
import {
  bodyOf,
  draftOf,
  emptyDraft,
  emptyRegister,
  pickAll,
  pickedCounts,
  togglePoint,
} from '../../workers/dashboard/src/pages/trend-logs/draft.ts';
import { foldFlags, foldSamples, liveKey } from '../../workers/dashboard/src/pages/sites/live-points.ts';

describe('the trend-log editor draft', () => {
  it('picks all IN points of a controller at once, keeps earlier picks, and drops them again', () => {
    const picked = togglePoint([], 'c1 OUT3', true);
    const all = pickAll(picked, 'c1', 'IN', true);
    expect(all).toHaveLength(65);
    expect(all[0]).toBe('c1 OUT3');
    expect(pickedCounts(all, 'c1')).toEqual({ IN: 64, OUT: 1, VAR: 0 });
    expect(pickedCounts(all, 'c2')).toEqual({ IN: 0, OUT: 0, VAR: 0 });
    expect(pickAll(all, 'c1', 'IN', true)).toHaveLength(65);
    expect(pickAll(all, 'c1', 'IN', false)).toEqual(['c1 OUT3']);
    expect(togglePoint(['c1 IN1', 'c1 IN2'], 'c1 IN1', false)).toEqual(['c1 IN2']);
  });

  it('builds the API body: points by controller, registers Telegraf-style, word options only for word registers', () => {
    const draft = {
      ...emptyDraft('site_1'),
      name: ' Temps ',
      intervalSeconds: '30',
      points: ['c1 IN1', 'c1 VAR7'],
      registers: [
        {
          ...emptyRegister('c1'),
          name: 'flow',
          address: '100',
          type: 'FLOAT32' as const,
          byteOrder: 'CDAB' as const,
          scale: '0.1',
        },
        { ...emptyRegister('c1'), name: 'pump', register: 'coil' as const, address: '3', byteOrder: 'BA' as const },
      ],
    };
    expect(bodyOf(draft)).toEqual({
      name: 'Temps',
      intervalSeconds: 30,
      siteId: 'site_1',
      points: [
        { controllerId: 'c1', point: 'IN1' },
        { controllerId: 'c1', point: 'VAR7' },
      ],
      registers: [
        {
          controllerId: 'c1',
          spec: { name: 'flow', register: 'holding', address: 100, type: 'FLOAT32', byteOrder: 'CDAB', scale: 0.1 },
        },
        { controllerId: 'c1', spec: { name: 'pump', register: 'coil', address: 3 } },
      ],
      bacnet: [],
    });
  });

  it('sends what is not a number as null, so the API names the field', () => {
    const body = JSON.parse(JSON.stringify(bodyOf({ ...emptyDraft('s'), name: 'x', intervalSeconds: 'soon' })));
    expect(body.intervalSeconds).toBeNull();
  });

  it('reads a stored trend log back into the same draft', () => {
    const draft = draftOf({
      id: 'tlg_1',
      name: 'Temps',
      siteId: 'site_1',
      gatewayDeviceId: null,
      intervalSeconds: 60,
      points: [{ controllerId: 'c1', point: 'IN1' }],
      registers: [{ controllerId: 'c1', spec: { name: 'flow', register: 'input', address: 7, type: 'INT16' } }],
      bacnet: [{ controllerId: 'c1', object: 'analog-input:3' }],
      createdAt: 0,
      updatedAt: 0,
    });
    expect(draft.points).toEqual(['c1 IN1']);
    expect(bodyOf({ ...draft, bacnet: [{ controllerId: 'c1', object: ' analog-value:1 ' }] }).bacnet).toEqual([
      { controllerId: 'c1', object: 'analog-value:1' },
    ]);
    expect(bodyOf(draft).bacnet).toEqual([{ controllerId: 'c1', object: 'analog-input:3' }]);
    expect(draft.registers[0]).toMatchObject({
      register: 'input',
      address: '7',
      type: 'INT16',
      byteOrder: '',
      scale: '',
    });
    expect(bodyOf(draft).registers[0]!.spec).toEqual({ name: 'flow', register: 'input', address: 7, type: 'INT16' });
  });
});

describe('live point values', () => {
  const sample = (point: string, ts: number, value: number, metric = 't3_point_value') => ({
    subject: 'org.o.site.s.device.gw.metric.' + metric,
    seriesId: `s_${point}`,
    deviceId: 'gw',
    metric,
    labels: { controller: '1234', point, type: 'IN' },
    ts,
    value,
  });

  it('keeps the newest value per controller and point, ignoring older samples and other metrics', () => {
    let map = foldSamples(new Map(), [sample('IN1', 10, 1), sample('IN2', 10, 2)]);
    expect(map.get(liveKey(1234, 'IN1'))).toEqual({ value: 1, ts: 10 });
    const same = foldSamples(map, [sample('IN1', 5, 9), sample('IN1', 20, 9, 't3_point_range')]);
    expect(same).toBe(map);
    map = foldSamples(map, [sample('IN1', 11, 3)]);
    expect(map.get(liveKey('1234', 'IN1'))).toEqual({ value: 3, ts: 11 });
    expect(map.get(liveKey('1234', 'IN2'))).toEqual({ value: 2, ts: 10 });
  });

  it('keeps the newest of each flag per point, each on its own time', () => {
    let flags = foldFlags(new Map(), [sample('IN1', 10, 3, 't3_point_range'), sample('IN1', 10, 0, 't3_point_manual')]);
    expect(flags.get(liveKey(1234, 'IN1'))).toEqual({ range: { value: 3, ts: 10 }, manual: { value: 0, ts: 10 } });
    // Values are not flags; an older flag loses.
    expect(foldFlags(flags, [sample('IN1', 20, 9), sample('IN1', 5, 1, 't3_point_manual')])).toBe(flags);
    flags = foldFlags(flags, [sample('IN1', 11, 1, 't3_point_manual'), sample('IN1', 11, 1, 't3_point_digital')]);
    expect(flags.get(liveKey(1234, 'IN1'))).toEqual({
      range: { value: 3, ts: 10 },
      manual: { value: 1, ts: 11 },
      digital: { value: 1, ts: 11 },
    });
  });
});

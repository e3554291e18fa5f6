import { describe, expect, it } from 'vitest';
import { spansOf } from '../../agent/src/gateway/controller-reader.ts';
import { parseRawRegisters, parseRegisterShorthand, RegisterSpecError } from '../../agent/src/gateway/register-spec.ts';
import { planRequests } from '../../agent/src/gateway/request-plan.ts';
import { parsePoint, pointRegisters, T3PointError } from '../../agent/src/gateway/t3-profile.ts';

describe('T3 point map', () => {
  it('expands a point id to its registers per the issue (0-based, two value registers per point)', () => {
    expect(pointRegisters(parsePoint('OUT1'))).toEqual({
      value: 7100,
      range: 7292,
      autoManual: 7356,
      analogDigital: 7420,
    });
    expect(pointRegisters(parsePoint('OUT64'))).toEqual({
      value: 7226,
      range: 7355,
      autoManual: 7419,
      analogDigital: 7483,
    });
    // Inputs: the analog/digital flag is the high byte of the range register.
    expect(pointRegisters(parsePoint('in3'))).toEqual({
      value: 7488,
      range: 7806,
      autoManual: 7870,
      analogDigital: 7806,
    });
    expect(pointRegisters(parsePoint('VAR128'))).toEqual({
      value: 8346,
      range: 8659,
      autoManual: 8475,
      analogDigital: 8787,
    });
  });

  it('refuses ids outside 64 inputs, 64 outputs and 128 variables, naming the range', () => {
    expect(() => parsePoint('IN65')).toThrow(new T3PointError('"IN65": IN points are numbered 1 to 64'));
    expect(() => parsePoint('VAR0')).toThrow(/VAR points are numbered 1 to 128/);
    expect(() => parsePoint('AI1')).toThrow(/use IN1-IN64, OUT1-OUT64 or VAR1-VAR128/);
  });
});

describe('request planning', () => {
  it('joins touching spans, and fills gaps only between T3 spans', () => {
    const t3 = { table: 'holding' as const, fillable: true };
    expect(
      planRequests([
        { ...t3, address: 10, count: 2 },
        { ...t3, address: 40, count: 2 },
        { table: 'holding', address: 42, count: 1 },
        { table: 'holding', address: 50, count: 1 },
      ]),
    ).toEqual([
      { table: 'holding', address: 10, count: 33 },
      { table: 'holding', address: 50, count: 1 },
    ]);
    expect(
      planRequests(
        [
          { ...t3, address: 10, count: 2 },
          { ...t3, address: 40, count: 2 },
        ],
        { maxGap: 4 },
      ),
    ).toHaveLength(2);
  });

  it('keeps each request within 125 registers and 2000 bits, per table', () => {
    const regs = Array.from({ length: 300 }, (_, i) => ({ table: 'input' as const, address: i, count: 1 }));
    expect(planRequests(regs).map((r) => r.count)).toEqual([125, 125, 50]);
    const bits = Array.from({ length: 4500 }, (_, i) => ({ table: 'coil' as const, address: i, count: 1 }));
    expect(planRequests(bits).map((r) => r.count)).toEqual([2000, 2000, 500]);
    expect(planRequests([...regs.slice(0, 2), ...bits.slice(0, 2)]).map((r) => r.table)).toEqual(['input', 'coil']);
  });

  it('reads a full T3 controller: 256 values in 7 requests, with their flags in 13', () => {
    const points = [
      ...Array.from({ length: 64 }, (_, i) => parsePoint(`IN${i + 1}`)),
      ...Array.from({ length: 64 }, (_, i) => parsePoint(`OUT${i + 1}`)),
      ...Array.from({ length: 128 }, (_, i) => parsePoint(`VAR${i + 1}`)),
    ];
    const withFlags = planRequests(spansOf({ points, registers: [] }, points));
    const valuesOnly = planRequests(spansOf({ points, registers: [] }, []));
    // 512 value registers and 704 flag registers; every request within the limit.
    expect(withFlags.every((r) => r.count <= 125)).toBe(true);
    expect(valuesOnly.reduce((n, r) => n + r.count, 0)).toBeGreaterThanOrEqual(512);
    // OUT 124+4, IN 124+4, VAR 124+124+8: a value's two registers stay in one request.
    expect(valuesOnly.map((r) => r.count)).toEqual([124, 4, 124, 4, 124, 124, 8]);
    expect(withFlags).toHaveLength(13);
  });
});

describe('raw register specs', () => {
  it('accepts Telegraf-style specs and defaults nothing but what Telegraf does', () => {
    expect(
      parseRawRegisters([
        { name: 'flow', register: 'holding', address: 0, type: 'FLOAT32', byteOrder: 'CDAB', scale: 0.1 },
        { name: 'pump', register: 'coil', address: 12 },
      ]),
    ).toEqual([
      { name: 'flow', register: 'holding', address: 0, type: 'FLOAT32', byteOrder: 'CDAB', scale: 0.1 },
      { name: 'pump', register: 'coil', address: 12 },
    ]);
  });

  it('names each bad field with what was given and an example', () => {
    let message = '';
    try {
      parseRawRegisters([
        { name: 'a', register: 'holding', address: 70_000, type: 'FLOAT', byteOrder: 'ABCD' },
        { name: 'b', register: 'holding', address: 1, type: 'INT32', byteOrder: 'BA' },
        { name: 'c', register: 'memory', address: 1 },
        { name: 'd', register: 'coil', address: 1, type: 'INT16' },
      ]);
    } catch (err) {
      expect(err).toBeInstanceOf(RegisterSpecError);
      message = (err as Error).message;
    }
    expect(message).toContain('registers[0].address: address must be an integer 0-65535 (got 70000)');
    expect(message).toContain(
      'registers[0].type: type must be one of INT16, UINT16, INT32, UINT32, INT64, UINT64, FLOAT32, FLOAT64 (got "FLOAT")',
    );
    expect(message).toContain(
      'registers[1].byteOrder: byteOrder BA is for 16-bit types; INT32 takes ABCD, DCBA, BADC or CDAB (got "BA")',
    );
    expect(message).toContain(
      'registers[2].register: register must be one of holding, input, coil, discrete (got "memory")',
    );
    expect(message).toContain('registers[3]: unknown field type');
    expect(message).toContain('example: {"name": "flow"');
    // Names are label values: one controller's must differ.
    expect(() =>
      parseRawRegisters([
        { name: 'a', register: 'coil', address: 1 },
        { name: 'a', register: 'coil', address: 2 },
      ]),
    ).toThrow('registers[1].name: name "a" is used twice');
  });

  it('parses the command-line shorthand', () => {
    expect(parseRegisterShorthand('holding:40001:float32:abcd:0.1')).toEqual({
      name: 'holding:40001:float32:abcd:0.1',
      register: 'holding',
      address: 40_001,
      type: 'FLOAT32',
      byteOrder: 'ABCD',
      scale: 0.1,
    });
    expect(parseRegisterShorthand('input:3')).toMatchObject({ register: 'input', address: 3, type: 'UINT16' });
    expect(parseRegisterShorthand('discrete:7')).toEqual({ name: 'discrete:7', register: 'discrete', address: 7 });
    expect(() => parseRegisterShorthand('holding:x:INT16')).toThrow(
      /--raw "holding:x:INT16": address must be an integer 0-65535 \(got "x"\)/,
    );
    expect(() => parseRegisterShorthand('coil:1:INT16')).toThrow(/a coil has no type/);
    expect(() => parseRegisterShorthand('holding')).toThrow(/expected register:address/);
  });
});

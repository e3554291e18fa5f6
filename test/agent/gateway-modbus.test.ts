import { once } from 'node:events';
import { ServerTCP } from 'modbus-serial';
import { afterEach, describe, expect, it } from 'vitest';
import { createControllerReader, type ControllerTarget } from '../../agent/src/gateway/controller-reader.ts';
import { createModbusConnection, type ModbusConnection } from '../../agent/src/gateway/modbus-connection.ts';
import { parseRawRegisters, type RawRegister } from '../../agent/src/gateway/register-spec.ts';
import { parsePoint } from '../../agent/src/gateway/t3-profile.ts';
import { closedPort } from './helpers/http-server.ts';
import { startModbusPeer, type ModbusPeer } from './helpers/modbus-peer.ts';

let peer: ModbusPeer | undefined;
let connection: ModbusConnection | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await connection?.close();
  await peer?.close();
  for (const c of cleanups.splice(0)) await c();
  peer = undefined;
  connection = undefined;
});

function reader(port: number, points: string[], registers: RawRegister[] = []) {
  const target: ControllerTarget = {
    id: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    unitId: 1,
    points: points.map(parsePoint),
    registers,
  };
  connection = createModbusConnection({ host: '127.0.0.1', port, timeoutMs: 1_000, retries: 0 });
  return createControllerReader(target, connection);
}

/** An int32 as the T3 firmware puts it in two registers, high word first. */
const int32Words = (v: number) => [(v >>> 16) & 0xffff, v & 0xffff];

describe('T3 profile against an independent Modbus peer (jsmodbus)', () => {
  it('decodes analog values ÷1000 with negatives, high word first, and digital 0/1 from the low word', async () => {
    peer = await startModbusPeer();
    // IN1 21.5 °C, IN2 −5.25 °C, IN3 digital on; OUT1 123456.789 spans both words; VAR5 −0.001.
    peer.setWords(7484, [...int32Words(21_500), ...int32Words(-5_250), 0, 1]);
    peer.setWords(7804, [(1 << 8) | 3, (1 << 8) | 3, (0 << 8) | 1]); // IN range: high byte analog, low byte range
    peer.setWords(7100, int32Words(123_456_789));
    peer.setWords(7292, [4]);
    peer.setWords(7420, [1]); // OUT1 analog
    peer.setWords(8092 + 2 * 4, int32Words(-1));
    peer.setWords(8660 + 4, [1]); // VAR5 analog
    peer.setWords(8532 + 4, [3]);

    const result = await reader(peer.port, ['IN1', 'IN2', 'IN3', 'OUT1', 'VAR5']).readCycle({ meta: true });
    expect(result.failures).toEqual([]);
    const values = Object.fromEntries(result.values.map((v) => [`${v.point.type}${v.point.number}`, v.value]));
    expect(values).toEqual({ IN1: 21.5, IN2: -5.25, IN3: 1, OUT1: 123_456.789, VAR5: -0.001 });
    // The low word first would have read OUT1 as 0xCD15075B thousandths: high word first is what T3 sends.
    expect(values.OUT1).not.toBe(((0xcd15 << 16) | 0x075b) / 1000);
  });

  it('reads digital values as 0/1, not ×1000, and records the range of a digital point', async () => {
    peer = await startModbusPeer();
    peer.setWords(7100 + 2, [0, 1]); // OUT2 on
    peer.setWords(7100 + 4, [0, 0]); // OUT3 off
    peer.setWords(7292 + 1, [1, 2]); // ranges: OUT2 1 (off/on), OUT3 2 (an inverted range)
    peer.setWords(7420 + 1, [0, 0]); // both digital
    const r = reader(peer.port, ['OUT2', 'OUT3']);
    const result = await r.readCycle({ meta: true });
    expect(result.values.map((v) => [v.value, v.digital])).toEqual([
      [1, true],
      [0, true],
    ]);
    expect(r.meta(parsePoint('OUT3'))).toEqual({ range: 2, manual: false, digital: true });
  });

  it('reads the auto/manual and analog/digital flags of each point type', async () => {
    peer = await startModbusPeer();
    peer.setWords(7356 + 1, [1]); // OUT2 manual
    peer.setWords(7420 + 1, [1]); // OUT2 analog
    peer.setWords(7868 + 4, [1]); // IN5 manual
    peer.setWords(7804 + 4, [(0 << 8) | 9]); // IN5 digital, range 9
    peer.setWords(8348 + 9, [0]); // VAR10 auto
    peer.setWords(8660 + 9, [0]); // VAR10 digital
    peer.setWords(8532 + 9, [7]);
    const r = reader(peer.port, ['OUT2', 'IN5', 'VAR10']);
    const result = await r.readCycle({ meta: true });
    expect(result.metas.map((m) => [`${m.point.type}${m.point.number}`, m.meta])).toEqual([
      ['OUT2', { range: 0, manual: true, digital: false }],
      ['IN5', { range: 9, manual: true, digital: true }],
      ['VAR10', { range: 7, manual: false, digital: true }],
    ]);
  });

  it('coalesces neighbouring registers into requests of at most 125, and counts them', async () => {
    peer = await startModbusPeer();
    const r = reader(peer.port, ['IN1', 'IN3', 'IN5']);
    const first = await r.readCycle({ meta: true });
    // Values 7484–7493 in one request; ranges 7804–7808 and auto/manual 7868–7872 in another.
    expect(peer.reads).toEqual([
      { fc: 3, start: 7484, count: 10 },
      { fc: 3, start: 7804, count: 69 },
    ]);
    expect(first.requests).toBe(2);
    // Without the flags, one request.
    peer.reads.length = 0;
    const second = await r.readCycle({ meta: false });
    expect(peer.reads).toEqual([{ fc: 3, start: 7484, count: 10 }]);
    expect(second.metas).toEqual([]);
    expect(second.values).toHaveLength(3);

    // Every input: 128 value registers do not fit one request, nor do 128 flag registers. A new
    // reader reads the flags even when they are not due: a value cannot be decoded without them.
    peer.reads.length = 0;
    await connection?.close();
    const all = Array.from({ length: 64 }, (_, i) => `IN${i + 1}`);
    const wide = await reader(peer.port, all).readCycle({ meta: false });
    expect(wide.values).toHaveLength(64);
    // A value's two words are never split between requests (both halves come from one answer).
    expect(peer.reads).toEqual([
      { fc: 3, start: 7484, count: 124 },
      { fc: 3, start: 7608, count: 4 },
      { fc: 3, start: 7804, count: 125 },
      { fc: 3, start: 7929, count: 3 },
    ]);
  });
});

// One value of each type, in each byte order, as Telegraf names them: the letters say which byte of
// the big-endian value travels at each position.
const ORDERS: Record<string, Record<number, string>> = {
  ABCD: { 2: 'AB', 4: 'ABCD', 8: 'ABCDEFGH' },
  DCBA: { 2: 'BA', 4: 'DCBA', 8: 'HGFEDCBA' },
  BADC: { 2: 'BA', 4: 'BADC', 8: 'BADCFEHG' },
  CDAB: { 2: 'AB', 4: 'CDAB', 8: 'GHEFCDAB' },
};
const VALUES: [string, number, (b: Buffer, v: number) => void, number][] = [
  ['INT16', -1234, (b, v) => b.writeInt16BE(v), 2],
  ['UINT16', 54_321, (b, v) => b.writeUInt16BE(v), 2],
  ['INT32', -123_456_789, (b, v) => b.writeInt32BE(v), 4],
  ['UINT32', 3_000_000_000, (b, v) => b.writeUInt32BE(v), 4],
  ['INT64', -1_234_567_890_123, (b, v) => b.writeBigInt64BE(BigInt(v)), 8],
  ['UINT64', 1_234_567_890_123_456, (b, v) => b.writeBigUInt64BE(BigInt(v)), 8],
  ['FLOAT32', -12.5, (b, v) => b.writeFloatBE(v), 4],
  ['FLOAT64', -1234.5678, (b, v) => b.writeDoubleBE(v), 8],
];

function onTheWire(bigEndian: Buffer, order: string): Buffer {
  return Buffer.from([...order].map((letter) => bigEndian[letter.charCodeAt(0) - 65]!));
}

describe('raw registers against an independent Modbus peer (jsmodbus)', () => {
  it('decodes every data type in all four byte orders, from holding and input registers', async () => {
    peer = await startModbusPeer();
    const specs: unknown[] = [];
    const expected: Record<string, number> = {};
    let address = 100;
    for (const table of ['holding', 'input'] as const) {
      for (const order of Object.keys(ORDERS)) {
        for (const [type, value, write, size] of VALUES) {
          const be = Buffer.alloc(size);
          write(be, value);
          peer.setBytes(address, onTheWire(be, ORDERS[order]![size]!), table);
          const name = `${table}-${type}-${order}`;
          specs.push({ name, register: table, address, type, byteOrder: order });
          expected[name] = value;
          address += size / 2;
        }
      }
    }
    const registers = parseRawRegisters(specs);
    const result = await reader(peer.port, [], registers).readCycle({ meta: false });
    expect(result.failures).toEqual([]);
    const got = Object.fromEntries(result.registers.map((r) => [r.register.name, r.value]));
    expect(got).toEqual(expected);
    // Contiguous registers were read together (2 tables × 80 registers: 1 request each).
    expect(peer.reads.map((r) => [r.fc, r.count])).toEqual([
      [3, 80],
      [4, 80],
    ]);
  });

  it('decodes the issue example by hand: 123456.0 as FLOAT32 in ABCD, DCBA, BADC and CDAB', async () => {
    peer = await startModbusPeer();
    peer.setWords(0, [0x47f1, 0x2000, 0x0020, 0xf147, 0xf147, 0x0020, 0x2000, 0x47f1]);
    const registers = parseRawRegisters(
      ['ABCD', 'DCBA', 'BADC', 'CDAB'].map((o, i) => ({
        name: o,
        register: 'holding',
        address: 2 * i,
        type: 'FLOAT32',
        byteOrder: o,
      })),
    );
    const result = await reader(peer.port, [], registers).readCycle({ meta: false });
    expect(result.registers.map((r) => r.value)).toEqual([123_456, 123_456, 123_456, 123_456]);
  });

  it('applies scale, reads coils and discrete inputs as 0/1, and 16-bit AB/BA', async () => {
    peer = await startModbusPeer();
    peer.setWords(10, [2_345, 0x3930]); // 234.5 with scale 0.1; 0x3039 = 12345 little-endian
    peer.setBit('coils', 3, true);
    peer.setBit('coils', 4, false);
    peer.setBit('discrete', 1999, true);
    const registers = parseRawRegisters([
      { name: 'flow', register: 'holding', address: 10, type: 'UINT16', scale: 0.1 },
      { name: 'count', register: 'holding', address: 11, type: 'UINT16', byteOrder: 'BA' },
      { name: 'same', register: 'holding', address: 11, type: 'UINT16', byteOrder: 'AB' },
      { name: 'pump', register: 'coil', address: 3 },
      { name: 'fan', register: 'coil', address: 4 },
      { name: 'alarm', register: 'discrete', address: 1999 },
    ]);
    const result = await reader(peer.port, [], registers).readCycle({ meta: false });
    expect(Object.fromEntries(result.registers.map((r) => [r.register.name, r.value]))).toEqual({
      flow: 234.5,
      count: 12_345,
      same: 0x3930,
      pump: 1,
      fan: 0,
      alarm: 1,
    });
    expect(peer.reads.map((r) => r.fc).sort()).toEqual([1, 2, 3]);
  });
});

describe('failures', () => {
  it("keeps reading after a controller's exception (illegal address) and reports it", async () => {
    // modbus-serial's ServerTCP answers exception 2 for addresses at 500 and above.
    const { port, close } = await exceptionPeer();
    cleanups.push(close);
    const registers = parseRawRegisters([
      { name: 'ok', register: 'holding', address: 1, type: 'UINT16' },
      { name: 'missing', register: 'holding', address: 600, type: 'UINT16' },
      { name: 'ok2', register: 'input', address: 2, type: 'UINT16' },
    ]);
    const result = await reader(port, [], registers).readCycle({ meta: false });
    expect(result.registers.map((r) => [r.register.name, r.value])).toEqual([
      ['ok', 1],
      ['ok2', 7],
    ]);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]!.error).toMatchObject({ kind: 'exception', modbusCode: 2 });
    expect(result.unreachable).toBe(false);
  });

  it('stops a cycle at a refused connection instead of trying every request', async () => {
    const port = await closedPort();
    const result = await reader(port, ['IN1', 'VAR1']).readCycle({ meta: true });
    expect(result.planned).toBeGreaterThan(1);
    expect(result.requests).toBe(1);
    expect(result.failures[0]!.error).toMatchObject({ kind: 'connection' });
    expect(result.failures[0]!.error.message).toContain('ECONNREFUSED');
    expect(result.unreachable).toBe(true);
  });
});

async function exceptionPeer(): Promise<{ port: number; close: () => Promise<void> }> {
  const port = await closedPort();
  const answer = (addr: number) => (addr >= 500 ? Object.assign(new Error('illegal'), { modbusErrorCode: 2 }) : null);
  const server = new ServerTCP(
    {
      getHoldingRegister: (addr: number, _unit: number, cb: (e: Error | null, v: number) => void) =>
        cb(answer(addr), addr),
      getInputRegister: (_addr: number, _unit: number, cb: (e: Error | null, v: number) => void) => cb(null, 7),
    },
    { host: '127.0.0.1', port, unitID: 255 },
  );
  await once(server, 'initialized');
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

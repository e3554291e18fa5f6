import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ModbusTCPServer } from 'jsmodbus';

/** A read the peer answered: function code, first address, count. */
export interface PeerRead {
  fc: number;
  start: number;
  count: number;
}

/**
 * An independent Modbus TCP peer (jsmodbus, not the modbus-serial the gateway uses) holding
 * registers a test writes: the whole 16-bit address space of each table.
 */
export interface ModbusPeer {
  port: number;
  holding: Buffer;
  input: Buffer;
  coils: Buffer;
  discrete: Buffer;
  reads: PeerRead[];
  /** Writes 16-bit words from `address` (holding by default). */
  setWords(address: number, words: number[], table?: 'holding' | 'input'): void;
  /** Writes big-endian bytes from `address`: a value as the wire carries it. */
  setBytes(address: number, bytes: Buffer, table?: 'holding' | 'input'): void;
  setBit(table: 'coils' | 'discrete', address: number, on: boolean): void;
  close(): Promise<void>;
}

export async function startModbusPeer(): Promise<ModbusPeer> {
  const net = createServer();
  const sockets = new Set<Socket>();
  net.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const holding = Buffer.alloc(65_536 * 2);
  const input = Buffer.alloc(65_536 * 2);
  const coils = Buffer.alloc(65_536 / 8);
  const discrete = Buffer.alloc(65_536 / 8);
  const server = new ModbusTCPServer(net, { holding, input, coils, discrete });
  const reads: PeerRead[] = [];
  const record = (fc: number) => (request: { body: unknown }) => {
    const body = request.body as { start: number; count: number };
    reads.push({ fc, start: body.start, count: body.count });
  };
  server.on('preReadCoils', record(1));
  server.on('preReadDiscreteInputs', record(2));
  server.on('preReadHoldingRegisters', record(3));
  server.on('preReadInputRegisters', record(4));
  net.listen(0, '127.0.0.1');
  await once(net, 'listening');
  const tables = { holding, input };
  return {
    port: (net.address() as AddressInfo).port,
    holding,
    input,
    coils,
    discrete,
    reads,
    setWords(address, words, table = 'holding') {
      words.forEach((w, i) => tables[table].writeUInt16BE(w & 0xffff, 2 * (address + i)));
    },
    setBytes(address, bytes, table = 'holding') {
      bytes.copy(tables[table], 2 * address);
    },
    setBit(table, address, on) {
      const buf = table === 'coils' ? coils : discrete;
      if (on) buf[address >> 3]! |= 1 << (address & 7);
      else buf[address >> 3]! &= ~(1 << (address & 7));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => net.close(() => resolve()));
    },
  };
}

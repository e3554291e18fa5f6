import type { ByteOrder, DataType, RawRegister } from './register-spec.ts';

/**
 * Puts the bytes of a value, as they arrived (registers in order, each big-endian on the wire),
 * into big-endian order, so Buffer's `read*BE` methods decode every byte order.
 */
export function toBigEndian(bytes: Buffer, order: ByteOrder): Buffer {
  const out = Buffer.from(bytes);
  switch (order) {
    case 'ABCD':
    case 'AB':
      return out;
    case 'DCBA':
    case 'BA':
      return out.reverse();
    case 'BADC':
      return out.swap16();
    case 'CDAB': {
      // Registers in reverse order, each register's two bytes as they came.
      const words = bytes.length / 2;
      for (let i = 0; i < words; i++) bytes.copy(out, 2 * (words - 1 - i), 2 * i, 2 * i + 2);
      return out;
    }
  }
}

/**
 * Decodes one value of `type` from its registers' bytes. 64-bit integers beyond ±2^53 lose
 * precision as a number (the wire's values are doubles).
 */
export function decodeWords(bytes: Buffer, type: DataType, order: ByteOrder = 'ABCD'): number {
  const be = toBigEndian(bytes, order);
  switch (type) {
    case 'INT16':
      return be.readInt16BE(0);
    case 'UINT16':
      return be.readUInt16BE(0);
    case 'INT32':
      return be.readInt32BE(0);
    case 'UINT32':
      return be.readUInt32BE(0);
    case 'INT64':
      return Number(be.readBigInt64BE(0));
    case 'UINT64':
      return Number(be.readBigUInt64BE(0));
    case 'FLOAT32':
      return be.readFloatBE(0);
    case 'FLOAT64':
      return be.readDoubleBE(0);
  }
}

/** Applies a register's scale (Telegraf multiplies). */
export function scaled(value: number, spec: Pick<RawRegister, 'scale'>): number {
  return spec.scale === undefined ? value : value * spec.scale;
}

import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  decodeSample,
  encodeRecord,
  MAX_RECORD_PAYLOAD,
  RECORD_HEADER_BYTES,
  scanRecords,
} from '../../agent/src/spool/disk-format.ts';
import { samples } from './spool-contract.ts';

// zlib.crc32 exists on the Node that runs the tests (22.2+), not on the agent's Node 20.
const zlibCrc32 = (zlib as unknown as { crc32: (data: Uint8Array, value?: number) => number }).crc32;

describe('spool record format', () => {
  it('computes the CRC-32 zlib and gzip compute, chained or not', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
    for (let i = 0; i < 50; i++) {
      const a = randomBytes(i * 7);
      const b = randomBytes(i * 3 + 1);
      expect(crc32(a)).toBe(zlibCrc32(a));
      expect(crc32(b, crc32(a))).toBe(zlibCrc32(Buffer.concat([a, b])));
    }
  });

  it('round-trips samples through records', () => {
    const input = samples(3);
    const buf = Buffer.concat(input.map(encodeRecord));
    const scan = scanRecords(buf, 0);
    expect(scan).toMatchObject({ stop: 'end', end: buf.length });
    expect(scan.payloads.map(decodeSample)).toEqual(input);
  });

  it('stops at the record limit, a torn record, a bad length and a bad checksum', () => {
    const [a, b] = samples(2).map(encodeRecord) as [Buffer, Buffer];
    const two = Buffer.concat([a, b]);
    expect(scanRecords(two, 0, 1)).toMatchObject({ stop: 'limit', end: a.length });
    expect(scanRecords(two.subarray(0, two.length - 1), 0)).toMatchObject({ stop: 'torn', end: a.length });
    expect(scanRecords(Buffer.concat([a, b.subarray(0, 5)]), 0)).toMatchObject({ stop: 'torn', end: a.length });

    const badLength = Buffer.from(two);
    badLength.writeUInt32LE(MAX_RECORD_PAYLOAD + 1, a.length);
    expect(scanRecords(badLength, 0)).toMatchObject({ stop: 'corrupt', end: a.length });

    // A flipped length byte that still points inside the buffer is caught by the checksum.
    const shorter = Buffer.from(two);
    shorter.writeUInt32LE(shorter.readUInt32LE(0) - 1, 0);
    expect(scanRecords(shorter, 0)).toMatchObject({ stop: 'corrupt', end: 0, reason: 'checksum mismatch' });

    const flipped = Buffer.from(two);
    flipped[a.length + RECORD_HEADER_BYTES + 3]! ^= 1;
    expect(scanRecords(flipped, 0)).toMatchObject({ stop: 'corrupt', end: a.length, reason: 'checksum mismatch' });
  });

  it('decodes only JSON objects', () => {
    expect(decodeSample(Buffer.from('{"metric":"m","ts":1,"value":null}'))).toEqual({
      metric: 'm',
      ts: 1,
      value: null,
    });
    expect(decodeSample(Buffer.from('[1]'))).toBeUndefined();
    expect(decodeSample(Buffer.from('{oops'))).toBeUndefined();
  });
});

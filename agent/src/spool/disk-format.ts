import type { Sample } from '../../../schema/wire/ingest.ts';

/**
 * On-disk format of a spool segment:
 *
 * ```
 * segment := header record*
 * header  := "EWSPOOL1"                      8 bytes: magic and format version
 * record  := length:u32le crc:u32le payload  8 bytes + length
 * payload := UTF-8 JSON of one Sample
 * crc     := CRC-32 (IEEE, as zlib/gzip) of the 4 length bytes followed by the payload
 * ```
 *
 * The length is inside the checksum so that a flipped length byte is caught even when the
 * bytes it then points at happen to exist.
 */
export const SEGMENT_MAGIC = Buffer.from('EWSPOOL1', 'latin1');
/** Size of the segment header. */
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length;
/** Bytes in front of every record's payload. */
export const RECORD_HEADER_BYTES = 8;
/** A sample's JSON is well under 10 KB (16 labels of 256 chars); a longer length is corruption. */
export const MAX_RECORD_PAYLOAD = 1 << 20;

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/**
 * CRC-32 (IEEE 802.3, the zlib/gzip one), chainable: `crc32(b, crc32(a)) === crc32(a‖b)`.
 * Hand-written because `zlib.crc32` only exists from Node 22.2 and the agent runs on Node 20.
 */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = ~previous;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Encodes one sample as a complete record (header and payload). */
export function encodeRecord(sample: Sample): Buffer {
  const payload = Buffer.from(JSON.stringify(sample), 'utf8');
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload, crc32(record.subarray(0, 4))), 4);
  payload.copy(record, RECORD_HEADER_BYTES);
  return record;
}

/**
 * Decodes a checksummed payload; undefined if it is not a JSON object. The sample is not
 * validated again: a bad one (NaN written as null …) goes to the Worker, which refuses its
 * batch, exactly as with the memory spool.
 */
export function decodeSample(payload: Buffer): Sample | undefined {
  try {
    const v = JSON.parse(payload.toString('utf8')) as unknown;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Sample;
  } catch {
    // Falls through: not JSON.
  }
  return undefined;
}

/**
 * Why a scan stopped: `end` the buffer ended on a record boundary, `limit` enough records
 * were read, `torn` the buffer ends inside a record, `corrupt` a bad length or checksum.
 */
export type ScanStop = 'end' | 'limit' | 'torn' | 'corrupt';

export interface RecordScan {
  /** Payloads of the complete, valid records, in order (views into the buffer). */
  payloads: Buffer[];
  /** Offset just past the last valid record: where a cut goes. */
  end: number;
  stop: ScanStop;
  /** What was wrong, for the log, when `stop` is `torn` or `corrupt`. */
  reason?: string;
}

/** Walks the records of `buf` from `start`, checking each length and checksum. */
export function scanRecords(buf: Buffer, start: number, maxRecords = Infinity): RecordScan {
  const payloads: Buffer[] = [];
  let off = start;
  while (off < buf.length) {
    if (payloads.length >= maxRecords) return { payloads, end: off, stop: 'limit' };
    if (buf.length - off < RECORD_HEADER_BYTES) {
      return { payloads, end: off, stop: 'torn', reason: `record header cut short (${buf.length - off} bytes)` };
    }
    const length = buf.readUInt32LE(off);
    if (length === 0 || length > MAX_RECORD_PAYLOAD) {
      return { payloads, end: off, stop: 'corrupt', reason: `impossible record length ${length}` };
    }
    const next = off + RECORD_HEADER_BYTES + length;
    if (next > buf.length) {
      return { payloads, end: off, stop: 'torn', reason: `record of ${length} bytes cut short` };
    }
    const payload = buf.subarray(off + RECORD_HEADER_BYTES, next);
    if (crc32(payload, crc32(buf.subarray(off, off + 4))) !== buf.readUInt32LE(off + 4)) {
      return { payloads, end: off, stop: 'corrupt', reason: 'checksum mismatch' };
    }
    payloads.push(payload);
    off = next;
  }
  return { payloads, end: off, stop: payloads.length >= maxRecords ? 'limit' : 'end' };
}

/** True when `buf` starts with a valid segment header. */
export const hasSegmentHeader = (buf: Buffer): boolean =>
  buf.length >= SEGMENT_HEADER_BYTES && buf.subarray(0, SEGMENT_HEADER_BYTES).equals(SEGMENT_MAGIC);

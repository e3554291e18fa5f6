import { open, type FileHandle } from 'node:fs/promises';
import { scanRecords, SEGMENT_MAGIC, type ScanStop } from './disk-format.ts';

/** Reads of a segment go in chunks of this size; a batch of 1 000 samples is about 100 KB. */
const READ_CHUNK = 256 * 1024;

/** Creates a new segment holding only its header, open for appending. Fails if it exists. */
export async function createSegment(file: string): Promise<FileHandle> {
  const handle = await open(file, 'wx');
  try {
    await handle.write(SEGMENT_MAGIC, 0, SEGMENT_MAGIC.length, 0);
  } catch (err) {
    await handle.close();
    throw err;
  }
  await handle.close();
  return open(file, 'a');
}

/** Opens an existing segment for appending. */
export const openSegment = (file: string): Promise<FileHandle> => open(file, 'a');

/**
 * Appends `data` to a segment whose size is `size`. On failure (disk full …) the file is cut
 * back to `size`, so a half-written record never sits in front of later ones.
 */
export async function appendToSegment(handle: FileHandle, data: Buffer, size: number): Promise<void> {
  try {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written);
      written += bytesWritten;
    }
  } catch (err) {
    await handle.truncate(size).catch(() => undefined);
    throw err;
  }
}

export interface SegmentRead {
  /** Payloads of the records read, in order. */
  payloads: Buffer[];
  /** Offset after the last record read. */
  next: number;
  /** `torn`/`corrupt`: the bytes at `next` are not a valid record. */
  stop: ScanStop;
  reason?: string;
}

/** Reads at most `maxRecords` records from `file` between byte offsets `from` and `end`. */
export async function readSegment(file: string, from: number, end: number, maxRecords: number): Promise<SegmentRead> {
  const handle = await open(file, 'r');
  try {
    const payloads: Buffer[] = [];
    let pos = from;
    let carry: Buffer = Buffer.alloc(0);
    while (pos < end && payloads.length < maxRecords) {
      const want = Math.min(READ_CHUNK, end - pos);
      const chunk = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(chunk, 0, want, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const buf =
        carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const scan = scanRecords(buf, 0, maxRecords - payloads.length);
      for (const p of scan.payloads) payloads.push(p);
      carry = buf.subarray(scan.end);
      if (scan.stop === 'corrupt') return { payloads, next: pos - carry.length, stop: 'corrupt', reason: scan.reason };
    }
    const next = pos - carry.length;
    if (payloads.length >= maxRecords) return { payloads, next, stop: 'limit' };
    // Our own bookkeeping says records end at `end`: stopping short means the file changed under us.
    if (next < end) return { payloads, next, stop: 'torn', reason: 'file ends inside a record' };
    return { payloads, next, stop: 'end' };
  } finally {
    await handle.close();
  }
}

import { open, readFile, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { hasSegmentHeader, RECORD_HEADER_BYTES, scanRecords, SEGMENT_HEADER_BYTES } from './disk-format.ts';
import { listSegmentIds, segmentFileName, type ReadPosition } from './disk-state.ts';

/** What the spool knows about one segment file. */
export interface SegmentInfo {
  id: number;
  /** File size: header plus complete, valid records. */
  bytes: number;
  /** Records in the file, consumed ones included. */
  records: number;
}

export interface Recovery {
  segments: SegmentInfo[];
  /** The read position, moved onto an existing segment and a record boundary. */
  read: ReadPosition;
  /** Records of the first segment before `read.offset`, already handed out. */
  readIndex: number;
  /** Bytes cut from torn or corrupt tails. */
  cutBytes: number;
}

/**
 * Checks every segment on open. Segments wholly before `read` (left by a crash between the
 * state write and the delete) are removed. Each remaining segment is scanned record by record
 * and cut (truncated) at its first torn or corrupt record: a torn tail is what a crash mid-write
 * leaves, and past a corrupt record the length fields can no longer be trusted, so records after
 * it in the same segment are cut too. Later segments are checked on their own and kept. Every
 * cut is logged with the file, the offset and the bytes removed.
 */
export async function recoverSegments(dir: string, read: ReadPosition, log: Logger, sync: boolean): Promise<Recovery> {
  const segments: SegmentInfo[] = [];
  let pos = { ...read };
  let readIndex = 0;
  let cutBytes = 0;
  for (const id of await listSegmentIds(dir)) {
    const file = join(dir, segmentFileName(id));
    if (id < read.segment) {
      await removeFile(file);
      continue;
    }
    const buf = await readFile(file);
    if (!hasSegmentHeader(buf)) {
      // A crash while creating the file, or not our file format: nothing in it can be read.
      log.warn('spool segment has no valid header; removing it', { file, offset: 0, cutBytes: buf.length });
      cutBytes += buf.length;
      await removeFile(file);
      continue;
    }
    const scan = scanRecords(buf, SEGMENT_HEADER_BYTES);
    if (scan.stop !== 'end') {
      const cut = buf.length - scan.end;
      log.warn('spool segment has a torn or corrupt tail; cutting it', {
        file,
        offset: scan.end,
        cutBytes: cut,
        reason: scan.reason,
        keptRecords: scan.payloads.length,
      });
      cutBytes += cut;
      await truncate(file, scan.end);
      if (sync) await syncFile(file);
    }
    const segment = { id, bytes: scan.end, records: scan.payloads.length };
    segments.push(segment);
    if (id === pos.segment) ({ offset: pos.offset, index: readIndex } = alignRead(scan.payloads, pos.offset, segment));
  }
  const first = segments[0];
  // The segment the state points into is gone (consumed, or dropped when full): start at the next.
  if (first && first.id !== pos.segment) {
    pos = { segment: first.id, offset: SEGMENT_HEADER_BYTES };
    readIndex = 0;
  }
  return { segments, read: pos, readIndex, cutBytes };
}

/** Record index and boundary of a read offset; an offset past a cut means everything was read. */
function alignRead(payloads: Buffer[], offset: number, segment: SegmentInfo): { offset: number; index: number } {
  if (offset >= segment.bytes) return { offset: segment.bytes, index: segment.records };
  let at = SEGMENT_HEADER_BYTES;
  let index = 0;
  // Only a bug could leave the offset inside a record; rounding up resends nothing twice.
  while (at < offset && index < payloads.length) at += RECORD_HEADER_BYTES + payloads[index++]!.length;
  return { offset: at, index };
}

async function syncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Deletes a file that may already be gone. */
export async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

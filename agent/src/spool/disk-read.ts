import { join } from 'node:path';
import type { Sample } from '../../../schema/wire/ingest.ts';
import type { Logger } from '../log.ts';
import { decodeSample, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './disk-format.ts';
import type { SegmentInfo } from './disk-recovery.ts';
import { readSegment } from './disk-segment-io.ts';
import { segmentFileName, type ReadPosition } from './disk-state.ts';

export interface BatchRead {
  samples: Sample[];
  /** Position after the last record read. */
  read: ReadPosition;
  /** Records of `read.segment` before `read.offset`. */
  index: number;
  /** Records skipped as unreadable. */
  lost: number;
  /** Ids of segments found damaged; nothing more may be appended to them. */
  damaged: number[];
}

/**
 * Reads up to `maxSamples` samples from `read` (whose segment has `index` records before it)
 * onwards, across segments, without changing anything on disk.
 */
export async function readBatch(options: {
  dir: string;
  segments: readonly SegmentInfo[];
  read: ReadPosition;
  index: number;
  maxSamples: number;
  log: Logger;
}): Promise<BatchRead> {
  const { dir, maxSamples, log } = options;
  const out: BatchRead = { samples: [], read: options.read, index: options.index, lost: 0, damaged: [] };
  for (const seg of options.segments) {
    if (out.samples.length >= maxSamples) break;
    if (seg.id < out.read.segment) continue;
    if (seg.id > out.read.segment) [out.read, out.index] = [{ segment: seg.id, offset: SEGMENT_HEADER_BYTES }, 0];
    const file = join(dir, segmentFileName(seg.id));
    while (out.read.offset < seg.bytes && out.samples.length < maxSamples) {
      const got = await readSegment(file, out.read.offset, seg.bytes, maxSamples - out.samples.length);
      let offset = out.read.offset;
      for (const payload of got.payloads) {
        const sample = decodeSample(payload);
        offset += RECORD_HEADER_BYTES + payload.length;
        out.index += 1;
        if (sample) out.samples.push(sample);
        else {
          // The checksum held, so the framing is sound: only this record is lost.
          out.lost += 1;
          log.error('spool record is not JSON; dropping it', { file, offset });
        }
      }
      out.read = { segment: seg.id, offset };
      if (got.stop === 'torn' || got.stop === 'corrupt') {
        // Damaged after it was opened (disk error, another writer): skip the rest of the segment.
        log.error('spool segment unreadable; dropping the rest of it', { file, offset, reason: got.reason });
        out.lost += seg.records - out.index;
        [out.read, out.index] = [{ segment: seg.id, offset: seg.bytes }, seg.records];
        out.damaged.push(seg.id);
      }
    }
  }
  return out;
}

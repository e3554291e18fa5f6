import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sample } from '../../../schema/wire/ingest.ts';
import { createLogger } from '../log.ts';
import { encodeRecord, SEGMENT_HEADER_BYTES } from './disk-format.ts';
import { readBatch } from './disk-read.ts';
import { recoverSegments, removeFile, type SegmentInfo } from './disk-recovery.ts';
import { appendToSegment, createSegment, openSegment } from './disk-segment-io.ts';
import { readState, segmentFileName, STATE_FILE, syncDir, writeState, type SpoolState } from './disk-state.ts';
import { resolveOptions, type DiskSpool, type DiskSpoolOptions } from './disk-options.ts';
import type { Batch } from './types.ts';

export { DEFAULT_DISK_SPOOL_BYTES } from './disk-options.ts';
export type { DiskSpool, DiskSpoolOptions, DiskSpoolStats, FsyncPolicy } from './disk-options.ts';

/**
 * Opens (or creates) a crash-safe spool in `options.dir`: samples are appended to segment files
 * before `add` resolves; the open batch and the read position live in `spool-state.json`.
 *
 * On open, torn or corrupt segment tails are cut and logged (see recoverSegments), and an open
 * batch left by a crash comes back from `batch()` with its id and samples, so a resend is
 * deduplicated by the Worker.
 *
 * Byte bound: when a call has returned, the spool's files (segments + `spool-state.json`) total at
 * most `maxBytes`; the oldest segment that holds samples not yet handed out is dropped whole
 * (its samples counted in `dropped`) to make room. While a call runs, the state file being
 * replaced exists twice for a moment, and `batch()` copies a batch into the state before it
 * drops, so the peak is `maxBytes` plus twice the largest state file (one batch as JSON plus
 * ~150 bytes). Filesystem block rounding is not counted.
 */
export async function createDiskSpool(options: DiskSpoolOptions): Promise<DiskSpool> {
  const { dir } = options;
  const { maxBytes, segmentBytes, policy, syncIntervalMs } = resolveOptions(options);
  const log = options.log ?? createLogger({ level: 'error', write: () => undefined });

  await mkdir(dir, { recursive: true });
  const sync = policy !== 'never';
  const loaded = await readState(dir, log);
  await removeFile(join(dir, `${STATE_FILE}.tmp`));
  const recovered = await recoverSegments(dir, loaded.state.read, log, sync);
  let state: SpoolState = { ...loaded.state, read: recovered.read };
  let stateBytes = loaded.bytes;
  const segments: SegmentInfo[] = recovered.segments;
  let readIndex = recovered.readIndex;
  let nextId = Math.max(segments.at(-1)?.id ?? 0, state.read.segment) + 1;
  let active: { info: SegmentInfo; handle: FileHandle; dirty: boolean } | undefined;
  let dirDirty = false;
  let closed = false;
  // A fresh random prefix per process: ids never repeat, even if a spool directory is copied.
  const prefix = randomBytes(8).toString('hex');
  let sequence = 0;
  let added = 0;

  const path = (id: number) => join(dir, segmentFileName(id));
  const totalBytes = () => segments.reduce((n, s) => n + s.bytes, stateBytes);
  const unread = (s: SegmentInfo) =>
    s.id < state.read.segment ? 0 : s.id === state.read.segment ? s.records - readIndex : s.records;
  const queued = () => segments.reduce((n, s) => n + unread(s), 0);

  let tail: Promise<unknown> = Promise.resolve();
  // One operation at a time: the shipper and the collectors call in concurrently.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = tail.then(() => {
      if (closed) throw new Error(`spool ${dir} is closed`);
      return fn();
    });
    tail = result.catch(() => undefined);
    return result;
  };

  const commit = async (next: SpoolState) => {
    stateBytes = await writeState(dir, next, sync);
    state = next;
  };

  async function syncData(): Promise<void> {
    if (active?.dirty) {
      await active.handle.datasync();
      active.dirty = false;
    }
    if (dirDirty) {
      dirDirty = false;
      await syncDir(dir);
    }
  }

  async function closeActive(): Promise<void> {
    if (!active) return;
    const { handle, dirty } = active;
    active = undefined;
    try {
      if (dirty && sync) await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /**
   * Deletes leading segments the committed read position has passed, the one appended to
   * included: its samples are all in the state file or shipped, so nothing in it is needed.
   */
  async function removeConsumed(): Promise<void> {
    for (let head = segments[0]; head && unread(head) === 0; head = segments[0]) {
      if (head === active?.info) {
        if (head.records === 0) return;
        active.dirty = false;
        await closeActive();
      }
      segments.shift();
      if (head.id === state.read.segment) {
        state = { ...state, read: { segment: head.id + 1, offset: SEGMENT_HEADER_BYTES } };
        readIndex = 0;
      }
      await removeFile(path(head.id));
    }
  }

  /** Drops oldest segments until `need()` more bytes fit; false if they cannot fit at all. */
  async function makeRoom(need: () => number): Promise<boolean> {
    while (totalBytes() + need() > maxBytes) {
      const head = segments[0];
      if (!head) return false;
      const lost = unread(head);
      // The state moves past the segment first, so a crash before the delete cannot resend it.
      await commit({
        ...state,
        read: { segment: head.id + 1, offset: SEGMENT_HEADER_BYTES },
        dropped: state.dropped + lost,
      });
      readIndex = 0;
      if (head === active?.info) await closeActive();
      segments.shift();
      await removeFile(path(head.id));
      log.warn('spool full; dropped the oldest samples', {
        file: path(head.id),
        samples: lost,
        dropped: state.dropped,
        maxBytes,
      });
    }
    return true;
  }

  async function roll(): Promise<void> {
    await closeActive();
    const info = { id: nextId++, bytes: SEGMENT_HEADER_BYTES, records: 0 };
    const handle = await createSegment(path(info.id));
    segments.push(info);
    active = { info, handle, dirty: true };
    dirDirty = sync;
    if (policy === 'always') await syncData();
    await removeConsumed();
  }

  async function append(records: Buffer[]): Promise<void> {
    if (!active || records.length === 0) return;
    const data = records.length === 1 ? records[0]! : Buffer.concat(records);
    await appendToSegment(active.handle, data, active.info.bytes);
    active.info.bytes += data.length;
    active.info.records += records.length;
    active.dirty = true;
    if (policy === 'always') await syncData();
  }

  async function addNow(samples: readonly Sample[]): Promise<void> {
    added += samples.length;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let droppedNew = 0;
    const flushPending = async () => {
      await append(pending);
      pending = [];
      pendingBytes = 0;
    };
    for (const sample of samples) {
      const record = encodeRecord(sample);
      // A segment takes at least one record, so a record larger than segmentBytes gets its own.
      const mustRoll = () => {
        const size = (active?.info.bytes ?? 0) + pendingBytes;
        return !active || (size > SEGMENT_HEADER_BYTES && size + record.length > segmentBytes);
      };
      const need = () => pendingBytes + record.length + (mustRoll() ? SEGMENT_HEADER_BYTES : 0);
      if (totalBytes() + need() > maxBytes) {
        await flushPending();
        if (!(await makeRoom(need))) {
          droppedNew += 1;
          continue;
        }
      }
      if (mustRoll()) {
        await flushPending();
        await roll();
      }
      pending.push(record);
      pendingBytes += record.length;
    }
    await flushPending();
    if (droppedNew > 0) {
      await commit({ ...state, dropped: state.dropped + droppedNew });
      log.warn('spool full; dropped samples larger than the spool', { samples: droppedNew, maxBytes });
    }
  }

  async function batchNow(maxSamples: number): Promise<Batch | undefined> {
    if (state.open) return state.open;
    if (queued() === 0) return undefined;
    if (!Number.isInteger(maxSamples) || maxSamples < 1) {
      throw new RangeError(`maxSamples must be a positive integer, got ${maxSamples}`);
    }
    if (policy === 'batch') await syncData();
    const got = await readBatch({ dir, segments, read: state.read, index: readIndex, maxSamples, log });
    if (active && got.damaged.includes(active.info.id)) await closeActive();
    const { samples, read, index, lost } = got;
    const open = samples.length > 0 ? { batchId: `${prefix}-${++sequence}`, samples } : null;
    await commit({ ...state, read, open, dropped: state.dropped + lost });
    readIndex = index;
    await removeConsumed();
    await makeRoom(() => 0);
    return open ?? undefined;
  }

  async function settle(batchId: string, outcome: 'accepted' | 'rejected'): Promise<void> {
    if (state.open?.batchId !== batchId) return;
    const n = state.open.samples.length;
    await commit({ ...state, open: null, [outcome]: state[outcome] + n });
  }

  await removeConsumed();
  const last = segments.at(-1);
  if (last && last.bytes < segmentBytes)
    active = { info: last, handle: await openSegment(path(last.id)), dirty: false };
  await makeRoom(() => 0);

  const timer =
    policy === 'batch'
      ? setInterval(() => {
          if (active?.dirty || dirDirty) serial(syncData).catch((err) => log.error('spool sync failed', { err }));
        }, syncIntervalMs)
      : undefined;
  // The periodic sync must never be what keeps the agent alive.
  timer?.unref();

  const spool: DiskSpool = {
    dir,
    add: (samples) => (samples.length === 0 ? Promise.resolve() : serial(() => addNow(samples))),
    batch: (maxSamples) => serial(() => batchNow(maxSamples)),
    accept: (batchId) => serial(() => settle(batchId, 'accepted')),
    reject: (batchId) => serial(() => settle(batchId, 'rejected')),
    flush: () => serial(syncData),
    close: () =>
      serial(async () => {
        clearInterval(timer);
        if (sync) await syncData();
        await closeActive();
        closed = true;
      }),
    stats() {
      const inFlightSamples = state.open?.samples.length ?? 0;
      return {
        pendingSamples: queued() + inFlightSamples,
        inFlightSamples,
        added,
        accepted: state.accepted,
        rejected: state.rejected,
        dropped: state.dropped,
        bytes: totalBytes(),
        segments: segments.length,
        openBatchId: state.open?.batchId ?? null,
        cutBytes: recovered.cutBytes,
      };
    },
  };
  log.info('spool opened', { dir, policy, maxBytes, segmentBytes, ...spool.stats() });
  return spool;
}

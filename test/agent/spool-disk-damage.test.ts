import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDiskSpool } from '../../agent/src/spool/disk.ts';
import { encodeRecord, SEGMENT_HEADER_BYTES } from '../../agent/src/spool/disk-format.ts';
import { capture, dirBytes, drain, lastSegment, segmentFiles, useTempSpools } from '../fixtures/spool-disk-helpers.ts';
import { samples } from './spool-contract.ts';

const { freshDir, openSpool } = useTempSpools();

describe('disk spool: damaged segments', () => {
  async function fiveSamples() {
    const dir = await freshDir();
    const spool = await openSpool({ dir });
    await spool.add(samples(5));
    await spool.close();
    const file = await lastSegment(dir);
    return { dir, file, size: (await stat(file)).size };
  }

  const cutReport = (lines: Record<string, unknown>[]) => lines.find((l) => l.level === 'warn' && 'cutBytes' in l);

  it('cuts a record torn in half at the tail, reports offset and bytes, and appends after it', async () => {
    const { dir, file, size } = await fiveSamples();
    const torn = encodeRecord(samples(1, 5)[0]!).subarray(0, 20);
    await appendFile(file, torn);

    const { log, lines } = capture();
    const spool = await openSpool({ dir, log });
    expect(cutReport(lines)).toMatchObject({ file, offset: size, cutBytes: 20, keptRecords: 5 });
    expect((await stat(file)).size).toBe(size);
    expect(spool.stats()).toMatchObject({ pendingSamples: 5, cutBytes: 20 });
    await spool.add(samples(1, 5));
    await spool.close();
    expect(await drain(await openSpool({ dir }))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('cuts garbage written after the last record', async () => {
    const { dir, file, size } = await fiveSamples();
    const garbage = Buffer.from('\0\0\0\0garbage that is not a record');
    await appendFile(file, garbage);
    const { log, lines } = capture();
    const spool = await openSpool({ dir, log });
    expect(cutReport(lines)).toMatchObject({
      offset: size,
      cutBytes: garbage.length,
      reason: 'impossible record length 0',
    });
    expect(await drain(spool)).toEqual([0, 1, 2, 3, 4]);
  });

  it('cuts a file truncated in the middle of its last record', async () => {
    const { dir, file, size } = await fiveSamples();
    const last = encodeRecord(samples(1, 4)[0]!).length;
    await truncate(file, size - 3);
    const { log, lines } = capture();
    const spool = await openSpool({ dir, log });
    expect(cutReport(lines)).toMatchObject({ offset: size - last, cutBytes: last - 3 });
    expect(await drain(spool)).toEqual([0, 1, 2, 3]);
  });

  it('cuts from a corrupt record in the middle of a segment and keeps later segments', async () => {
    const dir = await freshDir();
    const spool = await openSpool({ dir, segmentBytes: 512 });
    await spool.add(samples(20));
    await spool.close();
    const [first, ...rest] = await segmentFiles(dir);
    const file = join(dir, first!);
    const buf = await readFile(file);
    const record = encodeRecord(samples(1)[0]!).length;
    const at = SEGMENT_HEADER_BYTES + 2 * record; // the third record
    buf[at + 12]! ^= 0xff;
    await writeFile(file, buf);
    const laterRecords = 20 - (buf.length - SEGMENT_HEADER_BYTES) / record;

    const { log, lines } = capture();
    const again = await openSpool({ dir, log, segmentBytes: 512 });
    expect(cutReport(lines)).toMatchObject({
      file,
      offset: at,
      cutBytes: buf.length - at,
      reason: 'checksum mismatch',
    });
    expect(rest.length).toBeGreaterThan(0);
    const shipped = await drain(again);
    expect(shipped).toEqual([0, 1, ...Array.from({ length: laterRecords }, (_, i) => 20 - laterRecords + i)]);
  });

  it('skips the rest of a segment damaged while the spool is open, counting what it loses', async () => {
    const dir = await freshDir();
    const { log, lines } = capture();
    const spool = await openSpool({ dir, log, segmentBytes: 512 });
    await spool.add(samples(20));
    const [first] = await segmentFiles(dir);
    const file = join(dir, first!);
    const buf = await readFile(file);
    const record = encodeRecord(samples(1)[0]!).length;
    const inFirst = (buf.length - SEGMENT_HEADER_BYTES) / record;
    buf[SEGMENT_HEADER_BYTES + 2 * record + 12]! ^= 0xff;
    await writeFile(file, buf);

    const shipped = await drain(spool);
    expect(shipped).toEqual([0, 1, ...Array.from({ length: 20 - inFirst }, (_, i) => inFirst + i)]);
    expect(spool.stats()).toMatchObject({ dropped: inFirst - 2, pendingSamples: 0 });
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ file, reason: 'checksum mismatch' });
  });

  it('removes a segment whose header is not ours', async () => {
    const { dir, file } = await fiveSamples();
    const foreign = join(dir, '000000000099.seg');
    await writeFile(foreign, 'NOTASPOOL and more');
    const { log, lines } = capture();
    const spool = await openSpool({ dir, log });
    expect(cutReport(lines)).toMatchObject({ file: foreign, offset: 0, cutBytes: 18 });
    expect(await segmentFiles(dir)).toEqual([file.slice(dir.length + 1)]);
    expect(await drain(spool)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('disk spool: byte bound', () => {
  it('keeps its files within maxBytes, drops the oldest waiting samples, and counts them', async () => {
    const dir = await freshDir();
    const maxBytes = 8192;
    const spool = await openSpool({ dir, maxBytes, segmentBytes: 1024 });
    const shipped: number[] = [];
    let next = 0;
    for (let i = 0; i < 300; i++) {
      const n = 1 + (i % 5);
      await spool.add(samples(n, next));
      next += n;
      if (i % 7 === 0) {
        const b = await spool.batch(10);
        if (b && i % 2 === 0) {
          shipped.push(...b.samples.map((s) => s.value));
          await spool.accept(b.batchId);
        }
      }
      const onDisk = await dirBytes(dir);
      expect(onDisk).toBeLessThanOrEqual(maxBytes);
      expect(spool.stats().bytes).toBe(onDisk);
    }
    shipped.push(...(await drain(spool, 10)));
    const stats = spool.stats();
    expect(stats.dropped).toBeGreaterThan(0);
    expect(shipped.length + stats.dropped).toBe(next);
    expect(shipped).toEqual([...shipped].sort((a, b) => a - b));
    expect(new Set(shipped).size).toBe(shipped.length);
    // The newest samples are never the ones dropped.
    expect(shipped.slice(-5)).toEqual([next - 5, next - 4, next - 3, next - 2, next - 1]);
  });

  it('never drops the open batch, which the Worker may already hold', async () => {
    const dir = await freshDir();
    const spool = await openSpool({ dir, maxBytes: 4096, segmentBytes: 512 });
    await spool.add(samples(3));
    const open = await spool.batch(3);
    for (let i = 0; i < 20; i++) await spool.add(samples(10, 100 + 10 * i));
    expect(await spool.batch(3)).toEqual(open);
    expect(spool.stats().dropped).toBeGreaterThan(0);
    await spool.accept(open!.batchId);
    const rest = await drain(spool);
    expect(rest.at(-1)).toBe(299);
    expect(spool.stats().dropped + rest.length + 3).toBe(203);
  });

  it('keeps the drop count across restarts and shrinks to a lower bound on open', async () => {
    const dir = await freshDir();
    const big = await openSpool({ dir, maxBytes: 64 * 1024, segmentBytes: 1024 });
    await big.add(samples(400));
    await big.close();
    expect(await dirBytes(dir)).toBeGreaterThan(8192);

    const small = await openSpool({ dir, maxBytes: 8192, segmentBytes: 1024 });
    expect(await dirBytes(dir)).toBeLessThanOrEqual(8192);
    const { dropped } = small.stats();
    expect(dropped).toBeGreaterThan(0);
    await small.close();
    const again = await openSpool({ dir, maxBytes: 8192, segmentBytes: 1024 });
    expect(again.stats()).toMatchObject({ dropped, pendingSamples: 400 - dropped });
    expect((await drain(again))[0]).toBe(dropped);
  });

  it('refuses a bound or segment size it cannot honour', async () => {
    const dir = await freshDir();
    await expect(createDiskSpool({ dir, maxBytes: 100 })).rejects.toThrow(/maxBytes/);
    await expect(createDiskSpool({ dir, maxBytes: 8192, segmentBytes: 8192 })).rejects.toThrow(/segmentBytes/);
    await expect(createDiskSpool({ dir, fsync: 'sometimes' as 'never' })).rejects.toThrow(/fsync/);
  });
});

import { copyFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { capture, dirBytes, drain, segmentFiles, useTempSpools } from '../fixtures/spool-disk-helpers.ts';
import { describeSpoolContract, samples } from './spool-contract.ts';

const { freshDir, openSpool } = useTempSpools();

describeSpoolContract('disk spool', async () => openSpool({ dir: await freshDir() }));

describe('disk spool: restarts', () => {
  it('keeps pending samples and the open batch, with its id, across a close and reopen', async () => {
    const dir = await freshDir();
    const first = await openSpool({ dir });
    await first.add(samples(10));
    const open = await first.batch(4);
    await first.close();

    const again = await openSpool({ dir });
    expect(again.stats()).toMatchObject({ pendingSamples: 10, inFlightSamples: 4, openBatchId: open!.batchId });
    const same = await again.batch(100);
    expect(same).toEqual(open);
    await again.accept(same!.batchId);
    expect(await drain(again)).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('brings the open batch back when the process died without closing the spool', async () => {
    const dir = await freshDir();
    const crashed = await openSpool({ dir, fsync: 'never' });
    await crashed.add(samples(3));
    const open = await crashed.batch(2);
    await crashed.add(samples(3, 3));

    const restarted = await openSpool({ dir });
    expect(await restarted.batch(10)).toEqual(open);
    await restarted.accept(open!.batchId);
    expect(await drain(restarted)).toEqual([2, 3, 4, 5]);
  });

  it('resumes after the accepted position, keeps the counters, and deletes shipped segments', async () => {
    const dir = await freshDir();
    const spool = await openSpool({ dir, segmentBytes: 512 });
    await spool.add(samples(40));
    expect((await segmentFiles(dir)).length).toBeGreaterThan(3);
    const shipped = await drain(spool, 15);
    expect(shipped).toHaveLength(40);
    expect(await segmentFiles(dir)).toEqual([]);
    expect(spool.stats().bytes).toBe(await dirBytes(dir));
    await spool.add(samples(2, 40));
    const b = await spool.batch(1);
    await spool.reject(b!.batchId, 'test');
    await spool.close();

    const again = await openSpool({ dir, segmentBytes: 512 });
    expect(again.stats()).toMatchObject({ pendingSamples: 1, accepted: 40, rejected: 1, added: 0 });
    expect(await drain(again)).toEqual([41]);
  });

  it('does not resend a shipped segment that a crash left on disk', async () => {
    const dir = await freshDir();
    const spool = await openSpool({ dir, segmentBytes: 512 });
    await spool.add(samples(20));
    const [oldest] = await segmentFiles(dir);
    await copyFile(join(dir, oldest!), join(dir, 'copy'));
    const shipped = await drain(spool, 5);
    await spool.close();
    expect(await segmentFiles(dir)).not.toContain(oldest);
    await copyFile(join(dir, 'copy'), join(dir, oldest!));
    await rm(join(dir, 'copy'));

    const again = await openSpool({ dir, segmentBytes: 512 });
    expect(shipped).toHaveLength(20);
    expect(again.stats().pendingSamples).toBe(0);
    expect(await segmentFiles(dir)).not.toContain(oldest);
  });

  it('ignores a half-written state file left by a crash during its replacement', async () => {
    const dir = await freshDir();
    const spool = await openSpool({ dir });
    await spool.add(samples(3));
    const open = await spool.batch(2);
    await spool.close();
    await writeFile(join(dir, 'spool-state.json.tmp'), '{"v":1,"read":{"seg');

    const again = await openSpool({ dir });
    expect(await readdir(dir)).not.toContain('spool-state.json.tmp');
    expect(await again.batch(5)).toEqual(open);
  });

  it('resends from the oldest segment when the state file is unreadable, and says so', async () => {
    const dir = await freshDir();
    const spool = await openSpool({ dir });
    await spool.add(samples(5));
    await spool.accept((await spool.batch(2))!.batchId);
    await spool.close();
    await writeFile(join(dir, 'spool-state.json'), '{"v":1,"read":');

    const { log, lines } = capture();
    const again = await openSpool({ dir, log });
    expect(lines.some((l) => l.level === 'error' && /state file/.test(String(l.msg)))).toBe(true);
    expect(await drain(again)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('disk spool: fsync policies', () => {
  async function countSyncs(fsync: 'always' | 'batch' | 'never') {
    const dir = await freshDir();
    const spool = await openSpool({ dir, fsync, syncIntervalMs: 60_000 });
    // FileHandle is not exported; its prototype is reachable through any open handle.
    const probe = await (await import('node:fs/promises')).open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void>; sync(): Promise<void> };
    await probe.close();
    await rm(join(dir, 'probe'));
    const datasync = vi.spyOn(proto, 'datasync');
    const fullSync = vi.spyOn(proto, 'sync');
    for (let i = 0; i < 5; i++) await spool.add(samples(2, 2 * i));
    const afterAdds = datasync.mock.calls.length;
    const b = await spool.batch(100);
    const atBatch = datasync.mock.calls.length - afterAdds;
    await spool.accept(b!.batchId);
    await spool.close();
    const again = await openSpool({ dir, fsync });
    await again.add(samples(1, 10));
    expect(await drain(again)).toEqual([10]);
    return { afterAdds, atBatch, stateSyncs: fullSync.mock.calls.length };
  }

  it('always: syncs after every add', async () => {
    const { afterAdds, stateSyncs } = await countSyncs('always');
    expect(afterAdds).toBeGreaterThanOrEqual(5);
    expect(stateSyncs).toBeGreaterThan(0);
  });

  it('batch: syncs the data before handing out a batch, not on every add', async () => {
    const { afterAdds, atBatch, stateSyncs } = await countSyncs('batch');
    expect(afterAdds).toBe(0);
    expect(atBatch).toBe(1);
    expect(stateSyncs).toBeGreaterThan(0);
  });

  it('never: leaves syncing to the kernel', async () => {
    expect(await countSyncs('never')).toEqual({ afterAdds: 0, atBatch: 0, stateSyncs: 0 });
  });

  it('batch: syncs written data in the background', async () => {
    const dir = await freshDir();
    const { log, lines } = capture();
    const spool = await openSpool({ dir, fsync: 'batch', syncIntervalMs: 20, log });
    const probe = await (await import('node:fs/promises')).open(join(dir, 'probe'), 'w');
    const datasync = vi.spyOn(Object.getPrototypeOf(probe) as { datasync(): Promise<void> }, 'datasync');
    await probe.close();
    await spool.add(samples(3));
    await vi.waitFor(() => expect(datasync).toHaveBeenCalled(), { timeout: 2_000 });
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchesThatChanged,
  deviceHubBatches,
  enroll,
  readDriverLogs,
  seqsInSeveralBatches,
  startDriver,
  storedPoints,
  type Driver,
} from '../fixtures/spool-harness.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

const KILLS = 24;
const POLICIES = ['batch', 'always', 'never'] as const;

let platform: LocalPlatform;
let work: string;
let driver: Driver | undefined;

beforeAll(async () => {
  platform = await startLocalPlatform();
  work = await mkdtemp(join(tmpdir(), 'edgewatch-spool-crash-'));
});

afterAll(async () => {
  await driver?.kill();
  await platform?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('disk spool under kill -9', () => {
  it(`ships every sample written before each of ${KILLS} SIGKILLs to the Worker exactly once`, async () => {
    const started = Date.now();
    const { deviceId, deviceToken } = await enroll(platform.url, platform.seed.enrollmentToken, 'crash-host');
    const spool = join(work, 'spool');
    const logs = join(work, 'logs');
    await mkdir(logs);
    const common = { spool, logs, url: platform.url, token: deviceToken, base: String(Date.now() - 6 * 3600_000) };

    const uptimes: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      driver = startDriver({ ...common, fsync: POLICIES[i % POLICIES.length]!, every: '5', burst: '5' });
      await driver.ready;
      expect(driver.child.exitCode, driver.output()).toBeNull();
      const wait = 100 + Math.floor(Math.random() * 700);
      await sleep(wait);
      await driver.kill();
      uptimes.push(wait);
      expect(driver.child.signalCode, driver.output()).toBe('SIGKILL');
    }

    driver = startDriver({ ...common, drain: true });
    const code = await Promise.race([driver.exited, sleep(60_000).then(() => 'timeout' as const)]);
    expect(code, driver.output()).toBe(0);
    const final = driver.stats()!;
    expect(final).toMatchObject({ pendingSamples: 0, dropped: 0, rejected: 0 });

    const { intents, written, acks } = await readDriverLogs(logs);
    const points = await storedPoints(platform.url, platform.seed.apiKey, deviceId);
    const stored = new Map(points.map((p) => [p.ts, p.value]));
    const base = Number(common.base);

    // Every sample whose add() resolved before a kill is stored, with its value.
    const missing = [...written].filter(([seq, ts]) => stored.get(ts) !== seq).map(([seq]) => seq);
    expect(missing, `missing seqs`).toEqual([]);
    // Nothing is stored that was never written, and timestamps are unique per series.
    expect(points.every((p) => p.ts === base + p.value && intents.has(p.value))).toBe(true);
    expect(stored.size).toBe(points.length);
    // The extras are samples added just before a kill, before the driver could log them as written.
    const extras = points.filter((p) => !written.has(p.value)).length;
    expect(points.length).toBe(written.size + extras);
    expect(extras).toBeLessThanOrEqual(KILLS * 5);

    // Exactly once on the wire: no sample went out under two batch ids, and a resent id
    // always carried the same samples, so the DeviceHub's batch-id dedupe applied.
    expect(seqsInSeveralBatches(acks)).toEqual([]);
    expect(batchesThatChanged(acks)).toEqual([]);
    const duplicates = acks.filter((a) => a.duplicate).length;
    // And on the Worker's side: the batches it stored brought each stored point exactly once.
    const hub = await deviceHubBatches(join(platform.dir, 'state'));
    expect(hub.batchSamples).toBe(points.length);

    console.log(
      `spool crash: ${KILLS} SIGKILLs after ${Math.min(...uptimes)}–${Math.max(...uptimes)} ms; ` +
        `${written.size} samples written (${intents.size} intended), ${points.length} stored ` +
        `(${extras} added but unlogged at a kill); ${hub.batches} batches stored, ${acks.length} acks logged, ${duplicates} duplicate resends ` +
        `deduplicated by the Worker; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});

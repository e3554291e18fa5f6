import { afterEach, describe, expect, it } from 'vitest';
import { backoffDelay } from '../../agent/src/backoff.ts';
import { createLogger } from '../../agent/src/log.ts';
import { createShipper, type Shipper } from '../../agent/src/shipper.ts';
import { createMemorySpool } from '../../agent/src/spool/memory.ts';
import { createHttpsTransport } from '../../agent/src/transports/https.ts';
import {
  ack,
  closedPort,
  samplesOf,
  startServer,
  until,
  type RecordedRequest,
  type Reply,
  type TestServer,
} from './helpers/http-server.ts';
import { samples } from './spool-contract.ts';

let server: TestServer | undefined;
let shipper: Shipper | undefined;
afterEach(async () => {
  await shipper?.stop({ flushMs: 0 });
  await server?.close();
  shipper = undefined;
  server = undefined;
});

const batchIds = (s: TestServer) => s.requests.map((r) => (r.json as { batchId: string }).batchId);
const values = (r: RecordedRequest) => samplesOf(r.json).map((s) => s.value);

/** A shipper against a real local server; sleeps are recorded and skipped. */
async function setup(reply: (req: RecordedRequest, i: number) => Reply, opts: { maxSamples?: number } = {}) {
  server = await startServer(reply);
  const spool = createMemorySpool();
  const lines: string[] = [];
  const sleeps: number[] = [];
  shipper = createShipper({
    spool,
    transport: createHttpsTransport({ url: server.url, deviceToken: 't' }),
    log: createLogger({ level: 'debug', write: (l) => lines.push(l) }),
    maxSamples: opts.maxSamples,
    lingerMs: 0,
    backoff: { random: () => 0.5 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { spool, lines, sleeps, shipper, server };
}

describe('shipper', () => {
  it('counts shipped batches, failed sends and refusals, with the last error and latency', async () => {
    const { spool, shipper } = await setup(
      (req, i) =>
        i === 0
          ? { status: 503, body: 'down' }
          : i === 2
            ? { status: 400, body: { error: { code: 'invalid_batch', message: 'bad' } } }
            : ack(req),
      { maxSamples: 2 },
    );
    expect(shipper.stats()).toEqual({ batchesShipped: 0, samplesShipped: 0, batchesRejected: 0, shipErrors: 0 });
    await spool.add(samples(6));
    shipper.start();
    shipper.notify();
    await until('every batch settled', () => (spool.stats().pendingSamples === 0 ? true : undefined));
    const stats = shipper.stats();
    expect(stats).toMatchObject({ batchesShipped: 2, samplesShipped: 4, batchesRejected: 1, shipErrors: 2 });
    expect(stats.lastError?.message).toContain('400 invalid_batch');
    expect(stats.lastShipAt).toBeGreaterThan(Date.now() - 5_000);
    expect(stats.lastLatencyMs).toBeGreaterThan(0);
  });

  it('retries with exponential backoff, then succeeds, re-sending the same batch id', async () => {
    const { spool, sleeps, shipper, server } = await setup((req, i) =>
      i < 3 ? { status: 503, body: 'down' } : ack(req),
    );
    await spool.add(samples(4));
    shipper.start();
    shipper.notify();
    await until('the batch to be accepted', () => (spool.stats().accepted === 4 ? true : undefined));

    expect(server.requests).toHaveLength(4);
    expect(new Set(batchIds(server)).size).toBe(1);
    // Full jitter with random() = 0.5: half of 1 s, 2 s, 4 s.
    expect(sleeps).toEqual([500, 1000, 2000]);
    expect(spool.stats()).toMatchObject({ pendingSamples: 0, accepted: 4 });
  });

  it('waits as long as Retry-After says instead of its own backoff', async () => {
    const { spool, sleeps, shipper } = await setup((req, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '3' } } : ack(req),
    );
    await spool.add(samples(1));
    shipper.start();
    shipper.notify();
    await until('the batch to be accepted', () => (spool.stats().accepted === 1 ? true : undefined));
    expect(sleeps).toEqual([3000]);
  });

  it('sets a permanently refused batch aside, logs why, and ships the next', async () => {
    const refuse = {
      status: 400,
      body: { error: { code: 'invalid_input', message: 'bad value', field: 'samples.0.value' } },
    };
    const { spool, lines, sleeps, shipper, server } = await setup((req, i) => (i === 0 ? refuse : ack(req)), {
      maxSamples: 2,
    });
    await spool.add(samples(4));
    shipper.start();
    shipper.notify();
    await until('the second batch', () => (spool.stats().accepted === 2 ? true : undefined));

    expect(server.requests.map(values)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(spool.stats()).toMatchObject({ rejected: 2, accepted: 2, pendingSamples: 0 });
    expect(sleeps).toEqual([]);
    const error = lines.map((l) => JSON.parse(l)).find((l) => l.level === 'error');
    expect(error).toMatchObject({ status: 400, reason: expect.stringContaining('invalid_input') });
  });

  it('ships samples added while idle, in order', async () => {
    const { spool, shipper, server } = await setup(ack, { maxSamples: 3 });
    shipper.start();
    await spool.add(samples(2));
    shipper.notify();
    await until('first batch', () => (server.requests.length === 1 ? true : undefined));
    await spool.add(samples(4, 2));
    shipper.notify();
    await until('all samples', () => (spool.stats().accepted === 6 ? true : undefined));
    expect(server.requests.map(values).flat()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('puts the samples of one tick into one request', async () => {
    server = await startServer();
    const spool = createMemorySpool();
    shipper = createShipper({
      spool,
      transport: createHttpsTransport({ url: server.url, deviceToken: 't' }),
      log: createLogger({ write: () => {} }),
      lingerMs: 100,
    });
    shipper.start();
    for (let i = 0; i < 3; i++) {
      await spool.add(samples(1, i));
      shipper.notify();
      await new Promise((r) => setTimeout(r, 10));
    }
    await until('the batch', () => (spool.stats().accepted === 3 ? true : undefined));
    expect(server.requests.map(values)).toEqual([[0, 1, 2]]);
  });

  it('flushes what is pending when stopped', async () => {
    const { spool, shipper, server } = await setup(ack, { maxSamples: 2 });
    shipper.start();
    await spool.add(samples(5));
    // No notify: stop itself must ship what is left.
    expect(await shipper.stop({ flushMs: 5_000 })).toEqual({ flushed: true });
    expect(server.requests.map(values).flat()).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops at the flush deadline when the server keeps failing', async () => {
    const spool = createMemorySpool();
    shipper = createShipper({
      spool,
      transport: createHttpsTransport({ url: `http://127.0.0.1:${await closedPort()}`, deviceToken: 't' }),
      log: createLogger({ write: () => {} }),
    });
    await spool.add(samples(3));
    shipper.start();
    shipper.notify();
    const started = Date.now();
    expect(await shipper.stop({ flushMs: 300 })).toEqual({ flushed: false });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(spool.stats().pendingSamples).toBe(3);
  });
});

describe('backoff', () => {
  it('doubles the ceiling from 1 s up to 60 s, with full jitter', () => {
    const max = (attempt: number) => backoffDelay(attempt, { random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(max)).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999, 59999]);
    expect(max(5000)).toBe(59999);
    expect(backoffDelay(3, { random: () => 0 })).toBe(0);
  });
});

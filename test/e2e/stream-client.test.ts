import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStreamClient, type StreamClient, type StreamClientOptions } from '../../clients/stream/src/index.ts';
import type { DataFrame, GapFrame } from '../../clients/stream/src/index.ts';
import type { EnrollResponse } from '../../schema/wire/enroll.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { until } from './wait.ts';

const METRIC = 'stream_client_probe';
let platform: LocalPlatform;
let device: EnrollResponse;
let batch = 0;
const clients: StreamClient[] = [];

/** Ingests one sample with `value` from the enrolled device; returns once it is acknowledged. */
async function publish(value: number): Promise<void> {
  const res = await fetch(`${platform.url}/v1/ingest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${device.deviceToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batchId: `sc-${batch++}`, samples: [{ metric: METRIC, ts: Date.now(), value }] }),
  });
  expect(res.status, await res.text()).toBe(200);
}

/** A client of the library on the local Worker, recording the probe values and gaps it reports. */
function open(extra: Partial<StreamClientOptions> = {}) {
  const seen = { values: [] as number[], frames: 0, gaps: [] as GapFrame[] };
  const client = createStreamClient({
    url: `${platform.url.replace('http', 'ws')}/v1/stream`,
    headers: { authorization: `Bearer ${platform.seed.apiKey}` },
    onData: (f: DataFrame) => {
      seen.frames += 1;
      for (const s of f.samples) if (s.metric === METRIC) seen.values.push(s.value);
    },
    onGap: (g) => void seen.gaps.push(g),
    ...extra,
  });
  const subscribed = client.subscribe(
    'probe',
    `org.${platform.seed.orgId}.site.*.device.${device.deviceId}.metric.${METRIC}`,
  );
  clients.push(client);
  return { client, seen, subscribed };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(async () => {
  platform = await startLocalPlatform();
  const res = await fetch(`${platform.url}/v1/agents/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: platform.seed.enrollmentToken, name: 'stream-client-e2e' }),
  });
  expect(res.status).toBe(201);
  device = (await res.json()) as EnrollResponse;
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await platform?.stop();
});

describe('stream client library against the local Worker', () => {
  it('holds the server to its window while a handler is busy, then gets everything in order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client, seen, subscribed } = open({
      window: 2,
      onData: async (f) => {
        seen.frames += 1;
        for (const s of f.samples) if (s.metric === METRIC) seen.values.push(s.value);
        await gate;
      },
    });
    // A second, unhindered client: once it has a value, the hub has cut that value's frame, so
    // the next publish lands in a frame of its own rather than in the same flush interval.
    const watcher = open();
    await Promise.all([subscribed, watcher.subscribed]);
    for (let i = 1; i <= 10; i++) {
      await publish(i);
      await until(`frame ${i} cut`, () => (watcher.seen.values.includes(i) ? true : undefined), 15_000);
    }
    expect(watcher.seen.values).toEqual(range(1, 10));
    expect(watcher.seen.frames).toBe(10);
    // Every frame has reached the unhindered client; the held client's window is still the two.
    expect(seen.frames).toBe(2);
    expect(client.stats().outstanding).toBe(0);
    release();
    await until('all ten', () => (seen.values.length >= 10 ? true : undefined), 15_000);
    expect(seen.values).toEqual(range(1, 10));
    expect(client.stats().overruns).toBe(0);
  });

  it('resumes from a saved position: exactly the missed samples, no gap, no duplicate', async () => {
    const first = open();
    await first.subscribed;
    for (let i = 101; i <= 105; i++) await publish(i);
    await until('five', () => (first.seen.values.length === 5 ? true : undefined), 15_000);
    const position = first.client.position!;
    first.client.close();
    for (let i = 106; i <= 110; i++) await publish(i);

    const second = open({ resumeFrom: position });
    await second.subscribed;
    await until('the missed five', () => (second.seen.values.length >= 5 ? true : undefined), 15_000);
    await publish(111);
    await until('live after replay', () => (second.seen.values.includes(111) ? true : undefined), 15_000);
    expect(second.seen.values).toEqual(range(106, 111));
    expect(second.seen.gaps).toEqual([]);
  });

  it('surfaces a gap when the resume point is from another epoch, then carries on live', async () => {
    const { seen, subscribed } = open({ resumeFrom: { epoch: 'no-such-epoch', seq: 1 } });
    await subscribed;
    await until('the gap', () => seen.gaps[0], 15_000);
    expect(seen.gaps[0]).toMatchObject({ type: 'gap', id: 'probe', reason: 'epoch_changed' });
    await publish(201);
    await until('live', () => (seen.values.includes(201) ? true : undefined), 15_000);
  });
});

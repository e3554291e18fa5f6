import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enroll, ingest } from '../../bench/edgewatch.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

/**
 * The usage counters the capacity model reads (METER, GET /health/meter): what an ingest costs
 * lands on the part that paid it, under `wrangler dev` where the Worker and its objects share
 * one isolate.
 */
let platform: LocalPlatform;

interface Meter {
  since: number;
  at: number;
  counters: Record<string, number>;
}

const meter = async (query = ''): Promise<Meter> => {
  const res = await fetch(`${platform.url}/health/meter${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Meter;
};

beforeAll(async () => {
  platform = await startLocalPlatform({ vars: { METER: 'true' } });
}, 120_000);
afterAll(() => platform?.stop());

describe('GET /health/meter with METER on', () => {
  it('counts D1 statements and Durable Object calls by the part that made them, and resets', async () => {
    const device = await enroll(platform.url, platform.seed.enrollmentToken, 'metered');
    // Enrollment writes to D1 from the Worker and hands the hub its identity.
    const afterEnroll = await meter('?reset=true');
    expect(afterEnroll.counters['d1.statements.worker']).toBeGreaterThanOrEqual(1);
    expect(afterEnroll.counters['do.calls.DeviceHub.setIdentity.worker']).toBe(1);

    const now = Date.now();
    for (let b = 0; b < 3; b++) {
      const samples = Array.from({ length: 5 }, (_, i) => ({ metric: `m${i}`, ts: now + b * 1000, value: i }));
      await ingest(platform.url, device, `meter-${b}`, samples, false);
    }
    const after = await meter();
    expect(after.since).toBe(afterEnroll.at);
    // Each HTTPS batch: the token check and the ingest in the device's hub, one publish from it.
    expect(after.counters['do.calls.DeviceHub.ingest.worker']).toBe(3);
    expect(after.counters['do.calls.DeviceHub.authenticate.worker']).toBe(3);
    expect(after.counters['do.calls.ChannelHub.publish.DeviceHub']).toBe(3);
    // The ingest path reads nothing from D1 in the Worker: the token routes to the hub.
    expect(after.counters['d1.statements.worker'] ?? 0).toBe(0);
    // The hub registers its new series in D1.
    expect(after.counters['d1.statements.DeviceHub']).toBeGreaterThanOrEqual(1);
    expect(after.counters['d1.rowsWritten.DeviceHub']).toBeGreaterThanOrEqual(5);
  });
});

import { describe, expect, it } from 'vitest';
import type { Measured } from '../../bench/capacity-measure.ts';
import { layoutFor, project, SCALES, unitsOf } from '../../bench/capacity-model.ts';

/** One hour of 50 devices at a 10 s interval, with counters shaped as GET /health/meter gives them. */
const batches = 50 * 360;
const RUN: Measured = {
  options: {
    httpsDevices: 40,
    mqttDevices: 10,
    viewers: 20,
    series: 60,
    intervalMs: 10_000,
    configPollMs: 60_000,
    warmupMs: 0,
    windowMs: 3_600_000,
  },
  windowSeconds: 3600,
  batches,
  configPolls: 50 * 60,
  configPolls304: 50 * 60,
  counters: {
    'd1.statements.DeviceHub': 50 * 2,
    'd1.statements.cron': 3,
    'd1.rowsWritten.DeviceHub': 50 * 2,
    'do.calls.DeviceHub.ingest.worker': batches,
    'do.calls.DeviceHub.authenticate.worker': 40 * 360,
    'do.calls.ChannelHub.publish.DeviceHub': batches,
    'do.alarms.DeviceHub': 50 * 180,
  },
  cronRuns: 1,
  cpuSeconds: batches * 0.02,
  idleCpuSeconds: 0,
  viewerFrames: 20 * 5 * 3600,
  viewerBytes: 0,
  rawBytesPerSample: null,
  d1BytesPerDevice: 20_000,
  errors: [],
};

describe('capacity model', () => {
  const u = unitsOf(RUN);

  it('turns counters into per-unit costs, the cron at its production cadence', () => {
    // 2 from the hubs in the window, and what a window this short does not see: 4 figure reports,
    // 1 retention read, a rules reload of 2 and a config answer built again (3) an hour; one cron
    // run of 3 statements is 36 an hour for the whole platform.
    expect(u.d1StatementsPerDeviceHour).toBeCloseTo(12, 6);
    expect(u.d1CronStatementsPerHour).toBeCloseTo(36, 6);
    expect(u.batchesPerDeviceSec).toBeCloseTo(0.1, 6);
    expect(u.deviceHubCallsPerBatch).toBeCloseTo(1.8, 6);
    expect(u.channelHubCallsPerBatch).toBe(1);
    expect(u.cpuMsPerBatch).toBeCloseTo(20, 6);
    expect(u.framesPerViewerSec).toBeCloseTo(5, 6);
  });

  it('projects one hub per org past its limits at 100k devices and 10k viewers, and D1 under half', () => {
    const top = SCALES.at(-1)!;
    const loads = Object.fromEntries(
      project(u, top, { d1Databases: 1, publishShards: 1, relays: 1 }).map((p) => [p.part, p.load / p.limit]),
    );
    expect(loads['D1 statements/s, per database']).toBeCloseTo((100_000 * 12 + 36) / 3600 / 1000, 6);
    expect(loads['D1 storage, per database']).toBeCloseTo((100_000 * 20_000) / 10e9, 6);
    expect(loads['ChannelHub publishes/s, per publish shard']).toBeCloseTo(1, 6);
    expect(loads['DeviceHub requests/s, per object']).toBeLessThan(0.01);
  });

  it('finds shards and relays that keep every part under half its limit, within the settings', () => {
    for (const s of SCALES) {
      const l = layoutFor(u, s);
      expect(l.publishShards).toBeLessThanOrEqual(64);
      expect(l.relays).toBeLessThanOrEqual(64);
      for (const p of project(u, s, l)) {
        expect(p.load / p.limit, `${p.part} at ${s.devices}`).toBeLessThan(0.5);
      }
    }
  });
});

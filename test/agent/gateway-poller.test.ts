import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../agent/src/collectors/types.ts';
import type { ControllerTarget } from '../../agent/src/gateway/controller-reader.ts';
import { startGatewayPoller, type GatewayPoller } from '../../agent/src/gateway/poller.ts';
import { startSimulator, type Simulator } from '../../agent/src/gateway/simulator/index.ts';
import { parsePoint } from '../../agent/src/gateway/t3-profile.ts';
import { sample as sampleSchema } from '../../schema/wire/ingest.ts';
import { closedPort, until } from './helpers/http-server.ts';

let sim: Simulator | undefined;
let poller: GatewayPoller | undefined;
afterEach(async () => {
  await poller?.stop();
  await sim?.close();
  poller = undefined;
  sim = undefined;
});

const POINTS = ['IN1', 'IN2', 'IN8', 'OUT5', 'VAR1'].map(parsePoint);

function target(id: string, port: number, points = POINTS): ControllerTarget {
  return { id, host: '127.0.0.1', port, unitId: 1, points, registers: [] };
}

/** Samples as they reached `onSamples`, with when they arrived. */
function collector() {
  const batches: { at: number; samples: Sample[] }[] = [];
  return {
    batches,
    onSamples: (samples: Sample[]) => void batches.push({ at: Date.now(), samples }),
    of: (controller: string) => batches.filter((b) => b.samples.some((s) => s.labels?.controller === controller)),
    all: () => batches.flatMap((b) => b.samples),
  };
}

const value = (samples: Sample[], metric: string, controller: string) =>
  samples.find((s) => s.metric === metric && s.labels?.controller === controller)?.value;

describe('gateway poller', () => {
  it('delivers healthy controllers on time while one answers in 2 s (timeout 500 ms) and one refuses', async () => {
    sim = await startSimulator({ controllers: 3, delay: 0, delays: { 2: 2_000 } });
    const dead = await closedPort();
    const out = collector();
    const started = Date.now();
    poller = startGatewayPoller({
      controllers: [
        target('slow', sim.controllers[2]!.modbus.port),
        target('dead', dead),
        target('a', sim.controllers[0]!.modbus.port),
        target('b', sim.controllers[1]!.modbus.port),
      ],
      intervalMs: 1_000,
      timeoutMs: 500,
      retries: 1,
      backoff: { baseMs: 50, capMs: 50 },
      concurrency: 4,
      onSamples: out.onSamples,
    });
    await until('three polls of each healthy controller', () =>
      out.of('a').length >= 3 && out.of('b').length >= 3 ? true : undefined,
    );

    for (const id of ['a', 'b']) {
      const [first, ...later] = out.of(id);
      // The first poll starts at once and does not wait for the slow or the dead controller.
      expect(first!.at - started).toBeLessThan(400);
      // The next ones come just after each second's boundary, none skipped: behind the slow
      // controller (two 500 ms attempts a poll) they would miss boundaries.
      for (const b of later) expect(b.at % 1_000).toBeLessThan(600);
      const seconds = later.map((b) => Math.floor(b.at / 1_000));
      expect(seconds).toEqual(seconds.map((_, i) => seconds[0]! + i));
      const samples = out.of(id).flatMap((b) => b.samples);
      expect(samples.filter((s) => s.metric === 't3_point_value')).toHaveLength(3 * POINTS.length);
      expect(value(samples, 'gateway_controller_up', id)).toBe(1);
    }

    await until('a poll of the slow controller', () => (out.of('slow').length > 0 ? true : undefined));
    const slow = out.of('slow')[0]!.samples;
    expect(slow.filter((s) => s.metric === 't3_point_value')).toEqual([]);
    expect(value(slow, 'gateway_controller_up', 'slow')).toBe(0);
    expect(value(slow, 'gateway_controller_errors_total', 'slow')).toBe(1);
    // Two attempts of 500 ms: its poll ended well before the 2 s answer, and the rest of its requests were not sent.
    expect(out.of('slow')[0]!.at - started).toBeLessThan(1_500);

    const deadSamples = out.of('dead')[0]!.samples;
    expect(value(deadSamples, 'gateway_controller_up', 'dead')).toBe(0);
    const health = Object.fromEntries(poller.health().map((h) => [h.controller, h]));
    expect(health.dead!.lastError).toContain('ECONNREFUSED');
    expect(health.slow!.lastError).toMatch(/no answer|Timed out/);
    expect(health.a).toMatchObject({ up: true, errorsTotal: 0, failedPolls: 0 });
    expect(health.a!.lastSuccessAt).toBeGreaterThan(started);
  }, 20_000);

  it('backs off from a controller that keeps failing: polled after 1, 2, 4 intervals', async () => {
    const dead = await closedPort();
    const out = collector();
    poller = startGatewayPoller({
      controllers: [target('dead', dead)],
      intervalMs: 200,
      retries: 0,
      onSamples: out.onSamples,
    });
    await until('four polls', () => (out.batches.length >= 4 ? true : undefined), 5_000);
    const gaps = out.batches.slice(1).map((b, i) => b.at - out.batches[i]!.at);
    // 1 interval, then 2, then 4 (each landing on a 200 ms boundary).
    expect(gaps[0]).toBeLessThan(400);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(600);
    expect(poller.health()[0]!.failedPolls).toBeGreaterThanOrEqual(4);
  }, 20_000);

  it('reads the flags at their own low rate and values every interval, counted at the simulator', async () => {
    sim = await startSimulator({ controllers: 1, delay: 0 });
    const out = collector();
    poller = startGatewayPoller({
      controllers: [target('c', sim.controllers[0]!.modbus.port, ['IN1', 'IN2'].map(parsePoint))],
      intervalMs: 200,
      metaIntervalMs: 60_000,
      onSamples: out.onSamples,
    });
    await until('five polls', () => (out.batches.length >= 5 ? true : undefined));
    await poller.stop();
    const withFlags = out.batches.filter((b) => b.samples.some((s) => s.metric === 't3_point_range'));
    expect(withFlags).toHaveLength(1);
    expect(out.batches.every((b) => b.samples.filter((s) => s.metric === 't3_point_value').length === 2)).toBe(true);
    // IN1–IN2 values are one request; their flags (ranges and auto/manual) one more, once.
    const requests = out.all().filter((s) => s.metric === 'gateway_controller_requests_total');
    expect(requests.at(-1)!.value).toBe(out.batches.length + 1);
    // The simulator counted the same (plus at most one request of a poll cut short by stop()).
    expect(sim.controllers[0]!.modbus.requests - (out.batches.length + 1)).toBeOneOf([0, 1]);
  }, 20_000);

  it('reports the read latency of a slow controller that answers within its timeout', async () => {
    sim = await startSimulator({ controllers: 1, delay: 300 });
    const out = collector();
    poller = startGatewayPoller({
      controllers: [target('c', sim.controllers[0]!.modbus.port, [parsePoint('VAR1')])],
      intervalMs: 10_000,
      timeoutMs: 2_000,
      onSamples: out.onSamples,
    });
    await until('a poll', () => (out.batches.length >= 1 ? true : undefined));
    const samples = out.batches[0]!.samples;
    expect(value(samples, 'gateway_controller_up', 'c')).toBe(1);
    expect(value(samples, 'gateway_controller_read_seconds', 'c')).toBeGreaterThanOrEqual(0.29);
    // VAR1's value and its flags (8092, 8348, 8532, 8660: too far apart to join) are four requests of 300 ms.
    expect(value(samples, 'gateway_controller_cycle_seconds', 'c')).toBeGreaterThanOrEqual(1.15);
  }, 20_000);

  it('produces samples the ingest schema accepts: one series per point, stable labels, no duplicates', async () => {
    sim = await startSimulator({ controllers: 2, delay: 0 });
    const out = collector();
    poller = startGatewayPoller({
      controllers: [target('1001', sim.controllers[0]!.modbus.port), target('1002', sim.controllers[1]!.modbus.port)],
      intervalMs: 200,
      onSamples: out.onSamples,
    });
    await until('two polls each', () => (out.of('1001').length >= 2 && out.of('1002').length >= 2 ? true : undefined));
    await poller.stop();
    const samples = out.all();
    for (const s of samples) expect(sampleSchema.safeParse(s).success, JSON.stringify(s)).toBe(true);
    const keys = samples.map((s) => `${s.metric}${JSON.stringify(s.labels)}@${s.ts}`);
    expect(new Set(keys).size).toBe(keys.length);
    const values = samples.filter((s) => s.metric === 't3_point_value' && s.labels?.controller === '1001');
    expect(new Set(values.map((s) => JSON.stringify(s.labels)))).toEqual(
      new Set(
        ['IN1', 'IN2', 'IN8', 'OUT5', 'VAR1'].map((p) =>
          JSON.stringify({ controller: '1001', point: p, type: p.replace(/\d+/, '') }),
        ),
      ),
    );
    const flags = samples.filter((s) => s.labels?.point === 'OUT5' && s.labels.controller === '1001');
    expect(
      Object.fromEntries(flags.filter((s) => s.metric !== 't3_point_value').map((s) => [s.metric, s.value])),
    ).toEqual({
      t3_point_range: 4,
      t3_point_manual: 1,
      t3_point_digital: 0,
    });
  }, 20_000);

  it('stops at once, even with a request waiting on a slow controller', async () => {
    sim = await startSimulator({ controllers: 1, delay: 5_000 });
    const out = collector();
    poller = startGatewayPoller({
      controllers: [target('c', sim.controllers[0]!.modbus.port)],
      intervalMs: 60_000,
      timeoutMs: 10_000,
      onSamples: out.onSamples,
    });
    await until('the request at the simulator', () => (sim!.controllers[0]!.modbus.requests > 0 ? true : undefined));
    const stopping = performance.now();
    await poller.stop();
    expect(performance.now() - stopping).toBeLessThan(500);
    expect(out.batches).toEqual([]);
  }, 20_000);
});

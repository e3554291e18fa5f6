import { GATEWAY_METRICS } from '../../../schema/wire/gateway.ts';
import type { Sample } from '../collectors/types.ts';
import type { CycleResult } from './controller-reader.ts';
import { pointId, type T3Point } from './t3-profile.ts';

/** The samples of one poll's readings. Non-finite raw values (a float register's NaN) are skipped. */
export function cycleSamples(controller: string, result: CycleResult): Sample[] {
  const samples: Sample[] = [];
  for (const v of result.values) {
    samples.push({ metric: GATEWAY_METRICS.pointValue, ts: v.ts, value: v.value, labels: pointLabels(controller, v) });
  }
  for (const m of result.metas) {
    const labels = pointLabels(controller, m);
    samples.push(
      { metric: GATEWAY_METRICS.pointRange, ts: m.ts, value: m.meta.range, labels },
      { metric: GATEWAY_METRICS.pointManual, ts: m.ts, value: m.meta.manual ? 1 : 0, labels },
      { metric: GATEWAY_METRICS.pointDigital, ts: m.ts, value: m.meta.digital ? 1 : 0, labels },
    );
  }
  for (const r of result.registers) {
    if (!Number.isFinite(r.value)) continue;
    samples.push({
      metric: GATEWAY_METRICS.registerValue,
      ts: r.ts,
      value: r.value,
      labels: { controller, name: r.register.name },
    });
  }
  return samples;
}

function pointLabels(controller: string, reading: { point: T3Point }) {
  return { controller, point: pointId(reading.point), type: reading.point.type };
}

/** A controller's health, as the poller keeps it. */
export interface ControllerHealth {
  controller: string;
  host: string;
  port: number;
  unitId: number;
  /** Undefined until the first poll ends. */
  up?: boolean;
  lastSuccessAt?: number;
  lastPollAt?: number;
  lastCycleMs?: number;
  /** Mean request latency of the last poll that got answers. */
  readLatencyMs?: number;
  requestsTotal: number;
  errorsTotal: number;
  /** Polls in a row that got no answer; the poller waits longer between them. */
  failedPolls: number;
  lastError?: string;
}

/** The health samples of a controller after a poll, at `ts`. */
export function healthSamples(health: ControllerHealth, ts: number, result: CycleResult): Sample[] {
  const labels = { controller: health.controller };
  const samples: Sample[] = [
    { metric: GATEWAY_METRICS.up, ts, value: health.up ? 1 : 0, labels },
    { metric: GATEWAY_METRICS.cycleSeconds, ts, value: (result.endedAt - result.startedAt) / 1000, labels },
    { metric: GATEWAY_METRICS.requestsTotal, ts, value: health.requestsTotal, labels },
    { metric: GATEWAY_METRICS.errorsTotal, ts, value: health.errorsTotal, labels },
  ];
  if (result.latenciesMs.length > 0) {
    const mean = result.latenciesMs.reduce((a, b) => a + b, 0) / result.latenciesMs.length;
    samples.push({ metric: GATEWAY_METRICS.readSeconds, ts, value: mean / 1000, labels });
  }
  if (health.lastSuccessAt !== undefined) {
    samples.push({ metric: GATEWAY_METRICS.lastSuccess, ts, value: health.lastSuccessAt / 1000, labels });
  }
  return samples;
}

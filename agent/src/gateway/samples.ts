import type { Sample } from '../collectors/types.ts';
import type { CycleResult } from './controller-reader.ts';
import { pointId, type T3Point } from './t3-profile.ts';

/**
 * Metric names of the gateway. Every point is its own series, labelled
 * `{controller, point, type}`: labels that never change for a point, so its history stays one
 * series. What can change (range, auto/manual, analog/digital) is a series of its own rather
 * than a label, since a label change would start a new series and break the history in two.
 */
export const GATEWAY_METRICS = {
  /** The point's value: analog in engineering units (÷1000), digital 0/1 as the controller gives it. */
  pointValue: 't3_point_value',
  /** T3000's range code (unit, or on/off wording and polarity for digital points). */
  pointRange: 't3_point_range',
  /** 1 manual (an operator overrides the value), 0 auto. */
  pointManual: 't3_point_manual',
  /** 1 digital, 0 analog. */
  pointDigital: 't3_point_digital',
  /** A raw register, labelled `{controller, name}`. */
  registerValue: 'modbus_register_value',
  /** 1 when the controller answered in its last poll, else 0. */
  up: 'gateway_controller_up',
  /** Mean time to answer one request in the last poll. */
  readSeconds: 'gateway_controller_read_seconds',
  /** Time the last poll took, all its requests one after the other. */
  cycleSeconds: 'gateway_controller_cycle_seconds',
  /** Requests sent since the agent started. */
  requestsTotal: 'gateway_controller_requests_total',
  /** Requests that failed (after retries) since the agent started. */
  errorsTotal: 'gateway_controller_errors_total',
  /** When the controller last answered (epoch seconds). */
  lastSuccess: 'gateway_controller_last_success_timestamp_seconds',
} as const;

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

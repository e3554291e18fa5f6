import { GATEWAY_METRICS, T3_POINT_COUNTS, T3_POINT_TYPES, type T3PointType } from '../../../../schema/wire/gateway.ts';
import type { LatestValue } from '../../../../schema/wire/telemetry.ts';

/** One T3 point as `GET /v1/controllers/:id/points` shows it. */
export interface PointView {
  point: string;
  pointType: T3PointType;
  pointNumber: number;
  label: string | null;
  unit: string | null;
  /** The latest value (analog in engineering units, digital 0/1), and when it was read. */
  value: number | null;
  ts: number | null;
  /** The value's series: history, stats, export, alerts and the stream take it as any series. */
  seriesId: string | null;
  /** T3000's range code. */
  range: number | null;
  autoManual: 'auto' | 'manual' | null;
  analogDigital: 'analog' | 'digital' | null;
}

export interface RegisterView {
  name: string;
  value: number;
  ts: number;
  seriesId: string;
}

/** The D1 labels of a controller's points, keyed `IN1`. */
export type PointLabels = Map<string, { label: string | null; unit: string | null }>;

/** `IN1` → `{ type: 'IN', number: 1 }`; the id is already validated. */
export function splitPoint(point: string): { pointType: T3PointType; pointNumber: number } {
  const m = /^(IN|OUT|VAR)(\d+)$/.exec(point)!;
  return { pointType: m[1] as T3PointType, pointNumber: Number(m[2]) };
}

/**
 * A controller's points from its gateway's latest values (never from the controller) and its
 * labels. Without `all`, only points with a value, a flag or a label, in IN, OUT, VAR order.
 */
export function pointViews(
  values: readonly LatestValue[],
  labels: PointLabels,
  options: { type?: T3PointType; all?: boolean },
): PointView[] {
  const byPoint = new Map<string, Partial<Record<string, LatestValue>>>();
  for (const v of values) {
    const point = v.labels.point;
    if (point === undefined || !v.metric.startsWith('t3_point_')) continue;
    let entry = byPoint.get(point);
    if (!entry) byPoint.set(point, (entry = {}));
    entry[v.metric] = v;
  }
  const views: PointView[] = [];
  for (const pointType of T3_POINT_TYPES) {
    if (options.type && options.type !== pointType) continue;
    for (let n = 1; n <= T3_POINT_COUNTS[pointType]; n++) {
      const point = `${pointType}${n}`;
      const found = byPoint.get(point);
      const named = labels.get(point);
      if (!options.all && !found && !named) continue;
      const value = found?.[GATEWAY_METRICS.pointValue];
      const manual = found?.[GATEWAY_METRICS.pointManual];
      const digital = found?.[GATEWAY_METRICS.pointDigital];
      views.push({
        point,
        pointType,
        pointNumber: n,
        label: named?.label ?? null,
        unit: named?.unit ?? null,
        value: value?.value ?? null,
        ts: value?.ts ?? null,
        seriesId: value?.seriesId ?? null,
        range: found?.[GATEWAY_METRICS.pointRange]?.value ?? null,
        autoManual: manual ? (manual.value !== 0 ? 'manual' : 'auto') : null,
        analogDigital: digital ? (digital.value !== 0 ? 'digital' : 'analog') : null,
      });
    }
  }
  return views;
}

/** A controller's raw registers (`modbus_register_value{controller, name}`), by name. */
export function registerViews(values: readonly LatestValue[]): RegisterView[] {
  return values
    .filter((v) => v.metric === GATEWAY_METRICS.registerValue && v.labels.name !== undefined)
    .map((v) => ({ name: v.labels.name!, value: v.value, ts: v.ts, seriesId: v.seriesId }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

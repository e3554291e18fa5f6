import { useEffect, useState } from 'preact/hooks';
import type { StreamSample } from '../../../../../schema/wire/stream.ts';
import { subscribeLive, type SubscribeLive } from '../../app/live.ts';

// Not imported from schema/wire/gateway.ts: that module builds its zod schemas on load, which
// would ship zod in the dashboard's first load for one string.
const POINT_VALUE = 't3_point_value';
/** The flag series of a point, and which field of the points table each one sets. */
const FLAG_METRICS = {
  t3_point_range: 'range',
  t3_point_manual: 'manual',
  t3_point_digital: 'digital',
} as const;
type FlagField = (typeof FLAG_METRICS)[keyof typeof FLAG_METRICS];

/** A point's flags as the stream last delivered them (each with its own time). */
export type LiveFlags = Partial<Record<FlagField, { value: number; ts: number }>>;

/** A point's latest value as the stream delivered it. */
export interface LiveValue {
  value: number;
  ts: number;
}

/** Key of a point in the live map: the `controller` label (its serial number) and the point id. */
export const liveKey = (controller: string | number, point: string): string => `${controller}|${point}`;

/** The subject pattern of one gateway's point values (docs/stream-protocol.md: any site level). */
export const pointValuePattern = (orgId: string, gatewayId: string, metric: string = POINT_VALUE): string =>
  `org.${orgId}.site.*.device.${gatewayId}.metric.${metric}`;

/**
 * Folds samples into the map of latest values; returns a new map when one got newer (so a
 * component re-renders), else the same map. Older samples (a replay after a reconnect) lose.
 */
export function foldSamples(
  current: ReadonlyMap<string, LiveValue>,
  samples: readonly StreamSample[],
): ReadonlyMap<string, LiveValue> {
  let next: Map<string, LiveValue> | null = null;
  for (const s of samples) {
    const { controller, point } = s.labels;
    if (s.metric !== POINT_VALUE || controller === undefined || point === undefined) continue;
    const key = liveKey(controller, point);
    const had = (next ?? current).get(key);
    if (had && had.ts >= s.ts) continue;
    next ??= new Map(current);
    next.set(key, { value: s.value, ts: s.ts });
  }
  return next ?? current;
}

/**
 * Folds flag samples (range, auto/manual, analog/digital) into the map of each point's latest
 * flags; returns the same map when nothing got newer.
 */
export function foldFlags(
  current: ReadonlyMap<string, LiveFlags>,
  samples: readonly StreamSample[],
): ReadonlyMap<string, LiveFlags> {
  let next: Map<string, LiveFlags> | null = null;
  for (const s of samples) {
    const field = FLAG_METRICS[s.metric as keyof typeof FLAG_METRICS];
    const { controller, point } = s.labels;
    if (!field || controller === undefined || point === undefined) continue;
    const key = liveKey(controller, point);
    const had = (next ?? current).get(key);
    if ((had?.[field]?.ts ?? -Infinity) >= s.ts) continue;
    next ??= new Map(current);
    next.set(key, { ...had, [field]: { value: s.value, ts: s.ts } });
  }
  return next ?? current;
}

/**
 * Live point values of the given gateways through the app's one stream connection (one
 * subscription per gateway, shared with any other view of it): no request per point, and no
 * Modbus read either, since the values are what the gateways already ship. `onGap` runs when
 * the stream lost samples it could not replay, so the caller reads the points again.
 */
export function useLivePointValues(
  orgId: string,
  gatewayIds: readonly string[],
  onGap: () => void,
  subscribe: SubscribeLive = subscribeLive,
): { values: ReadonlyMap<string, LiveValue>; flags: ReadonlyMap<string, LiveFlags> } {
  const [values, setValues] = useState<ReadonlyMap<string, LiveValue>>(new Map());
  const [flags, setFlags] = useState<ReadonlyMap<string, LiveFlags>>(new Map());
  const ids = [...gatewayIds].sort().join(',');
  useEffect(() => {
    const stops = ids
      .split(',')
      .filter(Boolean)
      .flatMap((gw) => [
        subscribe(pointValuePattern(orgId, gw), (samples) => setValues((v) => foldSamples(v, samples)), onGap),
        // The flags change rarely (an operator switches a point to manual): their own subscriptions.
        ...Object.keys(FLAG_METRICS).map((metric) =>
          subscribe(pointValuePattern(orgId, gw, metric), (samples) => setFlags((f) => foldFlags(f, samples)), onGap),
        ),
      ]);
    return () => {
      for (const stop of stops) stop();
    };
  }, [orgId, ids]);
  return { values, flags };
}

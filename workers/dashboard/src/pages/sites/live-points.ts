import { useEffect, useState } from 'preact/hooks';
import type { StreamSample } from '../../../../../schema/wire/stream.ts';
import { subscribeLive, type SubscribeLive } from '../../app/live.ts';

// Not imported from schema/wire/gateway.ts: that module builds its zod schemas on load, which
// would ship zod in the dashboard's first load for one string.
const POINT_VALUE = 't3_point_value';

/** A point's latest value as the stream delivered it. */
export interface LiveValue {
  value: number;
  ts: number;
}

/** Key of a point in the live map: the `controller` label (its serial number) and the point id. */
export const liveKey = (controller: string | number, point: string): string => `${controller}|${point}`;

/** The subject pattern of one gateway's point values (docs/stream-protocol.md: any site level). */
export const pointValuePattern = (orgId: string, gatewayId: string): string =>
  `org.${orgId}.site.*.device.${gatewayId}.metric.${POINT_VALUE}`;

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
): ReadonlyMap<string, LiveValue> {
  const [values, setValues] = useState<ReadonlyMap<string, LiveValue>>(new Map());
  const ids = [...gatewayIds].sort().join(',');
  useEffect(() => {
    const stops = ids
      .split(',')
      .filter(Boolean)
      .map((gw) =>
        subscribe(pointValuePattern(orgId, gw), (samples) => setValues((v) => foldSamples(v, samples)), onGap),
      );
    return () => {
      for (const stop of stops) stop();
    };
  }, [orgId, ids]);
  return values;
}

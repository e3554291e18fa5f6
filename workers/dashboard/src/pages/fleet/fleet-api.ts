import type { LatestValue } from '../../../../../schema/wire/telemetry.ts';
import { call } from '../../api.ts';

/** `GET /v1/summary`: the organisation at a glance. */
export interface Summary {
  devices: { total: number; online: number; stale: number; offline: number };
  series: number;
  samplesLastHour: number;
  /** Open incidents (issue 12); absent from servers before it. */
  incidents?: { firing: number; pending: number; unacknowledged: number; critical?: number };
}

/** The API's limit on devices per `/v1/latest` call. */
const LATEST_BATCH = 100;

/**
 * Latest values of `ids`, 100 devices per `GET /v1/latest` call; `onBatch` gets each answer as it
 * arrives so the first rows fill before the last call returns.
 */
export async function latestOf(
  ids: string[],
  signal: AbortSignal,
  onBatch: (devices: { deviceId: string; values: LatestValue[] }[]) => void,
): Promise<void> {
  const calls: Promise<void>[] = [];
  for (let i = 0; i < ids.length; i += LATEST_BATCH) {
    const batch = ids
      .slice(i, i + LATEST_BATCH)
      .map(encodeURIComponent)
      .join(',');
    calls.push(
      call<{ devices: { deviceId: string; values: LatestValue[] }[] }>(
        'GET',
        `/v1/latest?devices=${batch}`,
        undefined,
        signal,
      ).then((r) => onBatch(r.devices)),
    );
  }
  await Promise.all(calls);
}

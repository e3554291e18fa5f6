import { GATEWAY_METRICS } from '../../../../schema/wire/gateway.ts';
import type { LatestValue } from '../../../../schema/wire/telemetry.ts';

export type ControllerStatus = 'online' | 'offline' | 'unknown';

/** The `controller` label of a controller's samples: its serial number. */
export const controllerLabel = (serial: number) => String(serial);

/** A gateway's latest values, grouped by their `controller` label. */
export function byController(latest: readonly LatestValue[]): Map<string, LatestValue[]> {
  const groups = new Map<string, LatestValue[]>();
  for (const v of latest) {
    const key = v.labels.controller;
    if (key === undefined) continue;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(v);
  }
  return groups;
}

/** Without a fresh health sample for this long the controller counts as offline: the gateway stopped polling it. */
export function staleAfterMs(intervalSeconds: number | undefined): number {
  return Math.max(3 * (intervalSeconds ?? 600) * 1000, 300_000);
}

/**
 * A controller's status from its gateway's health samples: `online` when the last poll got an
 * answer and is recent (within {@link staleAfterMs} of its trend logs' interval), `offline` when
 * it got none or the samples stopped, `unknown` when the gateway never reported on it.
 */
export function controllerHealth(
  values: readonly LatestValue[] | undefined,
  now: number,
  intervalSeconds: number | undefined,
): { status: ControllerStatus; lastReadAt: number | null } {
  const up = values?.find((v) => v.metric === GATEWAY_METRICS.up);
  const success = values?.find((v) => v.metric === GATEWAY_METRICS.lastSuccess);
  const lastReadAt = success ? Math.round(success.value * 1000) : null;
  if (!up) return { status: 'unknown', lastReadAt };
  const fresh = now - up.ts <= staleAfterMs(intervalSeconds);
  return { status: up.value === 1 && fresh ? 'online' : 'offline', lastReadAt };
}

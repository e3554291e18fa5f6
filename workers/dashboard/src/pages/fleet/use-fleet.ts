import { signal, useSignal, type Signal } from '@preact/signals';
import { useEffect, useMemo } from 'preact/hooks';
import type { DeviceView } from '../../../../../schema/wire/telemetry.ts';
import { api, type Me } from '../../api.ts';
import { subscribeLive } from '../../app/live.ts';
import { latestOf } from './fleet-api.ts';
import { FLEET_METRICS, recordValue, toRow, type DeviceValues, type FleetRow } from './fleet-model.ts';

/** The fleet's rows, and the state of loading them. */
export interface Fleet {
  rows: Signal<FleetRow[]>;
  loading: Signal<boolean>;
  error: Signal<unknown>;
}

/**
 * Loads the devices and their latest values, then keeps them live: one stream subscription per
 * shown metric across the whole organisation. Samples are applied to a plain map and the rows
 * rebuilt at most once per animation frame, so 1,000 devices reporting every few seconds cost a
 * few renders a second, not one per sample.
 */
export function useFleet(me: Me): Fleet {
  const rows = useSignal<FleetRow[]>([]);
  const loading = useSignal(true);
  const error = useSignal<unknown>(undefined);
  const state = useMemo(() => ({ devices: signal<DeviceView[]>([]), values: new Map<string, DeviceValues>() }), []);

  useEffect(() => {
    const aborter = new AbortController();
    let frame = 0;
    const rebuild = () => {
      frame = 0;
      const now = Date.now();
      rows.value = state.devices.value.map((d) => toRow(d, state.values.get(d.id), now));
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(rebuild);
    };
    const apply = (deviceId: string, v: Parameters<typeof recordValue>[1]) => {
      let values = state.values.get(deviceId);
      if (!values) state.values.set(deviceId, (values = new Map()));
      return recordValue(values, v);
    };

    // Subscribe before the first read, so nothing published in between is missed.
    const unsubscribes = FLEET_METRICS.map((metric) =>
      subscribeLive(`org.${me.orgId}.site.*.device.*.metric.${metric}`, (samples) => {
        let changed = false;
        for (const s of samples) changed = apply(s.deviceId, s) || changed;
        if (changed) schedule();
      }),
    );
    // Status and "last seen" age with time even without samples.
    const tick = setInterval(schedule, 5000);

    (async () => {
      try {
        state.devices.value = await api.allDevices(aborter.signal);
        loading.value = false;
        rebuild();
        await latestOf(
          state.devices.value.map((d) => d.id),
          aborter.signal,
          (batch) => {
            for (const d of batch) for (const v of d.values) apply(d.deviceId, v);
            schedule();
          },
        );
      } catch (err) {
        if (aborter.signal.aborted) return;
        error.value = err;
        loading.value = false;
      }
    })();

    return () => {
      aborter.abort();
      clearInterval(tick);
      if (frame) cancelAnimationFrame(frame);
      for (const u of unsubscribes) u();
    };
  }, [me.orgId]);

  return { rows, loading, error };
}

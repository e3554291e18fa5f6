import type { StreamSample } from '../../../../../schema/wire/stream.ts';
import { subscribeLive, type SubscribeLive } from '../../app/live.ts';

/** Live samples of one device, fanned out to the charts that show their series. */
export interface LiveFeed {
  /**
   * Calls `onSamples` with each batch of the device's samples, and `onGap` when the stream lost
   * some it could not replay (after a reconnect): refetch from the API. Returns an unsubscribe.
   */
  listen(onSamples: (samples: StreamSample[]) => void, onGap?: () => void): () => void;
  /** Leaves the stream (the page is going away). */
  close(): void;
}

interface Listener {
  onSamples(samples: StreamSample[]): void;
  onGap?(): void;
}

/**
 * One stream subscription for the device (`org.<org>.*.*.device.<id>.**`), shared by its charts.
 * `subscribe` is the app's shared connection; tests pass their own.
 */
export function openLiveFeed(orgId: string, deviceId: string, subscribe: SubscribeLive = subscribeLive): LiveFeed {
  const listeners = new Set<Listener>();
  const unsubscribe = subscribe(
    `org.${orgId}.*.*.device.${deviceId}.**`,
    (samples) => {
      for (const listener of [...listeners]) listener.onSamples(samples);
    },
    () => {
      for (const listener of [...listeners]) listener.onGap?.();
    },
  );
  return {
    listen(onSamples, onGap) {
      const listener = { onSamples, onGap };
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
      unsubscribe();
    },
  };
}

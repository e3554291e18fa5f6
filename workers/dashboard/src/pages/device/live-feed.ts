import type { StreamSample } from '../../../../../schema/wire/stream.ts';
import { subscribeLive } from '../../app/live.ts';

/** Live samples of one device, fanned out to the charts that show their series. */
export interface LiveFeed {
  /** Calls `onSamples` with each batch of the device's samples; returns an unsubscribe. */
  listen(onSamples: (samples: StreamSample[]) => void): () => void;
  /** Leaves the stream (the page is going away). */
  close(): void;
}

/** One stream subscription for the device (`org.<org>.*.*.device.<id>.**`), shared by its charts. */
export function openLiveFeed(orgId: string, deviceId: string): LiveFeed {
  const listeners = new Set<(samples: StreamSample[]) => void>();
  const unsubscribe = subscribeLive(`org.${orgId}.*.*.device.${deviceId}.**`, (samples) => {
    for (const listener of listeners) listener(samples);
  });
  return {
    listen(onSamples) {
      listeners.add(onSamples);
      return () => listeners.delete(onSamples);
    },
    close() {
      listeners.clear();
      unsubscribe();
    },
  };
}

import type { StreamSample } from '../../../../schema/wire/stream.ts';

/**
 * The app's one stream connection, shared by every page: a page subscribes to the subject
 * pattern it shows (e.g. `org.<org>.**.device.<id>.**`) and gets the matching samples; the
 * returned function unsubscribes (call it when the page leaves). Implemented in the app core.
 */
export type SubscribeLive = (pattern: string, onSamples: (samples: StreamSample[]) => void) => () => void;

let impl: SubscribeLive | null = null;

/** Set once by the app core when the stream is open. */
export function provideLive(subscribe: SubscribeLive): void {
  impl = subscribe;
}

/** Subscribes to live samples matching `pattern`; a no-op before the app core has provided the stream. */
export const subscribeLive: SubscribeLive = (pattern, onSamples) => impl?.(pattern, onSamples) ?? (() => undefined);

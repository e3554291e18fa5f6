import { signal } from '@preact/signals';
import type { StreamSample } from '../../../../schema/wire/stream.ts';
import { openStream, type StreamClient, type StreamState } from '../stream.ts';
import { subjectMatches } from './subject-match.ts';

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

/** The shared connection's state, for the header's indicator: `retryInMs` while waiting to reconnect. */
export const liveState = signal<{ state: StreamState | 'off'; retryInMs?: number }>({ state: 'off' });

interface Entry {
  id: string;
  listeners: Set<(samples: StreamSample[]) => void>;
}

/**
 * Opens the session's stream and provides {@link subscribeLive} over it: one server subscription
 * per distinct pattern, however many components ask for it (ref-counted), and each frame fanned
 * out to the listeners whose pattern matches a sample's subject. `onUnauthorised` runs when the
 * server closes with 4401 (session gone). Returns the function that closes it (sign-out).
 */
export function startLive(onUnauthorised: () => void): () => void {
  const entries = new Map<string, Entry>();
  let nextId = 1;
  const client: StreamClient = openStream({
    onSamples(samples) {
      for (const [pattern, entry] of entries) {
        const mine = samples.filter((s) => subjectMatches(pattern, s.subject));
        if (mine.length === 0) continue;
        for (const listener of [...entry.listeners]) listener(mine);
      }
    },
    onState: (state, retryInMs) => {
      liveState.value = { state, retryInMs };
    },
    onUnauthorised,
  });
  provideLive((pattern, onSamples) => {
    let entry = entries.get(pattern);
    if (!entry) {
      entry = { id: `s${nextId++}`, listeners: new Set() };
      entries.set(pattern, entry);
      client.subscribe(entry.id, pattern);
    }
    // A wrapper per call, so the same callback subscribed twice unsubscribes twice.
    const listener = (samples: StreamSample[]) => onSamples(samples);
    entry.listeners.add(listener);
    const held = entry;
    return () => {
      if (!held.listeners.delete(listener) || held.listeners.size > 0) return;
      entries.delete(pattern);
      client.unsubscribe(held.id);
    };
  });
  return () => {
    impl = null;
    entries.clear();
    client.close();
    liveState.value = { state: 'off' };
  };
}

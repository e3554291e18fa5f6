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

/** The shared connection's state, for the header's indicator: `retryInMs` while waiting to reconnect. */
export const liveState = signal<{ state: StreamState | 'off'; retryInMs?: number }>({ state: 'off' });

interface Entry {
  id: string;
  listeners: Set<(samples: StreamSample[]) => void>;
}

/**
 * Subscriptions by pattern, kept whether or not a connection is open: Preact runs a page's
 * effects before its parent's, so a page may subscribe before the app has opened the stream.
 */
const entries = new Map<string, Entry>();
let nextId = 1;
let client: StreamClient | null = null;

function fanOut(samples: StreamSample[]): void {
  for (const [pattern, entry] of entries) {
    const mine = samples.filter((s) => subjectMatches(pattern, s.subject));
    if (mine.length === 0) continue;
    for (const listener of [...entry.listeners]) listener(mine);
  }
}

/**
 * Subscribes to live samples matching `pattern`: one server subscription per distinct pattern
 * however many components ask (ref-counted), each frame fanned out to the listeners whose
 * pattern matches a sample's subject. Returns the unsubscribe.
 */
export const subscribeLive: SubscribeLive = (pattern, onSamples) => {
  let entry = entries.get(pattern);
  if (!entry) {
    entry = { id: `s${nextId++}`, listeners: new Set() };
    entries.set(pattern, entry);
    client?.subscribe(entry.id, pattern);
  }
  // A wrapper per call, so the same callback subscribed twice unsubscribes twice.
  const listener = (samples: StreamSample[]) => onSamples(samples);
  entry.listeners.add(listener);
  const held = entry;
  return () => {
    if (!held.listeners.delete(listener) || held.listeners.size > 0) return;
    if (entries.get(pattern) === held) entries.delete(pattern);
    client?.unsubscribe(held.id);
  };
};

/**
 * Kept from the issue-11 base contract; the app core no longer needs it (subscriptions live in
 * this module), so it is a no-op.
 */
export function provideLive(_subscribe: SubscribeLive): void {}

/**
 * Opens the session's one stream and subscribes every pattern asked for so far (and later).
 * `onUnauthorised` runs when the server closes with 4401 (session gone). Returns the function
 * that closes it (sign-out, organisation switch).
 */
export function startLive(onUnauthorised: () => void): () => void {
  const opened = openStream({
    onSamples: fanOut,
    onState: (state, retryInMs) => {
      liveState.value = { state, retryInMs };
    },
    onUnauthorised,
  });
  client = opened;
  for (const [pattern, entry] of entries) opened.subscribe(entry.id, pattern);
  return () => {
    if (client === opened) client = null;
    opened.close();
    liveState.value = { state: 'off' };
  };
}

import { signal } from '@preact/signals';
import type { StreamEvent, StreamSample } from '../../../../schema/wire/stream.ts';
import { openStream, type GapFrame, type StreamClient, type StreamHandlers, type StreamState } from '../stream.ts';
import { subjectMatches } from './subject-match.ts';

/**
 * The app's one stream connection, shared by every page: a page subscribes to the subject
 * pattern it shows (e.g. `org.<org>.**.device.<id>.**`) and gets the matching samples; the
 * returned function unsubscribes (call it when the page leaves). `onGap` is told when the
 * server could not replay what the subscription missed (after a reconnect), so the page can
 * refetch it over the API.
 */
export type SubscribeLive = (
  pattern: string,
  onSamples: (samples: StreamSample[]) => void,
  onGap?: (gap: GapFrame) => void,
) => () => void;

/** What a page following events hears on the shared connection. */
export interface EventsListener {
  /** `replayed`: out of the event log (older than the subscription), not live. */
  onEvent(event: StreamEvent, replayed: boolean): void;
  /** The server confirmed the subscription: from now on every matching event arrives. */
  onSubscribed?(): void;
  /** The server refused the subscription (e.g. a pattern outside the organisation). */
  onRefused?(message: string): void;
  /** Events could not be replayed (too many since `from`, or missed across a reconnect). */
  onGap?(gap: GapFrame): void;
}

/** The shared connection's state, for the header's indicator: `retryInMs` while waiting to reconnect. */
export const liveState = signal<{ state: StreamState | 'off'; retryInMs?: number }>({ state: 'off' });

interface SampleEntry {
  kind: 'samples';
  id: string;
  pattern: string;
  listeners: Set<{ onSamples(samples: StreamSample[]): void; onGap?(gap: GapFrame): void }>;
}

interface EventEntry {
  kind: 'events';
  id: string;
  pattern: string;
  /** Replay events from this time (ms) out of the log, then live; undefined: live only. */
  from?: number;
  listener: EventsListener;
}

type Entry = SampleEntry | EventEntry;

/**
 * Subscriptions by server id, kept whether or not a connection is open: Preact runs a page's
 * effects before its parent's, so a page may subscribe before the app has opened the stream.
 */
const entries = new Map<string, Entry>();
/** Sample subscriptions are shared by pattern (ref-counted); event ones are each their own. */
const samplesByPattern = new Map<string, SampleEntry>();
let nextId = 1;
let client: StreamClient | null = null;

function fanOutSamples(samples: StreamSample[]): void {
  for (const entry of samplesByPattern.values()) {
    const mine = samples.filter((s) => subjectMatches(entry.pattern, s.subject));
    if (mine.length === 0) continue;
    for (const listener of [...entry.listeners]) listener.onSamples(mine);
  }
}

/**
 * Event frames name no subscription, so they are matched by subject. A replayed event goes only
 * to subscriptions that asked for a replay reaching back to it: a live-only one, or one that
 * replays from later, never sees another subscription's history.
 */
function fanOutEvent(event: StreamEvent, replayed: boolean): void {
  for (const entry of [...entries.values()]) {
    if (entry.kind !== 'events' || !subjectMatches(entry.pattern, event.subject)) continue;
    if (replayed && (entry.from === undefined || event.ts < entry.from)) continue;
    entry.listener.onEvent(event, replayed);
  }
}

function fanOutGap(gap: GapFrame): void {
  const entry = entries.get(String(gap.id));
  if (entry?.kind === 'samples') for (const listener of [...entry.listeners]) listener.onGap?.(gap);
  else entry?.listener.onGap?.(gap);
}

/** Sends one subscription on `to`; an event subscription hears whether the server took it. */
function send(to: StreamClient, entry: Entry): void {
  if (entry.kind === 'samples') {
    // A refusal is reported by the client's onServerError; nothing to wait for here.
    to.subscribe(entry.id, entry.pattern).catch(() => undefined);
    return;
  }
  const options = entry.from === undefined ? {} : { mode: 'replay-then-live' as const, from: { ts: entry.from } };
  to.subscribe(entry.id, entry.pattern, options).then(
    () => entries.get(entry.id) === entry && entry.listener.onSubscribed?.(),
    (err: unknown) => {
      // Leaving the page (or closing the stream) rejects a pending subscription too: not worth reporting.
      if (entries.get(entry.id) === entry && client === to)
        entry.listener.onRefused?.(err instanceof Error ? err.message : String(err));
    },
  );
}

function add(entry: Entry): void {
  entries.set(entry.id, entry);
  if (client) send(client, entry);
}

function remove(entry: Entry): void {
  if (entries.get(entry.id) !== entry) return;
  entries.delete(entry.id);
  client?.unsubscribe(entry.id);
}

/**
 * Subscribes to live samples matching `pattern`: one server subscription per distinct pattern
 * however many components ask (ref-counted), each frame fanned out to the listeners whose
 * pattern matches a sample's subject. Returns the unsubscribe.
 */
export const subscribeLive: SubscribeLive = (pattern, onSamples, onGap) => {
  let entry = samplesByPattern.get(pattern);
  if (!entry) {
    entry = { kind: 'samples', id: `s${nextId++}`, pattern, listeners: new Set() };
    samplesByPattern.set(pattern, entry);
    add(entry);
  }
  // A wrapper per call, so the same callback subscribed twice unsubscribes twice.
  const listener = { onSamples: (samples: StreamSample[]) => onSamples(samples), onGap };
  entry.listeners.add(listener);
  const held = entry;
  return () => {
    if (!held.listeners.delete(listener) || held.listeners.size > 0) return;
    if (samplesByPattern.get(pattern) === held) samplesByPattern.delete(pattern);
    remove(held);
  };
};

/**
 * Follows events matching `pattern` on the shared connection. With `from` (ms), the server's
 * `replay-then-live` mode first replays every event since then out of the event log, with no
 * gap or duplicate at the seam, then continues live; after a reconnect the resume point covers
 * what was missed. Each call is its own server subscription. Returns the unsubscribe.
 */
export function subscribeEvents(pattern: string, from: number | undefined, listener: EventsListener): () => void {
  const entry: EventEntry = { kind: 'events', id: `e${nextId++}`, pattern, from, listener };
  add(entry);
  return () => remove(entry);
}

/**
 * Opens the session's one stream and subscribes every pattern asked for so far (and later).
 * `onUnauthorised` runs when the server closes with 4401 (session gone). Returns the function
 * that closes it (sign-out, organisation switch). `open` is for tests.
 */
export function startLive(
  onUnauthorised: () => void,
  open: (handlers: StreamHandlers) => StreamClient = openStream,
): () => void {
  const opened = open({
    onSamples: fanOutSamples,
    onEvent: (frame) => fanOutEvent(frame.event, frame.replay === true),
    onGap: fanOutGap,
    onState: (state, retryInMs) => {
      liveState.value = { state, retryInMs };
    },
    onUnauthorised,
  });
  client = opened;
  for (const entry of entries.values()) send(opened, entry);
  return () => {
    if (client === opened) client = null;
    opened.close();
    liveState.value = { state: 'off' };
  };
}

import { createStreamClient, type StreamClient } from '../../../../../clients/stream/src/index.ts';
import type { StreamEvent } from '../../../../../schema/wire/stream.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/**
 * Follows events matching `pattern` with the stream's `replay-then-live` mode: every event
 * since `fromTs` out of the event log, then live, with no gap at the seam.
 *
 * This opens its own connection, only while the events page follows live: the app's shared
 * connection (`subscribeLive` in app/live.ts) carries samples only, and an events
 * subscription needs `mode`/`from`, which that contract has no room for. The server dedupes
 * replay and live by event id; `onEvent` may still see an id twice after a reconnect, so
 * callers key by id.
 */
export function followEvents(
  pattern: string,
  fromTs: number,
  onEvent: (event: StreamEvent, replayed: boolean) => void,
  onState: (state: LiveState, detail?: string) => void,
): () => void {
  const client: StreamClient = createStreamClient({
    url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/stream`,
    window: 100,
    onEvent: (frame) => onEvent(frame.event, frame.replay === true),
    onGap: (gap) => onState('live', `some events could not be replayed (${gap.reason}); reload to page through them`),
    onError: (err) => onState('live', err.message),
    onState: (state, info) => onState(state, info.unauthorised ? 'signed out' : undefined),
  });
  let stopped = false;
  client.subscribe('events', pattern, { mode: 'replay-then-live', from: { ts: fromTs } }).catch((err: unknown) => {
    // Leaving the page rejects the pending subscription too; that is not worth reporting.
    if (!stopped) onState('closed', err instanceof Error ? err.message : String(err));
  });
  return () => {
    stopped = true;
    client.close();
  };
}

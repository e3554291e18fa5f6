import { useEffect, useState } from 'preact/hooks';
import type { StreamEvent } from '../../../../../schema/wire/stream.ts';
import { liveState, subscribeEvents } from '../../app/live.ts';

export type FollowState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** The stream patterns that carry an organisation's events and nothing else (no samples). */
export const eventPatterns = (orgId: string): string[] => [
  `org.${orgId}.event.*`,
  `org.${orgId}.site.*.device.*.event.*`,
];

/**
 * Follows events on the app's shared stream connection with `replay-then-live`: every event
 * matching `patterns` since `fromTs` out of the event log, then live, with no gap at the seam.
 * Off while `patterns` is null. Subscribes again when an argument changes (memoise `onEvent`),
 * and unsubscribes when the page leaves. `onEvent` may see an id twice (overlapping patterns, a reconnect), so callers key by id.
 * Returns the state to show: `live` once the server confirmed every subscription and the
 * connection is up, with a note when something could not be replayed or was refused.
 */
export function useFollowEvents(
  patterns: readonly string[] | null,
  fromTs: number,
  onEvent: (event: StreamEvent, replayed: boolean) => void,
): { state: FollowState; detail?: string } | null {
  const [confirmed, setConfirmed] = useState(0);
  const [detail, setDetail] = useState<{ text: string; refused: boolean } | null>(null);
  const key = patterns?.join(' ');

  useEffect(() => {
    setConfirmed(0);
    setDetail(null);
    if (!patterns) return;
    const stops = patterns.map((pattern) =>
      subscribeEvents(pattern, fromTs, {
        onEvent,
        onSubscribed: () => setConfirmed((n) => n + 1),
        onRefused: (message) => setDetail({ text: message, refused: true }),
        onGap: (gap) =>
          setDetail({
            text: `some events could not be replayed (${gap.reason}); reload to page through them`,
            refused: false,
          }),
      }),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }, [key, fromTs, onEvent]);

  if (!patterns) return null;
  const connection = liveState.value.state;
  const state: FollowState = detail?.refused
    ? 'closed'
    : connection === 'off'
      ? 'connecting'
      : connection === 'live' && confirmed < patterns.length
        ? 'connecting'
        : connection;
  return { state, detail: detail?.text };
}

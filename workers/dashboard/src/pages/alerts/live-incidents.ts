import { useEffect, useRef } from 'preact/hooks';
import { subscribeEvents } from '../../app/live.ts';
import { eventPatterns } from '../events/follow-events.ts';

/** Events arriving together (a batch that opens several incidents) cause one refetch. */
const SETTLE_MS = 300;
/**
 * A backstop: a live-only subscription does not replay what it missed while the connection was
 * down, so a visible page also refetches this often.
 */
const BACKSTOP_MS = 60_000;

/**
 * Calls `onChange` whenever incidents may have changed, so a list or detail refetches: on every
 * `alert.*` event of the organisation (alert.pending, alert.firing, alert.resolved,
 * alert.acknowledged, alert.unacknowledged) on the app's one shared stream connection, when the
 * subscriptions are (re)confirmed, and once a minute while the tab is visible.
 */
export function useIncidentUpdates(orgId: string, onChange: () => void): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => latest.current(), SETTLE_MS);
    };
    // The first confirmation is the page's own first load; later ones follow a reconnect.
    let confirmations = 0;
    const listener = {
      onEvent: (event: { type: string }) => {
        if (event.type.startsWith('alert.')) soon();
      },
      onSubscribed: () => {
        if (confirmations++ >= eventPatterns(orgId).length) soon();
      },
      onGap: soon,
    };
    const stops = eventPatterns(orgId).map((pattern) => subscribeEvents(pattern, undefined, listener));
    const backstop = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, BACKSTOP_MS);
    return () => {
      for (const stop of stops) stop();
      clearTimeout(timer);
      clearInterval(backstop);
    };
  }, [orgId]);
}

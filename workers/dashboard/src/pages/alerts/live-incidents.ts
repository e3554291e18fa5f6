import { useEffect, useRef } from 'preact/hooks';
import { liveState, subscribeEvents } from '../../app/live.ts';

/** Events arriving together (a batch that opens several incidents) cause one refetch. */
const SETTLE_MS = 300;
/** A backstop for anything the stream did not say, while the page is visible. */
const BACKSTOP_MS = 60_000;

/**
 * Calls `onChange` whenever incidents may have changed, so a list or detail refetches: on every
 * `alert.*` event (alert.pending, alert.firing, alert.resolved, alert.acknowledged,
 * alert.unacknowledged) of the organisation's devices, or of `deviceId` only, on the app's one
 * shared stream connection; when that connection is live again after a break (a live-only
 * subscription does not replay what it missed); and once a minute while the tab is visible.
 */
export function useIncidentUpdates(orgId: string, onChange: () => void, deviceId?: string): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => latest.current(), SETTLE_MS);
    };
    // Alert events are published on the device's event subject.
    const pattern = `org.${orgId}.site.*.device.${deviceId ?? '*'}.event.*`;
    const stop = subscribeEvents(pattern, undefined, {
      onEvent: (event) => {
        if (event.type.startsWith('alert.')) soon();
      },
      onGap: soon,
    });
    let wasLive = liveState.peek().state === 'live';
    const unwatch = liveState.subscribe(({ state }) => {
      if (state === 'live' && !wasLive) soon();
      wasLive = state === 'live';
    });
    const backstop = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, BACKSTOP_MS);
    return () => {
      stop();
      unwatch();
      clearTimeout(timer);
      clearInterval(backstop);
    };
  }, [orgId, deviceId]);
}

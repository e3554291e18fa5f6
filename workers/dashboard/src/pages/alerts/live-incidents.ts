import { useEffect, useRef } from 'preact/hooks';

/** How often the fallback refetches while the page is visible. */
const FALLBACK_MS = 5000;

/**
 * Calls `onChange` whenever incidents may have changed, so a list or detail refetches.
 *
 * TODO(issue 12): switch to `subscribeEvents` of app/live.ts (the i11-gaps change that makes
 * the one shared connection carry events) with pattern `org.<org>.**`, calling `onChange` for
 * events whose type starts with `alert.` (alert.pending/firing/resolved/acknowledged). Until
 * that is on main the shared stream carries samples only, so this refetches every 5 s while
 * the tab is visible.
 */
export function useIncidentUpdates(onChange: () => void): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current();
    }, FALLBACK_MS);
    return () => clearInterval(timer);
  }, []);
}

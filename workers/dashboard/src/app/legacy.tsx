import { useEffect, useRef } from 'preact/hooks';
import type { Page } from '../page-state.ts';

/**
 * Mounts a vanilla page of the last issue (an element plus `destroy()`) inside the Preact tree,
 * so the account pages keep working unchanged. `make` runs once per mount; give the component a
 * `key` to remount it when its inputs change.
 */
export function Legacy({ make }: { make: (signal: AbortSignal) => Page | HTMLElement }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const aborter = new AbortController();
    const made = make(aborter.signal);
    const page: Page = made instanceof HTMLElement ? { el: made, destroy: () => undefined } : made;
    host.current?.replaceChildren(page.el);
    return () => {
      aborter.abort();
      page.destroy();
    };
    // `make` is a fresh closure each render: the parent's `key` decides remounts, not its identity.
  }, []);
  return <div class="legacy" ref={host} />;
}

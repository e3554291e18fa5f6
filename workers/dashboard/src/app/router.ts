import { signal } from '@preact/signals';

/**
 * The app's routes, path-based so every view has a deep link (`/devices/<id>?range=24h`); the
 * Worker answers unknown paths with index.html (assets `not_found_handling`).
 */
export type Route =
  | { page: 'fleet' }
  | { page: 'device'; id: string }
  | { page: 'events' }
  | { page: 'add-host' }
  | { page: 'org' }
  | { page: 'members' }
  | { page: 'sessions' }
  | { page: 'audit' }
  | { page: 'alerts' }
  | { page: 'alert-rules' }
  | { page: 'alert-rule'; id: string | null }
  | { page: 'incident'; id: string }
  | { page: 'silences' }
  | { page: 'webhooks' }
  | { page: 'webhook'; id: string }
  | { page: 'sites' }
  | { page: 'site'; id: string }
  | { page: 'point'; siteId: string; controllerId: string; point: string }
  | { page: 'trend-logs' }
  | { page: 'trend-log'; id: string | null }
  | { page: 'signup' }
  | { page: 'invite'; token: string }
  | { page: 'not-found'; path: string };

const SIMPLE = new Set(['events', 'add-host', 'org', 'members', 'sessions', 'audit', 'signup', 'sites', 'trend-logs']);
/** Issue 12's one-segment pages: incidents, silences, notification channels. */
const ALERT_PAGES = new Set(['alerts', 'silences', 'webhooks']);

/** Parses a pathname into a route. */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (!first) return { page: 'fleet' };
  if (parts.length === 1 && (SIMPLE.has(first) || ALERT_PAGES.has(first))) return { page: first } as Route;
  if (parts.length === 2 && first === 'devices' && second) return { page: 'device', id: second };
  if (parts.length === 2 && first === 'invite' && second) return { page: 'invite', token: second };
  if (parts.length === 2 && first === 'incidents' && second) return { page: 'incident', id: second };
  if (parts.length === 2 && first === 'webhooks' && second) return { page: 'webhook', id: second };
  if (parts.length === 2 && first === 'sites' && second) return { page: 'site', id: second };
  if (parts.length === 5 && first === 'sites' && parts[2] === 'points')
    return { page: 'point', siteId: second!, controllerId: parts[3]!, point: parts[4]! };
  if (parts.length === 2 && first === 'trend-logs' && second)
    return { page: 'trend-log', id: second === 'new' ? null : second };
  if (first === 'alerts' && second === 'rules' && parts.length <= 3) {
    if (parts.length === 2) return { page: 'alert-rules' };
    return { page: 'alert-rule', id: parts[2] === 'new' ? null : parts[2]! };
  }
  return { page: 'not-found', path: pathname };
}

/** Whether a route is shown without signing in. */
export const isPublic = (route: Route): boolean => route.page === 'signup' || route.page === 'invite';

/** The current location: pages read `search` for their own state (e.g. `range`). */
export const location$ = signal({ pathname: location.pathname, search: location.search });

/**
 * Goes to `href` (same origin) without a reload; `replace` rewrites the current history entry
 * (for state such as a filter that should not pile up in "back").
 */
export function navigate(href: string, replace = false): void {
  const url = new URL(href, location.href);
  if (url.origin !== location.origin) {
    location.assign(url.href);
    return;
  }
  if (url.pathname + url.search === location.pathname + location.search && !url.hash) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', url.pathname + url.search);
  location$.value = { pathname: url.pathname, search: url.search };
  if (!replace) window.scrollTo(0, 0);
}

/**
 * Links of the last issue and invitation URLs the API mails use hash routes (`/#/invite/<t>`,
 * `#/signup`, `#`): they become paths.
 */
function fromHash(hash: string): string | null {
  if (hash === '#') return '/';
  return hash.startsWith('#/') ? hash.slice(1) : null;
}

// Paths the Worker serves itself: a link there is a real navigation.
const SERVER_PATHS = /^\/(v1|docs|health|mqtt|install\.sh|agent)(\/|$)/;

function onClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = (event.target as Element | null)?.closest?.('a');
  if (!a || (a.target && a.target !== '_self') || a.hasAttribute('download')) return;
  const raw = a.getAttribute('href');
  if (raw === null) return;
  const legacy = fromHash(raw);
  const url = new URL(legacy ?? raw, location.href);
  if (url.origin !== location.origin || SERVER_PATHS.test(url.pathname)) return;
  if (!legacy && raw.startsWith('#')) return; // an in-page anchor
  event.preventDefault();
  navigate(url.pathname + url.search);
}

/** Starts routing: rewrites a hash route to its path, intercepts links, follows back/forward. */
export function startRouter(): void {
  const legacy = fromHash(location.hash);
  if (legacy) {
    history.replaceState(null, '', legacy);
    location$.value = { pathname: location.pathname, search: location.search };
  }
  document.addEventListener('click', onClick);
  window.addEventListener('popstate', () => {
    location$.value = { pathname: location.pathname, search: location.search };
  });
  window.addEventListener('hashchange', () => {
    const path = fromHash(location.hash);
    if (path) navigate(path, true);
  });
}

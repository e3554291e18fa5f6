/**
 * The dashboard's hash routes. `#/members`, `#/sessions`, `#/audit` are pages of the signed-in
 * app; `#/signup` and `#/invite/<token>` work signed out. Anything else (`""`, `#device=…`) is
 * the devices page, which keeps its own `#device=` selection.
 */
export type Route =
  | { page: 'devices' }
  | { page: 'members' }
  | { page: 'sessions' }
  | { page: 'audit' }
  | { page: 'signup' }
  | { page: 'invite'; token: string };

/** Parses a `location.hash`. */
export function parseRoute(hash: string): Route {
  const path = hash.startsWith('#/') ? hash.slice(2) : '';
  const [first, second] = path.split('/');
  if (first === 'members' || first === 'sessions' || first === 'audit' || first === 'signup') return { page: first };
  if (first === 'invite' && second) return { page: 'invite', token: decodeURIComponent(second) };
  return { page: 'devices' };
}

/** The route of the current page. */
export const currentRoute = (): Route => parseRoute(location.hash);

/** Whether a route is shown without signing in. */
export const isPublic = (route: Route): boolean => route.page === 'signup' || route.page === 'invite';

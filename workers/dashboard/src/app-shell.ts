import { holds } from '../../src/services/access/permissions.ts';
import { api, type Me, type Role } from './api.ts';
import { auditPage } from './audit-page.ts';
import { dashboardView } from './dashboard-view.ts';
import { h } from './dom.ts';
import { membersPage } from './members-page.ts';
import { orgSwitcher } from './org-switcher.ts';
import type { Page, PageContext } from './page-state.ts';
import { currentRoute, type Route } from './router.ts';
import { sessionsPage } from './sessions-page.ts';

/** What the signed-in user may see and do, decided by the same permission table the API enforces. */
export interface Access {
  me: Me;
  role: Role | null;
  can(permission: Parameters<typeof holds>[1]): boolean;
}

/** The caller's access from `/v1/auth/me`. A server without roles (before issue 10) counts as a viewer. */
export function accessOf(me: Me): Access {
  const role = me.role ?? null;
  return {
    me,
    role,
    can: (permission) =>
      role
        ? holds({ via: 'session', role }, permission)
        : holds({ via: 'api-key', scopes: me.scopes as ('read' | 'write' | 'admin')[] }, permission),
  };
}

const NAV: { page: Route['page']; label: string; hash: string; show(a: Access): boolean }[] = [
  { page: 'devices', label: 'Devices', hash: '#', show: () => true },
  { page: 'members', label: 'Members', hash: '#/members', show: () => true },
  { page: 'sessions', label: 'Sessions', hash: '#/sessions', show: (a) => a.me.via === 'session' },
  { page: 'audit', label: 'Audit log', hash: '#/audit', show: (a) => a.can('audit.read') },
];

/**
 * The signed-in app: header (navigation, organisation switcher, sign-out) and the page the hash
 * names. `onSignedOut` runs after sign-out or when the session turns out to be gone; `reload`
 * starts the app again (after switching organisation).
 */
export function appShell(me: Me, onSignedOut: (notice?: string) => void, reload: () => void): Page {
  const access = accessOf(me);
  let destroyed = false;
  let page: Page | null = null;
  let shown: Route['page'] | null = null;
  let aborter = new AbortController();

  const main = h('div', { class: 'page' });
  const banner = h('p', { class: 'form-error banner', role: 'alert', 'data-testid': 'app-error', hidden: true });
  const links = NAV.filter((n) => n.show(access)).map((n) => ({
    n,
    a: h('a', { href: n.hash, class: 'nav-link', 'data-testid': `nav-${n.page}` }, n.label),
  }));
  const signOut = h('button', { type: 'button', class: 'secondary', 'data-testid': 'sign-out' }, 'Sign out');

  const sessionEnded = () => {
    if (destroyed) return;
    shell.destroy();
    onSignedOut('Your session has ended. Sign in again.');
  };

  const signedOut = (notice?: string) => {
    shell.destroy();
    onSignedOut(notice);
  };

  function show(route: Route): void {
    page?.destroy();
    aborter.abort();
    aborter = new AbortController();
    banner.hidden = true;
    for (const { n, a } of links) {
      if (n.page === route.page) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const ctx: PageContext = { onUnauthenticated: sessionEnded, signedOut, signal: aborter.signal };
    if (route.page === 'members') page = membersPage(access, ctx, reload);
    else if (route.page === 'sessions') page = sessionsPage(ctx);
    else if (route.page === 'audit') page = auditPage(ctx);
    else page = dashboardView(me, () => sessionEnded());
    shown = route.page;
    main.replaceChildren(page.el);
  }

  const onHashChange = () => {
    const route = currentRoute();
    // The devices page handles its own `#device=` changes; only a change of page re-renders.
    if (route.page === 'devices' && shown === 'devices') return;
    show(route);
  };
  window.addEventListener('hashchange', onHashChange);

  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    shell.destroy();
    try {
      await api.logout();
    } catch {
      // The cookie may already be gone; signing out locally is still right.
    }
    onSignedOut();
  });

  const el = h(
    'div',
    { class: 'app' },
    h(
      'header',
      { class: 'topbar' },
      h('span', { class: 'brand' }, 'Edgewatch'),
      orgSwitcher(me, reload, (message) => {
        banner.textContent = message;
        banner.hidden = false;
      }),
      h('nav', { class: 'nav', 'aria-label': 'Pages' }, ...links.map((l) => l.a)),
      h('span', { class: 'spacer' }),
      me.user ? h('span', { class: 'who', 'data-testid': 'who' }, `${me.user.email} · ${me.role ?? ''}`) : null,
      signOut,
    ),
    banner,
    main,
  );

  const shell: Page = {
    el,
    destroy() {
      if (destroyed) return;
      destroyed = true;
      window.removeEventListener('hashchange', onHashChange);
      aborter.abort();
      page?.destroy();
    },
  };
  show(currentRoute());
  return shell;
}

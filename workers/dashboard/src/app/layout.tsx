import { useSignal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { api, type Me } from '../api.ts';
import { orgSwitcher } from '../org-switcher.ts';
import type { Access } from './access.ts';
import { Legacy } from './legacy.tsx';
import { liveState } from './live.ts';
import type { Route } from './router.ts';

interface NavItem {
  page: Route['page'];
  href: string;
  label: string;
  show(access: Access): boolean;
}

const NAV: NavItem[] = [
  { page: 'fleet', href: '/', label: 'Fleet', show: () => true },
  { page: 'events', href: '/events', label: 'Events', show: () => true },
  { page: 'sites', href: '/sites', label: 'Sites', show: () => true },
  { page: 'alerts', href: '/alerts', label: 'Alerts', show: () => true },
  { page: 'webhooks', href: '/webhooks', label: 'Webhooks', show: (a) => a.can('notifications.manage') },
  { page: 'add-host', href: '/add-host', label: 'Add a host', show: (a) => a.can('credentials.manage') },
  { page: 'org', href: '/org', label: 'Organisation', show: () => true },
  { page: 'members', href: '/members', label: 'Members', show: () => true },
  { page: 'sessions', href: '/sessions', label: 'Sessions', show: (a) => a.me.via === 'session' },
  { page: 'audit', href: '/audit', label: 'Audit log', show: (a) => a.can('audit.read') },
];

/** Pages that light up another page's navigation link. */
const SECTION: Partial<Record<Route['page'], Route['page']>> = {
  'alert-rules': 'alerts',
  'alert-rule': 'alerts',
  incident: 'alerts',
  silences: 'alerts',
  webhook: 'webhooks',
  site: 'sites',
  point: 'sites',
  'trend-logs': 'sites',
  'trend-log': 'sites',
};

/** The stream's state in words, for the header's indicator. */
function LiveIndicator() {
  const { state, retryInMs } = liveState.value;
  const text =
    state === 'live'
      ? 'Live'
      : state === 'reconnecting'
        ? `Reconnecting${retryInMs ? ` in ${Math.ceil(retryInMs / 1000)} s` : '…'}`
        : state === 'connecting'
          ? 'Connecting…'
          : 'Offline';
  return (
    <span class="live" data-state={state} data-testid="stream-state" role="status">
      {text}
    </span>
  );
}

/**
 * The signed-in frame: header (brand, organisation switcher, navigation as the role allows,
 * stream state, user, sign-out), an error banner, and the page.
 */
export function Layout(props: {
  me: Me;
  access: Access;
  route: Route;
  onSignOut(): void;
  onSwitched(): void;
  children: ComponentChildren;
}) {
  const banner = useSignal('');
  const signingOut = useSignal(false);
  const { me, access, route } = props;
  const current = route.page === 'device' ? 'fleet' : (SECTION[route.page] ?? route.page);
  const signOut = async () => {
    signingOut.value = true;
    try {
      await api.logout();
    } catch {
      // The cookie may already be gone; signing out locally is still right.
    }
    props.onSignOut();
  };
  return (
    <div class="app">
      <header class="topbar">
        <a class="brand" href="/">
          Edgewatch
        </a>
        <Legacy
          key={me.orgId}
          make={() =>
            orgSwitcher(me, props.onSwitched, (message) => {
              banner.value = message;
            })
          }
        />
        <nav class="nav" aria-label="Pages">
          {NAV.filter((n) => n.show(access)).map((n) => (
            <a
              key={n.page}
              href={n.href}
              class="nav-link"
              data-testid={`nav-${n.page}`}
              aria-current={n.page === current ? 'page' : undefined}
            >
              {n.label}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        <LiveIndicator />
        {me.user ? (
          <span class="who" data-testid="who">
            {`${me.user.email} · ${me.role ?? ''}`}
          </span>
        ) : null}
        <button
          type="button"
          class="secondary"
          data-testid="sign-out"
          disabled={signingOut.value}
          onClick={() => void signOut()}
        >
          Sign out
        </button>
      </header>
      {banner.value ? (
        <p class="form-error banner" role="alert" data-testid="app-error">
          {banner.value}
        </p>
      ) : null}
      {props.children}
    </div>
  );
}

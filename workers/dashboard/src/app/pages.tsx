import type { Me } from '../api.ts';
import { auditPage } from '../audit-page.ts';
import { membersPage } from '../members-page.ts';
import type { PageContext } from '../page-state.ts';
import { AddHostPage } from '../pages/add-host/index.tsx';
import { AlertRulePage, AlertRulesPage, IncidentPage, IncidentsPage, SilencesPage } from '../pages/alerts/index.tsx';
import { DevicePage } from '../pages/device/index.tsx';
import { EventsPage } from '../pages/events/index.tsx';
import { FleetPage } from '../pages/fleet/index.tsx';
import { OrgPage } from '../pages/org/index.tsx';
import { PointHistoryPage, SitePage, SitesPage } from '../pages/sites/index.tsx';
import { TrendLogPage, TrendLogsPage } from '../pages/trend-logs/index.tsx';
import { WebhookPage, WebhooksPage } from '../pages/webhooks/index.tsx';
import { sessionsPage } from '../sessions-page.ts';
import type { Access } from './access.ts';
import { Legacy } from './legacy.tsx';
import type { Route } from './router.ts';

/** What the signed-in pages get from the app around them. */
export interface AppContext {
  me: Me;
  access: Access;
  /** The session is gone (a 401): back to sign-in with a notice. */
  sessionEnded(): void;
  /** Signed out on purpose (e.g. left the organisation), with `notice`. */
  signedOut(notice?: string): void;
  /** Loads the app again (after switching organisation). */
  reload(): void;
}

/** The page component for a signed-in route. */
export function RoutePage({ route, app }: { route: Route; app: AppContext }) {
  const ctx = (signal: AbortSignal): PageContext => ({
    onUnauthenticated: app.sessionEnded,
    signedOut: app.signedOut,
    signal,
  });
  switch (route.page) {
    case 'fleet':
      return <FleetPage me={app.me} />;
    case 'device':
      return <DevicePage key={route.id} id={route.id} />;
    case 'events':
      return <EventsPage />;
    case 'add-host':
      return <AddHostPage />;
    case 'org':
      return <OrgPage />;
    case 'members':
      return <Legacy key="members" make={(signal) => membersPage(app.access, ctx(signal), app.reload)} />;
    case 'sessions':
      return <Legacy key="sessions" make={(signal) => sessionsPage(ctx(signal))} />;
    case 'audit':
      return <Legacy key="audit" make={(signal) => auditPage(ctx(signal))} />;
    case 'alerts':
      return <IncidentsPage access={app.access} />;
    case 'alert-rules':
      return <AlertRulesPage access={app.access} />;
    case 'alert-rule':
      return <AlertRulePage key={route.id ?? 'new'} id={route.id} access={app.access} />;
    case 'incident':
      return <IncidentPage key={route.id} id={route.id} access={app.access} />;
    case 'silences':
      return <SilencesPage access={app.access} />;
    case 'webhooks':
      return <WebhooksPage access={app.access} />;
    case 'webhook':
      return <WebhookPage key={route.id} id={route.id} access={app.access} />;
    case 'sites':
      return <SitesPage access={app.access} />;
    case 'site':
      return <SitePage key={route.id} id={route.id} access={app.access} />;
    case 'point':
      return (
        <PointHistoryPage
          key={`${route.controllerId}/${route.point}`}
          siteId={route.siteId}
          controllerId={route.controllerId}
          point={route.point}
          access={app.access}
        />
      );
    case 'trend-logs':
      return <TrendLogsPage access={app.access} />;
    case 'trend-log':
      return <TrendLogPage key={route.id ?? 'new'} id={route.id} access={app.access} />;
    default:
      return (
        <main class="page stack" data-testid="not-found">
          <h1>Page not found</h1>
          <p class="hint">
            Nothing lives at this address. <a href="/">Go to the fleet</a>.
          </p>
        </main>
      );
  }
}

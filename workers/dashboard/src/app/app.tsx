import { useEffect, useMemo } from 'preact/hooks';
import { inviteView } from '../invite-view.ts';
import { loginView } from '../login-view.ts';
import { signupView } from '../signup-view.ts';
import { accessOf } from './access.ts';
import { clearData, onDataUnauthenticated } from './data.ts';
import { Layout } from './layout.tsx';
import { Legacy } from './legacy.tsx';
import { startLive } from './live.ts';
import { RoutePage, type AppContext } from './pages.tsx';
import { isPublic, location$, navigate, parseRoute } from './router.ts';
import { checkSession, enter, leave, session } from './session.ts';

const ENDED = 'Your session has ended. Sign in again.';

/** After sign-up or accepting an invitation: the fleet, with no way "back" to the form. */
function enterApp(): void {
  navigate('/', true);
  void enter();
}

/** The signed-in app: one stream for the session, the layout and the routed page. */
function SignedIn({ app }: { app: AppContext }) {
  const route = parseRoute(location$.value.pathname);
  // One stream per session and organisation; closed on sign-out or switch.
  useEffect(() => startLive(app.sessionEnded), [app.me.orgId, app.me.userId]);
  return (
    <Layout
      me={app.me}
      access={app.access}
      route={route}
      onSignOut={() => {
        clearData();
        leave();
      }}
      onSwitched={app.reload}
    >
      <RoutePage route={route} app={app} />
    </Layout>
  );
}

function Unreachable({ message }: { message: string }) {
  return (
    <main class="login">
      <div class="login-card">
        <h1>Edgewatch is unreachable</h1>
        <p class="form-error" role="alert">
          {message}
        </p>
        <button type="button" class="primary" onClick={() => void checkSession()}>
          Try again
        </button>
      </div>
    </main>
  );
}

/** The root: public pages, the sign-in gate, or the signed-in app. */
export function App() {
  const route = parseRoute(location$.value.pathname);
  const state = session.value;
  const me = state.state === 'signed-in' ? state.me : null;
  const app = useMemo<AppContext | null>(
    () =>
      me && {
        me,
        access: accessOf(me),
        sessionEnded: () => {
          clearData();
          leave(ENDED);
        },
        signedOut: (notice) => {
          clearData();
          leave(notice);
        },
        reload: () => {
          clearData();
          void checkSession();
        },
      },
    [me],
  );
  useEffect(() => onDataUnauthenticated(() => app?.sessionEnded()), [app]);

  if (route.page === 'invite')
    return <Legacy key={`invite-${route.token}`} make={() => inviteView(route.token, enterApp)} />;
  if (isPublic(route)) return <Legacy key="signup" make={() => signupView(enterApp)} />;
  if (state.state === 'checking') return <p class="boot">Loading…</p>;
  if (state.state === 'unreachable') return <Unreachable message={state.message} />;
  if (state.state === 'signed-out' || !app) {
    return (
      <Legacy
        key={`login-${state.state === 'signed-out' ? (state.notice ?? '') : ''}`}
        make={() => loginView(() => void enter(), state.state === 'signed-out' ? state.notice : undefined)}
      />
    );
  }
  return <SignedIn app={app} />;
}

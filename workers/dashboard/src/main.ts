import { api, isUnauthenticated } from './api.ts';
import { appShell } from './app-shell.ts';
import { byId, h } from './dom.ts';
import { inviteView } from './invite-view.ts';
import { loginView } from './login-view.ts';
import type { Page } from './page-state.ts';
import { currentRoute, isPublic } from './router.ts';
import { signupView } from './signup-view.ts';

const root = byId('app');
let current: Page | null = null;

function clear(): void {
  current?.destroy();
  current = null;
}

/** After sign-up or accepting an invitation: the app, on its first page, with no way "back" to the form. */
function enterApp(): void {
  history.replaceState(null, '', location.pathname);
  void start();
}

function showLogin(notice?: string): void {
  clear();
  if (isPublic(currentRoute())) return showPublic();
  root.replaceChildren(loginView(() => void start(), notice));
}

/** `#/signup` and `#/invite/<token>`: shown whether or not someone is signed in. */
function showPublic(): void {
  clear();
  const route = currentRoute();
  if (route.page === 'invite') root.replaceChildren(inviteView(route.token, enterApp));
  else root.replaceChildren(signupView(enterApp));
}

/** Asks the API who we are; the answer decides between the app and the sign-in form. */
async function start(): Promise<void> {
  if (isPublic(currentRoute())) return showPublic();
  try {
    const me = await api.me();
    clear();
    current = appShell(me, showLogin, () => void start());
    root.replaceChildren(current.el);
  } catch (err) {
    if (isUnauthenticated(err)) return showLogin();
    clear();
    root.replaceChildren(
      h(
        'main',
        { class: 'login' },
        h(
          'div',
          { class: 'login-card' },
          h('h1', {}, 'Edgewatch is unreachable'),
          h('p', { class: 'form-error', role: 'alert' }, err instanceof Error ? err.message : String(err)),
          retryButton(),
        ),
      ),
    );
  }
}

function retryButton(): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'primary' }, 'Try again');
  button.addEventListener('click', () => void start());
  return button;
}

// Moving between a public page and the app (e.g. a link to #/signup from the sign-in form)
// restarts; the app shell handles moves between its own pages.
let wasPublic = isPublic(currentRoute());
window.addEventListener('hashchange', () => {
  const nowPublic = isPublic(currentRoute());
  if (nowPublic || wasPublic) void start();
  wasPublic = nowPublic;
});

void start();

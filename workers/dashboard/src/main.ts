import { api, isUnauthenticated } from './api.ts';
import { dashboardView, type DashboardView } from './dashboard-view.ts';
import { byId, h } from './dom.ts';
import { loginView } from './login-view.ts';

const root = byId('app');
let current: DashboardView | null = null;

function showLogin(notice?: string): void {
  current?.destroy();
  current = null;
  root.replaceChildren(loginView(() => void start(), notice));
}

/** Asks the API who we are; the answer decides between the dashboard and the sign-in form. */
async function start(): Promise<void> {
  try {
    const me = await api.me();
    current?.destroy();
    current = dashboardView(me, showLogin);
    root.replaceChildren(current.el);
  } catch (err) {
    if (isUnauthenticated(err)) return showLogin();
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

void start();

import { accountsApi, type SessionInfo } from './accounts-api.ts';
import { isUnauthenticated } from './api.ts';
import { h } from './dom.ts';
import { timeAgo } from './format.ts';
import {
  busy,
  confirmButton,
  errorMessage,
  formMessage,
  ListStatus,
  type Page,
  type PageContext,
} from './page-state.ts';
import { passwordForm } from './password-form.ts';

/**
 * `#/sessions`: the user's signed-in sessions (browser, address, last used) with "end" on each,
 * "sign out everywhere", and the change-password form (which ends the other sessions).
 */
export function sessionsPage(ctx: PageContext): Page {
  const status = new ListStatus('sessions-status');
  const message = formMessage('sessions-message');
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'grid', 'data-testid': 'sessions-table', hidden: true },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Browser'),
        h('th', {}, 'Address'),
        h('th', {}, 'Signed in'),
        h('th', {}, 'Last used'),
        h('th', {}, 'Expires'),
        h('th', {}, ''),
      ),
    ),
    body,
  );

  const fail = (err: unknown, what: string) => {
    if (isUnauthenticated(err)) return ctx.onUnauthenticated();
    message.error(`${what}: ${errorMessage(err)}`);
  };

  async function load(): Promise<void> {
    try {
      const sessions = await accountsApi.sessions(ctx.signal);
      body.replaceChildren(...sessions.map(row));
      table.hidden = sessions.length === 0;
      status.count(sessions.length, 'No sessions.');
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (isUnauthenticated(err)) return ctx.onUnauthenticated();
      status.error(err, 'sessions');
    }
  }

  function row(s: SessionInfo): HTMLTableRowElement {
    const now = Date.now();
    return h(
      'tr',
      { 'data-testid': 'session-row', 'data-current': s.current ? 'true' : 'false' },
      h(
        'td',
        { class: 'ua' },
        s.userAgent ?? 'unknown',
        s.current ? h('span', { class: 'badge badge-online' }, 'this browser') : null,
      ),
      h('td', {}, s.clientAddress ?? '—'),
      h('td', {}, new Date(s.createdAt).toLocaleString()),
      h('td', {}, timeAgo(s.lastUsedAt, now)),
      h('td', {}, new Date(s.expiresAt).toLocaleString()),
      h(
        'td',
        { class: 'actions' },
        confirmButton(
          s.current ? 'Sign out' : 'End',
          s.current ? 'Really sign out?' : 'Really end?',
          { 'data-testid': 'session-end' },
          async () => {
            try {
              await accountsApi.endSession(s.id);
              if (s.current) return ctx.signedOut('You signed out.');
              message.ok('The session was ended.');
              await load();
            } catch (err) {
              fail(err, 'Could not end the session');
            }
          },
        ),
      ),
    );
  }

  const everywhere = h(
    'button',
    { type: 'button', class: 'secondary danger', 'data-testid': 'sign-out-everywhere' },
    'Sign out everywhere',
  );
  everywhere.addEventListener('click', () =>
    busy(everywhere, async () => {
      try {
        await accountsApi.endAllSessions();
        ctx.signedOut('You signed out everywhere: every session of your account has ended.');
      } catch (err) {
        fail(err, 'Could not sign out everywhere');
      }
    }),
  );

  const password = passwordForm(ctx, () => void load());
  void load();
  return {
    el: h(
      'main',
      { class: 'stack', 'data-testid': 'sessions-page' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'sessions-title' },
        h('header', { class: 'panel-head' }, h('h2', { id: 'sessions-title' }, 'Sessions'), status.el, everywhere),
        message.el,
        table,
      ),
      password,
    ),
    destroy: () => undefined,
  };
}

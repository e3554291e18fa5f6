import { accountsApi, type SessionInfo } from './accounts-api.ts';
import { h } from './dom.ts';
import { timeAgo } from './format.ts';
import { busy, confirmButton, formMessage, ListStatus, type Page, type PageContext } from './page-state.ts';
import { failureReporter, gridTable, listLoader } from './grid.ts';
import { passwordForm } from './password-form.ts';

/**
 * `#/sessions`: the user's signed-in sessions (browser, address, last used) with "end" on each,
 * "sign out everywhere", and the change-password form (which ends the other sessions).
 */
export function sessionsPage(ctx: PageContext): Page {
  const status = new ListStatus('sessions-status');
  const message = formMessage('sessions-message');
  const body = h('tbody');
  const table = gridTable('sessions-table', ['Browser', 'Address', 'Signed in', 'Last used', 'Expires', ''], body);
  const fail = failureReporter(ctx, message);
  const load = listLoader({
    ctx,
    status,
    table,
    body,
    fetch: (signal) => accountsApi.sessions(signal),
    row: (s: SessionInfo) => row(s),
    empty: 'No sessions.',
    what: 'sessions',
  });

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

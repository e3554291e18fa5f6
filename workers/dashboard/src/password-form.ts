import { accountsApi } from './accounts-api.ts';
import { ApiError, isUnauthenticated } from './api.ts';
import { h } from './dom.ts';
import { busy, errorMessage, field, formMessage, type PageContext } from './page-state.ts';

/** The change-password form of the sessions page; `onChanged` runs after the other sessions were ended. */
export function passwordForm(ctx: PageContext, onChanged: () => void): HTMLElement {
  const current = field('current-password', 'Current password', {
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'current-password',
  });
  const next = field('new-password', 'New password (at least 10 characters)', {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    'data-testid': 'new-password',
  });
  const again = field('new-password-again', 'New password again', {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    'data-testid': 'new-password-again',
  });
  const message = formMessage('password-message');
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'password-submit' }, 'Change password');
  const form = h(
    'form',
    {
      class: 'panel form-panel',
      'data-testid': 'password-form',
      novalidate: true,
      'aria-labelledby': 'password-title',
    },
    h('h2', { id: 'password-title' }, 'Change password'),
    current.wrap,
    next.wrap,
    again.wrap,
    message.el,
    submit,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.clear();
    if (!current.input.value || !next.input.value) return message.error('Enter your current and your new password.');
    if (next.input.value !== again.input.value) return message.error('The new passwords differ.');
    await busy(submit, async () => {
      try {
        const { endedSessions } = await accountsApi.changePassword(current.input.value, next.input.value);
        form.reset();
        message.ok(
          `Password changed. ${endedSessions} other session${endedSessions === 1 ? ' was' : 's were'} signed out.`,
        );
        onChanged();
      } catch (err) {
        if (isUnauthenticated(err)) return ctx.onUnauthenticated();
        if (err instanceof ApiError && err.code === 'invalid_credentials')
          message.error('The current password is wrong.');
        else if (err instanceof ApiError && err.code === 'weak_password')
          message.error(`Choose a stronger password: ${err.message}.`);
        else message.error(`Could not change the password: ${errorMessage(err)}`);
      }
    });
  });
  return form;
}

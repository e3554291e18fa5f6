import { accountsApi, type InvitationPreview } from './accounts-api.ts';
import { ApiError } from './api.ts';
import { h } from './dom.ts';
import { errorMessage, field, formMessage } from './page-state.ts';

/** The message for a refused acceptance. */
export function acceptErrorMessage(err: unknown, existingUser: boolean): string {
  if (err instanceof ApiError) {
    if (err.code === 'invitation_not_found') return 'This invitation is no longer valid. Ask for a new one.';
    if (err.code === 'invalid_credentials') return 'That is not the current password of this account.';
    if (err.code === 'weak_password')
      return `Choose a stronger password: ${err.message}. Use at least 10 characters, not a common password.`;
  }
  return `${existingUser ? 'Joining' : 'Creating your account'} failed: ${errorMessage(err)}`;
}

/**
 * `#/invite/<token>`: shows the organisation, email and role of the invitation, asks for the
 * password (the current one of an existing account, a new one otherwise) and accepts it.
 * `onAccepted` runs once the session cookie for that organisation is set.
 */
export function inviteView(token: string, onAccepted: () => void): HTMLElement {
  const status = h('p', { role: 'status', 'data-testid': 'invite-status' }, 'Loading the invitation…');
  const card = h('div', { class: 'login-card', 'data-testid': 'invite-card' }, h('h1', {}, 'Invitation'), status);
  const root = h('main', { class: 'login' }, card);
  accountsApi.previewInvitation(token).then(
    (preview) => root.replaceChildren(acceptForm(token, preview, onAccepted)),
    (err: unknown) => {
      const notFound = err instanceof ApiError && err.code === 'invitation_not_found';
      status.replaceWith(
        h(
          'p',
          { class: 'form-error', role: 'alert', 'data-testid': 'invite-error' },
          notFound
            ? 'This invitation is unknown, used, revoked or expired. Ask for a new one.'
            : `Could not load the invitation: ${errorMessage(err)}`,
        ),
        h('p', { class: 'hint' }, h('a', { href: '#' }, 'Go to sign-in')),
      );
    },
  );
  return root;
}

function acceptForm(token: string, preview: InvitationPreview, onAccepted: () => void): HTMLElement {
  const password = field(
    'invite-password',
    preview.existingUser ? 'Your current password' : 'Choose a password (at least 10 characters)',
    {
      type: 'password',
      autocomplete: preview.existingUser ? 'current-password' : 'new-password',
      required: true,
      'data-testid': 'invite-password',
    },
  );
  const name = preview.existingUser
    ? null
    : field('invite-name', 'Your name (optional)', { autocomplete: 'name', 'data-testid': 'invite-name' });
  const message = formMessage('invite-error');
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', 'data-testid': 'invite-accept' },
    preview.existingUser ? 'Join organisation' : 'Create account and join',
  );
  // A hidden username field lets password managers file the password under the invited email.
  const username = h('input', {
    type: 'email',
    autocomplete: 'username',
    value: preview.email,
    hidden: true,
    readonly: true,
  });

  const form = h(
    'form',
    { class: 'login-card', 'data-testid': 'invite-form', novalidate: true },
    h('h1', {}, 'Join ', h('span', { 'data-testid': 'invite-org' }, preview.orgName)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Email'),
      h('dd', { 'data-testid': 'invite-email' }, preview.email),
      h('dt', {}, 'Role'),
      h('dd', { 'data-testid': 'invite-role' }, preview.role),
      h('dt', {}, 'Expires'),
      h('dd', {}, new Date(preview.expiresAt).toLocaleString()),
    ),
    username,
    password.wrap,
    name?.wrap,
    message.el,
    submit,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!password.input.value) return message.error('Enter a password.');
    submit.disabled = true;
    message.clear();
    try {
      const nameValue = name?.input.value.trim();
      await accountsApi.acceptInvitation(token, {
        password: password.input.value,
        ...(nameValue ? { name: nameValue } : {}),
      });
      onAccepted();
    } catch (err) {
      message.error(acceptErrorMessage(err, preview.existingUser));
      password.input.select();
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => password.input.focus());
  return form;
}

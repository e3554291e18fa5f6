import { accountsApi } from './accounts-api.ts';
import { ApiError } from './api.ts';
import { h } from './dom.ts';
import { errorMessage, field, formMessage } from './page-state.ts';

/** The message for a refused sign-up: the platform's setting, a weak password, a taken email. */
export function signupErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'signup_closed')
      return 'Sign-up is closed on this Edgewatch. Ask an administrator for an invitation.';
    if (err.code === 'signup_invite_only')
      return 'This Edgewatch is invitation only. Open the invitation link you were given to join.';
    if (err.code === 'email_taken') return 'An account with this email exists already. Sign in instead.';
    if (err.code === 'weak_password')
      return `Choose a stronger password: ${err.message}. Use at least 10 characters, not a common password.`;
  }
  return `Sign-up failed: ${errorMessage(err)}`;
}

/**
 * `#/signup`: creates a user and an organisation with them as owner. Whether sign-up is open is
 * the server's setting, so the form is always shown and a refusal is explained.
 */
export function signupView(onSignedUp: () => void): HTMLElement {
  const name = field('signup-name', 'Your name (optional)', { autocomplete: 'name', 'data-testid': 'signup-name' });
  const email = field('signup-email', 'Email', {
    type: 'email',
    autocomplete: 'username',
    required: true,
    'data-testid': 'signup-email',
  });
  const password = field('signup-password', 'Password (at least 10 characters)', {
    type: 'password',
    autocomplete: 'new-password',
    required: true,
    minlength: '10',
    'data-testid': 'signup-password',
  });
  const org = field('signup-org', 'Organisation name', {
    autocomplete: 'organization',
    required: true,
    'data-testid': 'signup-org',
  });
  const message = formMessage('signup-error');
  const submit = h(
    'button',
    { type: 'submit', class: 'primary', 'data-testid': 'signup-submit' },
    'Create organisation',
  );

  const form = h(
    'form',
    { class: 'login-card', 'data-testid': 'signup-form', novalidate: true },
    h('h1', {}, 'Create an Edgewatch organisation'),
    email.wrap,
    password.wrap,
    org.wrap,
    name.wrap,
    message.el,
    submit,
    h('p', { class: 'hint' }, 'Have an account? ', h('a', { href: '#' }, 'Sign in')),
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!email.input.value.trim() || !password.input.value || !org.input.value.trim()) {
      message.error('Enter your email, a password and a name for the organisation.');
      return;
    }
    submit.disabled = true;
    message.clear();
    try {
      await accountsApi.signup({
        email: email.input.value.trim(),
        password: password.input.value,
        orgName: org.input.value.trim(),
        ...(name.input.value.trim() ? { name: name.input.value.trim() } : {}),
      });
      onSignedUp();
    } catch (err) {
      message.error(signupErrorMessage(err));
      if (err instanceof ApiError && err.field === 'password') password.input.select();
    } finally {
      submit.disabled = false;
    }
  });

  queueMicrotask(() => email.input.focus());
  return h('main', { class: 'login' }, form);
}

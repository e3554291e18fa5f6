import { ApiError, api, NetworkError } from './api.ts';
import { h } from './dom.ts';

/** The message shown for a failed sign-in: specific where the API says why, never a raw status. */
export function loginErrorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'invalid_credentials') return 'Email or password is wrong.';
    if (err.status === 429) return 'Too many attempts. Wait a minute and try again.';
    if (err.status === 400) return `Check the form: ${err.message}.`;
    return `Sign-in failed: ${err.message}.`;
  }
  if (err instanceof NetworkError) return 'Could not reach Edgewatch. Check your connection and try again.';
  return 'Sign-in failed. Try again.';
}

/**
 * The sign-in form. Calls `onSignedIn` once the session cookie is set; `notice` is shown
 * above the form (e.g. "your session has ended").
 */
export function loginView(onSignedIn: () => void, notice?: string): HTMLElement {
  const email = h('input', {
    id: 'email',
    name: 'email',
    type: 'email',
    autocomplete: 'username',
    required: true,
    'data-testid': 'login-email',
  });
  const password = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'data-testid': 'login-password',
  });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, 'Sign in');

  const form = h(
    'form',
    { class: 'login-card', 'data-testid': 'login-form', novalidate: true },
    h('h1', {}, 'Sign in to Edgewatch'),
    notice ? h('p', { class: 'notice' }, notice) : null,
    h('label', { for: 'email' }, 'Email'),
    email,
    h('label', { for: 'password' }, 'Password'),
    password,
    error,
    submit,
    // Whether sign-up is open is the server's setting; the sign-up page explains a refusal.
    h(
      'p',
      { class: 'hint' },
      'New to Edgewatch? ',
      h('a', { href: '#/signup', 'data-testid': 'signup-link' }, 'Create an organisation'),
    ),
  );

  const showError = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!email.value.trim() || !password.value) {
      showError('Enter your email and password.');
      return;
    }
    submit.disabled = true;
    error.hidden = true;
    try {
      await api.login(email.value.trim(), password.value);
      onSignedIn();
    } catch (err) {
      showError(loginErrorMessage(err));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });

  queueMicrotask(() => email.focus());
  return h('main', { class: 'login' }, form);
}

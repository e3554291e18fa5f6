import { signal } from '@preact/signals';
import { api, isUnauthenticated, type Me } from '../api.ts';

/**
 * Whether this browser probably has a session. Chromium logs every 401 as a console error, so
 * the app asks `/v1/auth/me` only when it signed in here before: a visitor who never signed in
 * (or signed out) sees the sign-in form without a failed request. Only an expired session still
 * costs one logged 401, once, before the form.
 */
const FLAG = 'edgewatch.signedIn';

export const markSignedIn = (): void => localStorage.setItem(FLAG, '1');
export const markSignedOut = (): void => localStorage.removeItem(FLAG);
const probablySignedIn = (): boolean => localStorage.getItem(FLAG) === '1';

/** What the gate shows: checking, the sign-in form (with a notice), the app, or an unreachable API. */
export type SessionState =
  | { state: 'checking' }
  | { state: 'signed-out'; notice?: string }
  | { state: 'signed-in'; me: Me }
  | { state: 'unreachable'; message: string };

export const session = signal<SessionState>({ state: 'checking' });

/** Asks the API who we are (when a session is likely) and updates {@link session}. */
export async function checkSession(): Promise<void> {
  if (!probablySignedIn()) {
    session.value = { state: 'signed-out' };
    return;
  }
  if (session.value.state !== 'signed-in') session.value = { state: 'checking' };
  try {
    const me = await api.me();
    session.value = { state: 'signed-in', me };
  } catch (err) {
    if (isUnauthenticated(err)) {
      markSignedOut();
      session.value = { state: 'signed-out' };
    } else session.value = { state: 'unreachable', message: err instanceof Error ? err.message : String(err) };
  }
}

/** After sign-in, sign-up or accepting an invitation: remember it and load the app. */
export function enter(): Promise<void> {
  markSignedIn();
  return checkSession();
}

/** The session ended (sign-out, 401, 4401): back to the sign-in form with `notice`. */
export function leave(notice?: string): void {
  markSignedOut();
  session.value = { state: 'signed-out', notice };
}

import { createExecutionContext, env, SELF, waitOnExecutionContext } from 'cloudflare:test';
import { app } from '../../workers/src/app.ts';
import { login } from './helpers.ts';

export const ORIGIN = 'http://test';

/** Signs in and returns the `ew_session=…` cookie pair. */
export async function signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await login({ email, password }, headers);
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  return cookieOf(res);
}

/** The `ew_session=…` pair a response sets. */
export function cookieOf(res: Response): string {
  const m = /ew_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '');
  if (!m) throw new Error('no session cookie set');
  return `ew_session=${m[1]}`;
}

/** A request signed in by cookie, from the platform's own origin (as the dashboard sends it). */
export function asSession(cookie: string, path: string, init: { method?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { cookie, origin: ORIGIN };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/**
 * The real app with some `[vars]` overridden, e.g. `{ SIGNUP: 'open' }`: the settings are read
 * from the env each request is given, so a test can run routes under another setting.
 */
export async function fetchWithVars(vars: Record<string, string>, path: string, init: RequestInit = {}) {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** Audit rows of an org for one action. */
export async function auditRows(orgId: string, action: string) {
  const { results } = await env.DB.prepare('SELECT * FROM audit_log WHERE org_id = ? AND action = ?')
    .bind(orgId, action)
    .all<Record<string, unknown>>();
  return results;
}

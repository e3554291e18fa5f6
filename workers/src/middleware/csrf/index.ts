import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../../app-env.ts';
import { ApiError } from '../../errors.ts';
import { SESSION_COOKIE } from '../../services/credentials/tokens.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// The same shape middleware/auth accepts: with it, the cookie is never consulted.
const BEARER = /^Bearer\s+\S+$/i;
const JSON_TYPE = /^application\/json\s*(;|$)/i;
/** Routes that set or end the session: guarded even without a cookie, against login CSRF. */
const SESSION_PATHS = new Set(['/v1/auth/login', '/v1/auth/logout', '/v1/auth/signup']);
/** Accepting an invitation signs in too. */
const ACCEPT_INVITATION = /^\/v1\/invitations\/[^/]+\/accept$/;
/** Routes that set or end the session cookie: guarded even without one. */
const setsSession = (path: string) => SESSION_PATHS.has(path) || ACCEPT_INVITATION.test(path);
const MAX_ECHO = 200;

/**
 * Refuses cross-site request forgery on cookie-authenticated writes.
 *
 * A write (any method but GET, HEAD, OPTIONS) that carries the session cookie and no
 * `Authorization: Bearer` header must come from the platform's own origin, the request URL's
 * scheme, host and port: its `Origin` must equal it, or, when no `Origin` is sent,
 * `Sec-Fetch-Site` must be `same-origin`. Otherwise it is a 403 `cross_origin_request`. Such a
 * write with a body must also be `Content-Type: application/json` (415
 * `unsupported_media_type`), so a form can never pass as a JSON body.
 *
 * Sign-in and sign-out (`/v1/auth/login`, `/v1/auth/logout`) are refused when `Origin` or
 * `Sec-Fetch-Site` shows a foreign origin, with or without a cookie (login CSRF); a request
 * sending neither (a script) passes. Bearer requests are never touched.
 *
 * Not `hono/csrf`: it checks only form and text bodies (a cross-origin JSON write passes), holds
 * bearer requests to the same rule, and answers a plain-text 403 outside our error shape.
 */
export function csrfProtection(): MiddlewareHandler<AppEnv> {
  return async function csrfProtection(c, next) {
    if (SAFE_METHODS.has(c.req.method) || BEARER.test(c.req.header('authorization') ?? '')) return next();
    const cookie = Boolean(getCookie(c, SESSION_COOKIE));
    // A script that signs in holds its cookie itself; only a browser's own evidence of a foreign page counts here.
    if (setsSession(c.req.path)) assertSameOrigin(c, { requireEvidence: false });
    else if (cookie) assertSameOrigin(c, { requireEvidence: true });
    if (cookie && hasBody(c)) assertJson(c);
    return next();
  };
}

/**
 * `requireEvidence`: refuse a request that sends neither header. Current browsers send `Origin`
 * on every POST and `Sec-Fetch-Site` on every request, so only non-browser clients omit both.
 */
export function assertSameOrigin(c: Context, { requireEvidence }: { requireEvidence: boolean }): void {
  const expected = new URL(c.req.url).origin;
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    if (origin === expected) return;
    throw refusal(`Origin ${quote(origin)} is not this platform's origin ${quote(expected)}`);
  }
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) {
    if (site === 'same-origin') return;
    throw refusal(`no Origin was sent and Sec-Fetch-Site is ${quote(site)}, not a request from ${quote(expected)}`);
  }
  if (requireEvidence) {
    throw refusal(`neither Origin nor Sec-Fetch-Site was sent, so it cannot be shown to come from ${quote(expected)}`);
  }
}

/** Whether the CSRF rules can refuse a request of this method and path, signed in by cookie. */
export function originGuarded(method: string, path: string): boolean {
  return setsSession(path) || !SAFE_METHODS.has(method.toUpperCase());
}

/** The 403 of a write that did not come from the platform's own pages; `why` says what was seen. */
export function refusal(why: string): ApiError {
  return new ApiError(
    403,
    'cross_origin_request',
    `cross-origin request refused: ${why}; a write signed in by cookie must come from the platform's own pages (other clients use an API key)`,
  );
}

function assertJson(c: Context): void {
  const type = c.req.header('content-type');
  if (type !== undefined && JSON_TYPE.test(type)) return;
  throw new ApiError(
    415,
    'unsupported_media_type',
    `Content-Type must be application/json, not ${type === undefined ? 'missing' : quote(type)}`,
  );
}

function hasBody(c: Context): boolean {
  const length = c.req.header('content-length');
  if (length !== undefined) return Number(length) !== 0;
  return c.req.raw.body !== null;
}

/** Header values are the caller's: quoted and cut short before they go into a message. */
const quote = (value: string) => JSON.stringify(value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}…` : value);

import type { DeviceView } from '../../../schema/wire/telemetry.ts';

/** An answer other than 2xx, carrying the API's `{error:{code,message,field?}}` body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The request never got an answer (network down, Worker restarting). */
export class NetworkError extends Error {
  constructor(cause: unknown) {
    super(`could not reach the server: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'NetworkError';
  }
}

export type Role = 'viewer' | 'member' | 'admin' | 'owner';

export interface User {
  id: string;
  email: string;
  name: string | null;
}

/** `GET /v1/auth/me`: who is signed in, in which organisation, and every organisation they belong to. */
export interface Me {
  user?: User | null;
  orgId: string;
  orgName: string | null;
  /** Null for an API key; absent from servers older than issue 10. */
  role?: Role | null;
  via: string;
  scopes: string[];
  userId: string | null;
  orgs?: { id: string; name: string; role: Role }[];
}

export interface LoginResult {
  user: User;
  orgId: string;
  role: string;
}

/**
 * One JSON request to the API with the session cookie; a non-2xx answer throws {@link ApiError}
 * and no answer {@link NetworkError}. A 204 resolves to null. `signal` cancels the request when
 * the view that asked for it goes away (e.g. on sign-out).
 */
export async function call<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (err) {
    signal?.throwIfAborted();
    throw new NetworkError(err);
  }
  // 204 (and 202 without a body) parse to null, which callers of those routes ignore.
  const json: unknown = await res.json().catch(() => null);
  signal?.throwIfAborted();
  if (!res.ok) {
    const e = (json as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
    throw new ApiError(
      res.status,
      typeof e?.code === 'string' ? e.code : 'http_error',
      typeof e?.message === 'string' ? e.message : `${method} ${path} answered ${res.status}`,
      typeof e?.field === 'string' ? e.field : undefined,
    );
  }
  return json as T;
}

/** True when the error means the session is gone and the user must sign in again. */
export const isUnauthenticated = (err: unknown): boolean => err instanceof ApiError && err.status === 401;

/**
 * Every item of a cursor-paged list: `GET path` answers `{ [key]: T[], nextCursor }`, and the
 * next page is asked for with `cursor=` until there is none.
 */
export async function callAll<T>(path: string, key: string, signal?: AbortSignal): Promise<T[]> {
  const all: T[] = [];
  const sep = path.includes('?') ? '&' : '?';
  let cursor: string | null = null;
  do {
    const next: string = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
    const page = await call<{ nextCursor: string | null } & Record<string, unknown>>('GET', next, undefined, signal);
    all.push(...(page[key] as T[]));
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

export const api = {
  me: () => call<Me>('GET', '/v1/auth/me'),
  login: (email: string, password: string) => call<LoginResult>('POST', '/v1/auth/login', { email, password }),
  logout: () => call<{ ok: true }>('POST', '/v1/auth/logout'),
  /** Every device of the organisation, 500 a page. */
  allDevices: (signal?: AbortSignal) => callAll<DeviceView>('/v1/devices?limit=500', 'devices', signal),
};

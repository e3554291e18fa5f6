import type { ApiKeyScope, Role } from '../../schema/index.ts';

/** Who is calling: resolved by the auth middleware, always tied to one organisation. */
export interface Caller {
  orgId: string;
  via: 'api-key' | 'session';
  /** A key's scopes; for a session, the scopes that stand for its role. */
  scopes: readonly ApiKeyScope[];
  /** The signed-in user's role in `orgId`; null for an API key. */
  role: Role | null;
  userId: string | null;
  /** API key id or session id, for audit and logs. */
  credentialId: string;
}

/** A device authenticated by its token (see middleware/device-auth). */
export interface AuthenticatedDevice {
  deviceId: string;
  tokenHash: string;
  orgId: string;
  siteId: string | null;
}

/** Hono generics for every router of the app. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** The operation id of the documented route handling the request (set by `doc()`). */
    operationId: string;
    caller: Caller;
    device: AuthenticatedDevice;
  };
}

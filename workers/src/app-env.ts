import type { ApiKeyScope } from '../../schema/index.ts';

/** Who is calling: resolved by the auth middleware, always tied to one organisation. */
export interface Caller {
  orgId: string;
  via: 'api-key' | 'session';
  scopes: readonly ApiKeyScope[];
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
    caller: Caller;
    device: AuthenticatedDevice;
  };
}

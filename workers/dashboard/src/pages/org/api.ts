import { call } from '../../api.ts';

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: Scope[] = ['read', 'write', 'admin'];

/** An API key as listed: its prefix, never the key. */
export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Retention in days per level; `rollup1dDays: null` keeps daily rollups forever. */
export interface Retention {
  rawDays: number;
  rollup1mDays: number;
  rollup1hDays: number;
  rollup1dDays: number | null;
}

export const orgApi = {
  keys: (signal?: AbortSignal) =>
    call<{ keys: ApiKey[] }>('GET', '/v1/api-keys', undefined, signal).then((r) => r.keys),
  /** The answer's `key` is shown once and never again. */
  createKey: (name: string, scopes: Scope[]) =>
    call<ApiKey & { key: string }>('POST', '/v1/api-keys', { name, scopes }),
  revokeKey: (id: string) => call<ApiKey>('DELETE', `/v1/api-keys/${encodeURIComponent(id)}`),
  settings: (signal?: AbortSignal) =>
    call<{ retention: Retention }>('GET', '/v1/org/settings', undefined, signal).then((r) => r.retention),
  saveRetention: (retention: Partial<Retention>) =>
    call<{ retention: Retention }>('PATCH', '/v1/org/settings', { retention }).then((r) => r.retention),
};

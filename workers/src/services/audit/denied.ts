import { and, eq } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { db, schema } from '../../db.ts';
import { ApiError } from '../../errors.ts';
import { log } from '../log.ts';
import { sha256Hex } from '../credentials/crypto.ts';
import { isApiKey, SESSION_COOKIE } from '../credentials/tokens.ts';
import { routePath } from 'hono/route';
import { auditInsert, type AuditEntry } from './record.ts';

/** Methods that only read: a refused read writes no audit row. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether an error is the permission check's refusal (403 `forbidden`) of a state-changing request. */
export function isDeniedWrite(c: Context<AppEnv>, err: unknown): boolean {
  return err instanceof ApiError && err.status === 403 && err.code === 'forbidden' && !READS.has(c.req.method);
}

/**
 * Writes the `denied` row of a state-changing request the permission check refused. The
 * credential was valid (a 403 follows a successful authentication), so its owner is looked up
 * again here: the auth middleware sets `c.var.caller` only once the check has passed. Never
 * throws: the refusal is the answer, and a lost row must not turn it into a 500.
 *
 * The input is not validated yet, so the target is the route (`/v1/devices/:id`) and the first
 * path parameter as given, not a typed object.
 */
export async function recordDenied(c: Context<AppEnv>): Promise<void> {
  try {
    // Should the auth middleware come to set the caller before its check, that is used as is.
    const known = c.get('caller') as AppEnv['Variables']['caller'] | undefined;
    const actor = known ? undefined : await refusedActor(c);
    if (!known && !actor) return;
    const firstParam = Object.values(c.req.param() as Record<string, string>)[0];
    const targetId = firstParam === undefined ? null : firstParam.slice(0, 100);
    await auditInsert(c, { targetType: routePath(c), targetId, outcome: 'denied', ...(actor ? { actor } : {}) }).run();
  } catch (err) {
    log.error('denied audit row not written', { requestId: c.get('requestId'), error: String(err) });
  }
}

type Actor = NonNullable<AuditEntry['actor']>;

async function refusedActor(c: Context<AppEnv>): Promise<Actor | null> {
  const d = db(c.env.DB);
  const bearer = c.req.header('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) {
    if (!isApiKey(bearer)) return null;
    const k = schema.apiKeys;
    const key = await d
      .select({ id: k.id, orgId: k.orgId, scopes: k.scopes })
      .from(k)
      .where(eq(k.keyHash, await sha256Hex(bearer)))
      .get();
    return key ? { type: 'api_key', id: key.id, role: null, orgId: key.orgId, scopes: key.scopes } : null;
  }
  const token = getCookie(c, SESSION_COOKIE);
  if (!token) return null;
  const s = schema.sessions;
  const m = schema.memberships;
  const row = await d
    .select({ userId: s.userId, orgId: s.orgId, role: m.role })
    .from(s)
    .innerJoin(m, and(eq(m.orgId, s.orgId), eq(m.userId, s.userId)))
    .where(eq(s.tokenHash, await sha256Hex(token)))
    .get();
  return row ? { type: 'user', id: row.userId, role: row.role, orgId: row.orgId } : null;
}

import type { Context } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { ApiError } from '../../errors.ts';
import { log } from '../log.ts';
import { routePath } from 'hono/route';
import { auditInsert } from './record.ts';

/** Methods that only read: a refused read writes no audit row. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether an error is the permission check's refusal (403 `forbidden`) of a state-changing request. */
export function isDeniedWrite(c: Context<AppEnv>, err: unknown): boolean {
  return err instanceof ApiError && err.status === 403 && err.code === 'forbidden' && !READS.has(c.req.method);
}

/**
 * Writes the `denied` row of a state-changing request the permission check refused (the auth
 * middleware sets `c.var.caller` before that check). Never throws: the refusal is the answer,
 * and a lost row must not turn it into a 500.
 *
 * The input is not validated yet, so the target is the route (`/v1/devices/:id`) and the first
 * path parameter as given, not a typed object.
 */
export async function recordDenied(c: Context<AppEnv>): Promise<void> {
  try {
    if (!c.get('caller')) return;
    const firstParam = Object.values(c.req.param() as Record<string, string>)[0];
    const targetId = firstParam === undefined ? null : firstParam.slice(0, 100);
    await auditInsert(c, { targetType: routePath(c), targetId, outcome: 'denied' }).run();
  } catch (err) {
    log.error('denied audit row not written', { requestId: c.get('requestId'), error: String(err) });
  }
}

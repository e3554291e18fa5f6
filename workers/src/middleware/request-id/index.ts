import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.ts';
import { log } from '../../services/log.ts';

const VALID = /^[A-Za-z0-9._:-]{8,100}$/;

/**
 * Gives every request a correlation id: the caller's `X-Request-Id` when it looks sane,
 * otherwise a new one. It is echoed on the response and written into the access log.
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    const incoming = c.req.header('x-request-id');
    const id = incoming && VALID.test(incoming) ? incoming : crypto.randomUUID();
    c.set('requestId', id);
    const started = Date.now();
    await next();
    c.header('X-Request-Id', id);
    log.info('request', {
      requestId: id,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Date.now() - started,
    });
  };
}

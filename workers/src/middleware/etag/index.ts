import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../app-env.ts';

/**
 * Strong ETags for JSON reads: `GET` answers of status 200 with a JSON body get
 * `ETag: "<sha-256 of the body>"` and `Cache-Control: private, no-cache` (data is live, so a
 * client revalidates every time), and a matching `If-None-Match` turns them into a bodiless 304.
 * Other bodies (exports, SSE, the Prometheus text) are never buffered; those routes set `no-store` themselves.
 * Responses that already carry an ETag (the agent's config poll) keep theirs.
 */
export function etag(): MiddlewareHandler<AppEnv> {
  return async function etag(c, next) {
    await next();
    if (c.req.method !== 'GET') return;
    const type = c.res.headers.get('content-type') ?? '';
    if (c.res.status !== 200 || !/^application\/json\b/i.test(type) || c.res.headers.has('etag')) return;
    const body = await c.res.arrayBuffer();
    const tag = `"${await sha256Base64Url(body)}"`;
    // Keep whatever the handler set (rate-limit or pagination headers, say) on both answers.
    const headers = new Headers(c.res.headers);
    headers.set('ETag', tag);
    headers.set('Cache-Control', 'private, no-cache');
    if (matches(c.req.header('if-none-match'), tag)) {
      headers.delete('Content-Type');
      headers.delete('Content-Length');
      c.res = new Response(null, { status: 304, headers });
    } else {
      c.res = new Response(body, { status: 200, headers });
    }
  };
}

/** `If-None-Match` compares weakly (RFC 9110 §13.1.2): `W/` is ignored, `*` matches anything. */
function matches(ifNoneMatch: string | undefined, tag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((t) => {
    const candidate = t.trim().replace(/^W\//, '');
    return candidate === '*' || candidate === tag;
  });
}

async function sha256Base64Url(body: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

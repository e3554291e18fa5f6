import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { ApiError, forbidden } from '../errors.ts';
import { requireAuth } from '../middleware/auth/index.ts';
import { channelHubFor, STREAM_ORG_HEADER } from '../objects/channel-hub.ts';

/**
 * `GET /v1/stream`: the live WebSocket stream, and `GET /v1/stream/sse?subject=`: the same
 * frames as Server-Sent Events (protocol in docs/stream-protocol.md). Both authenticate,
 * then hand over to the caller's org hub.
 */
export const streamRoutes = new Hono<AppEnv>();

streamRoutes.get('/sse', requireAuth('read'), async (c) => {
  const caller = c.var.caller;
  const url = new URL('https://channel-hub.internal/sse');
  url.searchParams.set('subject', c.req.query('subject') ?? '');
  // Built fresh: only the org (from the credential) and the resume point reach the hub.
  const headers = new Headers({ [STREAM_ORG_HEADER]: caller.orgId });
  const last = c.req.header('last-event-id');
  if (last !== undefined) headers.set('last-event-id', last.slice(0, 128));
  const res = await channelHubFor(c.env, caller.orgId).fetch(new Request(url, { headers }));
  return new Response(res.body, { status: res.status, headers: res.headers });
});

streamRoutes.get('/', requireAuth('read'), async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new ApiError(426, 'upgrade_required', 'GET /v1/stream is a WebSocket endpoint: send "Upgrade: websocket"', {
      headers: { Upgrade: 'websocket' },
    });
  }
  const caller = c.var.caller;
  // Browsers attach cookies to cross-site WebSocket handshakes and CORS does not apply,
  // so a session may only stream to pages of this origin.
  const origin = c.req.header('origin');
  if (caller.via === 'session' && origin !== undefined && !sameHost(origin, c.req.url)) {
    throw forbidden('a session may only open the stream from this origin');
  }
  // A new request, so nothing a client sent (least of all the org header) reaches the hub.
  const upgrade = new Request('https://channel-hub.internal/connect', {
    headers: { Upgrade: 'websocket', [STREAM_ORG_HEADER]: caller.orgId },
  });
  const res = await channelHubFor(c.env, caller.orgId).fetch(upgrade);
  // A stub's response has immutable headers; copy it so app-wide middleware can add its own.
  return new Response(res.body, { status: res.status, headers: res.headers, webSocket: res.webSocket });
});

function sameHost(origin: string, url: string): boolean {
  try {
    return new URL(origin).host === new URL(url).host;
  } catch {
    return false;
  }
}

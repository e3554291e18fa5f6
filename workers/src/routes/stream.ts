import { Hono } from 'hono';
import { z } from 'zod';
import { forbiddenSubjectExample } from './events.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { assertSameOrigin } from '../middleware/csrf/index.ts';
import { STREAM_ORG_HEADER } from '../objects/channel-hub/index.ts';
import { doc } from '../openapi/doc.ts';
import { principalHeader, STREAM_PRINCIPAL_HEADER } from '../services/streams/principal.ts';
import { viewerHubFor } from '../services/streams/routing.ts';
import { callerPattern, subjectPattern } from '../services/streams/subject-match.ts';

/**
 * `GET /v1/stream`: the live WebSocket stream, and `GET /v1/stream/sse?subject=`: the same
 * frames as Server-Sent Events (protocol in docs/stream-protocol.md). Both authenticate,
 * then hand over to the hub serving the caller's viewers: by credential, so a reconnect
 * lands where its resume point is (routing.ts).
 */
export const streamRoutes = new Hono<AppEnv>();

/** `subject` of the SSE stream: one pattern, as in a WebSocket `sub` frame. */
export const sseQuery = z.strictObject({
  subject: subjectPattern,
});

const upgradeRequired = () =>
  new ApiError(426, 'upgrade_required', 'GET /v1/stream is a WebSocket endpoint: send "Upgrade: websocket"', {
    headers: { Upgrade: 'websocket' },
  });

const SUBJECT_EXAMPLE = 'org.org_01JD5V7K.site.*.device.*.metric.cpu_usage_percent';

streamRoutes.get(
  '/sse',
  doc({
    operationId: 'streamSse',
    summary: 'Live samples and events as Server-Sent Events',
    description:
      'The frames of the WebSocket stream for one subject pattern (docs/stream-protocol.md). Resume with `Last-Event-ID`.',
    tag: 'Live stream',
    auth: 'caller',
    permission: 'org.read',
    query: sseQuery,
    example: { query: { subject: SUBJECT_EXAMPLE } },
    responses: {
      200: {
        description: 'An endless text/event-stream',
        contentType: 'text/event-stream',
        example: 'id: 42\nevent: data\ndata: {"type":"data","seq":42,"samples":[…]}\n\n',
      },
      403: {
        description: 'The subject names another org, or the credential lacks the read scope',
        example: forbiddenSubjectExample,
      },
    },
  }),
  async (c) => {
    const { subject } = c.req.valid('query');
    const caller = c.var.caller;
    // Refused here with the same status as /v1/events; the hub's own check stays as a backstop.
    callerPattern(subject, caller.orgId);
    const url = new URL('https://channel-hub.internal/sse');
    url.searchParams.set('subject', subject);
    // Built fresh: only the org and principal (from the credential) and the resume point reach the hub.
    const headers = new Headers({
      [STREAM_ORG_HEADER]: caller.orgId,
      [STREAM_PRINCIPAL_HEADER]: principalHeader(caller, Date.now()),
    });
    const last = c.req.header('last-event-id');
    if (last !== undefined) headers.set('last-event-id', last.slice(0, 128));
    const res = await viewerHubFor(c.env, caller.orgId, caller.credentialId).fetch(new Request(url, { headers }));
    return new Response(res.body, { status: res.status, headers: res.headers });
  },
);

streamRoutes.get(
  '/',
  doc({
    operationId: 'streamWebSocket',
    summary: 'Live samples and events over WebSocket',
    description:
      'Send `Upgrade: websocket`; then subscribe by subject pattern, with credits for flow control (docs/stream-protocol.md). A session may only connect from this origin.',
    tag: 'Live stream',
    auth: 'caller',
    permission: 'org.read',
    example: {},
    responses: {
      101: { description: 'Switching protocols: the stream is open' },
      426: {
        description: 'Not a WebSocket handshake',
        example: upgradeRequired().body(),
      },
    },
  }),
  async (c) => {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      throw upgradeRequired();
    }
    const caller = c.var.caller;
    // Browsers attach cookies to cross-site WebSocket handshakes and CORS does not apply,
    // so a session may only stream to pages of this origin (the CSRF rule, on a read).
    if (caller.via === 'session') assertSameOrigin(c, { requireEvidence: false });
    // A new request, so nothing a client sent (least of all the org header) reaches the hub.
    const upgrade = new Request('https://channel-hub.internal/connect', {
      headers: {
        Upgrade: 'websocket',
        [STREAM_ORG_HEADER]: caller.orgId,
        // Who connects, so withdrawing their access can close this stream (closeStreams).
        [STREAM_PRINCIPAL_HEADER]: principalHeader(caller, Date.now()),
      },
    });
    const res = await viewerHubFor(c.env, caller.orgId, caller.credentialId).fetch(upgrade);
    // A stub's response has immutable headers; copy it so app-wide middleware can add its own.
    return new Response(res.body, { status: res.status, headers: res.headers, webSocket: res.webSocket });
  },
);

import { Hono } from 'hono';
import { MQTT_SUBPROTOCOL } from '../../../schema/wire/mqtt.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { doc } from '../openapi/doc.ts';

/**
 * `GET /mqtt`: MQTT 3.1.1 and 5 over WebSocket (docs/mqtt.md). Each connection gets a fresh
 * MqttSession object; credentials come later, in the MQTT CONNECT, so nothing is checked here.
 */
const upgradeRequired = () =>
  new ApiError(426, 'upgrade_required', 'GET /mqtt is MQTT over WebSocket: send "Upgrade: websocket"', {
    headers: { Upgrade: 'websocket' },
  });
const unsupportedSubprotocol = () =>
  new ApiError(400, 'unsupported_subprotocol', `offer the WebSocket subprotocol "${MQTT_SUBPROTOCOL}"`);

export const mqttRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'mqttWebSocket',
    summary: 'MQTT 3.1.1 and 5 over WebSocket, for devices',
    description: `Send \`Upgrade: websocket\` and offer the subprotocol \`${MQTT_SUBPROTOCOL}\`. The device authenticates in the MQTT CONNECT (docs/mqtt.md).`,
    tag: 'Ingest',
    auth: 'none',
    example: {},
    responses: {
      101: { description: 'Switching protocols: send CONNECT next' },
      400: {
        description: 'The subprotocols offered do not include mqtt',
        example: unsupportedSubprotocol().body(),
      },
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
    const offered = (c.req.header('sec-websocket-protocol') ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    if (offered.length > 0 && !offered.includes(MQTT_SUBPROTOCOL)) {
      throw unsupportedSubprotocol();
    }
    const session = c.env.MQTT_SESSION.get(c.env.MQTT_SESSION.newUniqueId());
    // A new request, so nothing a client sent reaches the object but the upgrade itself.
    const res = await session.fetch(
      new Request('https://mqtt-session.internal/connect', { headers: { Upgrade: 'websocket' } }),
    );
    const headers = new Headers(res.headers);
    // MQTT clients (mqtt.js, browsers) drop a connection whose handshake does not echo the subprotocol.
    if (offered.length > 0) headers.set('Sec-WebSocket-Protocol', MQTT_SUBPROTOCOL);
    return new Response(res.body, { status: res.status, headers, webSocket: res.webSocket });
  },
);

import { generate, parser, type Packet } from 'mqtt-packet';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A scripted MQTT-over-WebSocket peer for transport tests: it decodes what the client sends
 * with mqtt-packet and lets each test choose the answers (or withhold them), which the real
 * Worker never would. `ws` is what mqtt.js itself uses in Node.
 */
export interface ScriptedBroker {
  url: string;
  received: Packet[];
  /** Connections in the order they opened. */
  sockets: WebSocket[];
  send(ws: WebSocket, packet: Packet): void;
  close(): Promise<void>;
}

export type Script = (packet: Packet, ws: WebSocket, broker: ScriptedBroker) => void;

/** Answers CONNECT with success, SUBSCRIBE with QoS 0 grants and PINGREQ; everything else is the script's. */
export const polite =
  (version: 4 | 5, then: Script = () => {}): Script =>
  (packet, ws, broker) => {
    if (packet.cmd === 'connect') {
      broker.send(ws, {
        cmd: 'connack',
        sessionPresent: false,
        ...(version === 5 ? { reasonCode: 0 } : { returnCode: 0 }),
      });
    } else if (packet.cmd === 'subscribe') {
      broker.send(ws, { cmd: 'suback', messageId: packet.messageId!, granted: packet.subscriptions.map(() => 0) });
    } else if (packet.cmd === 'pingreq') {
      broker.send(ws, { cmd: 'pingresp' });
    }
    then(packet, ws, broker);
  };

export async function startBroker(version: 4 | 5, script: Script): Promise<ScriptedBroker> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'mqtt' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const broker: ScriptedBroker = {
    url: `ws://127.0.0.1:${port}/mqtt`,
    received: [],
    sockets: [],
    send: (ws, packet) => ws.send(generate(packet, { protocolVersion: version })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of server.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (ws) => {
    broker.sockets.push(ws);
    const p = parser({ protocolVersion: version });
    p.on('packet', (packet) => {
      broker.received.push(packet);
      script(packet, ws, broker);
    });
    ws.on('message', (data) => p.parse(data as Buffer));
  });
  return broker;
}

/**
 * The little of the WebSocket API the client uses, so browsers' WebSocket, Node ≥ 22's global
 * one (undici) and the `ws` package all fit.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (ev: never) => void): void;
}

/**
 * `options` is only passed when there are headers: Node's WebSocket and `ws` take
 * `{ headers }` as the second argument; browsers send the session cookie instead.
 */
export type WebSocketConstructor = new (url: string, options?: { headers: Record<string, string> }) => WebSocketLike;

export const OPEN = 1;

/** The runtime's own WebSocket (browsers, Node ≥ 22), if it has one. */
export function globalWebSocket(): WebSocketConstructor | undefined {
  return (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
}

type OnlineTarget = {
  addEventListener?(t: 'online', f: () => void): void;
  removeEventListener?(t: 'online', f: () => void): void;
};

/** Calls `fn` when a browser comes back online; returns the undo. A no-op in Node. */
export function onOnline(fn: () => void): () => void {
  const target = globalThis as unknown as OnlineTarget;
  if (typeof target.addEventListener !== 'function' || !('navigator' in globalThis) || !('document' in globalThis)) {
    return () => {};
  }
  target.addEventListener('online', fn);
  return () => target.removeEventListener?.('online', fn);
}

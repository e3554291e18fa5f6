import WebSocket from 'ws';

/**
 * The Worker isolate's V8 heap through the inspector that `wrangler dev --inspector-port`
 * exposes (Chrome DevTools Protocol over a WebSocket). In local workerd every Durable Object of
 * the Worker runs in that one isolate, so its heap holds all of our objects' JS state. The
 * `ws` package, not Node's WebSocket: wrangler's inspector proxy refuses undici's handshake.
 */

export interface HeapProbe {
  /** Used V8 heap in MiB (`Runtime.getHeapUsage`); `gc` collects garbage first. */
  usedMiB(gc?: boolean): Promise<number>;
  /** Any CDP command, e.g. `HeapProfiler.takeHeapSnapshot`. */
  send<T>(method: string, params?: object): Promise<T>;
  /** Notifications (e.g. `HeapProfiler.addHeapSnapshotChunk`). */
  on(method: string, fn: (params: Record<string, unknown>) => void): void;
  close(): void;
}

type Reply = {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { message: string };
};

export async function heapProbe(inspectorPort: number): Promise<HeapProbe> {
  const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const target = list[0]?.webSocketDebuggerUrl;
  if (!target) throw new Error(`the inspector on port ${inspectorPort} lists no target`);
  const socket = new WebSocket(target);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', (err) => reject(new Error(`cannot attach to ${target}: ${err.message}`)));
  });
  const waiting = new Map<number, (r: Reply) => void>();
  const listeners = new Map<string, ((p: Record<string, unknown>) => void)[]>();
  socket.on('message', (data) => {
    const msg = JSON.parse(String(data)) as Reply;
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg);
    else if (msg.method) for (const fn of listeners.get(msg.method) ?? []) fn(msg.params ?? {});
  });
  let lastId = 0;
  const send = <T>(method: string, params: object = {}) => {
    const id = ++lastId;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, (r) => {
        waiting.delete(id);
        if (r.error) reject(new Error(`${method}: ${r.error.message}`));
        else resolve(r.result as T);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  };
  return {
    send,
    on: (method, fn) => listeners.set(method, [...(listeners.get(method) ?? []), fn]),
    async usedMiB(gc = false) {
      if (gc) await send('HeapProfiler.collectGarbage');
      // A restarted or wedged isolate never answers: the memory sampler must not wait on it.
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref(),
      );
      const { usedSize } = await Promise.race([send<{ usedSize: number }>('Runtime.getHeapUsage'), timeout]);
      return usedSize / 2 ** 20;
    },
    close: () => socket.close(),
  };
}

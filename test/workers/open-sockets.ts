import { afterEach } from 'vitest';

/**
 * Sockets a test file opened; each is closed after every test, so no test leaves a
 * hibernating connection behind for the next one. Call once per client helper module.
 */
export function closeSocketsAfterEach(): WebSocket[] {
  const open: WebSocket[] = [];
  afterEach(() => {
    for (const ws of open.splice(0)) {
      try {
        ws.close(1000, 'test done');
      } catch {
        // already closed by the server
      }
    }
  });
  return open;
}

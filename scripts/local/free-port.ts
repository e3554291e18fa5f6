import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (`preferred` first, if free). */
export async function freePort(preferred = 0): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number | null>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, '127.0.0.1', () => {
        const { port: got } = srv.address() as { port: number };
        srv.close(() => resolve(got));
      });
    });
  if (preferred) {
    for (let p = preferred; p < preferred + 20; p++) {
      const got = await tryPort(p);
      if (got) return got;
    }
  }
  const got = await tryPort(0);
  if (!got) throw new Error('no free TCP port on 127.0.0.1');
  return got;
}

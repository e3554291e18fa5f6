import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';
import { runScript } from './run-script.ts';

/**
 * `npm run smoke` (scripts/smoke.ts) against a real local platform (wrangler dev: Worker, D1,
 * Durable Objects, the alerts queue) and a real webhook receiver on loopback, which the Worker
 * may post to because ALLOW_PRIVATE_WEBHOOKS names exactly its host:port.
 */

const SMOKE = fileURLToPath(new URL('../../scripts/smoke.ts', import.meta.url));
let platform: LocalPlatform;
let receiver: Server;
let receiverUrl: string;
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

const smoke = (args: string[]) => runScript(SMOKE, args, { EDGEWATCH_API_KEY: '' });

const get = async (path: string) =>
  (await fetch(`${platform.url}${path}`, { headers: { authorization: `Bearer ${platform.seed.apiKey}` } })).json();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const { port } = receiver.address() as AddressInfo;
  receiverUrl = `http://127.0.0.1:${port}/hooks/edgewatch`;
  platform = await startLocalPlatform({ vars: { ALLOW_PRIVATE_WEBHOOKS: `127.0.0.1:${port}` } });
});
afterAll(async () => {
  await platform?.stop();
  receiver?.close();
});

describe('npm run smoke against the local platform', () => {
  it('passes every check, the webhook included, and leaves nothing behind', async () => {
    const run = await smoke([platform.url, '--key', platform.seed.apiKey, '--webhook-url', receiverUrl]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const check of [
      'health',
      'credential',
      'enrollment token',
      'enroll',
      'ingest',
      'latest',
      'history',
      'live stream',
      'webhook',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^PASS ${check} +\\d+ ms`, 'm'));
    }
    expect(run.stdout).not.toMatch(/^(FAIL|SKIP)/m);
    expect(run.stdout).toMatch(/^PASS cleanup: delete the device /m);

    // The receiver got the signed test event the smoke reported.
    const id = /webhook-id (\S+) delivered/.exec(run.stdout)![1];
    const hook = received.find((r) => r.headers['webhook-id'] === id)!;
    expect(hook).toBeDefined();
    expect(hook.headers['webhook-signature']).toMatch(/^v1,/);
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'webhook.test' });

    // Cleaned up: no test device, no channel, the token revoked.
    const { devices } = (await get('/v1/devices')) as { devices: { name: string }[] };
    expect(devices.filter((d) => d.name.startsWith('edgewatch-smoke-'))).toEqual([]);
    expect(((await get('/v1/webhooks')) as { webhooks: unknown[] }).webhooks).toEqual([]);
    const { tokens } = (await get('/v1/enrollment-tokens')) as { tokens: { id: string; revokedAt: number | null }[] };
    const made = tokens.filter((t) => t.id !== platform.seed.enrollmentTokenId);
    expect(made).toHaveLength(1);
    expect(made[0]!.revokedAt).not.toBeNull();
  });

  it('fails with a non-zero exit when the key is wrong, and skips the checks after it', async () => {
    const run = await smoke([platform.url, '--key', 'ewk_not_a_real_key_000000000000']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^PASS health /m);
    expect(run.stdout).toMatch(
      /^FAIL credential +\d+ ms {2}GET \/v1\/auth\/me with the key: expected HTTP 200, got 401/m,
    );
    expect(run.stdout).toMatch(/^SKIP enroll$/m);
    expect(run.stdout).not.toContain('cleanup');
  });

  it('fails when nothing answers at the URL, and explains its options with --help', async () => {
    const down = await smoke(['http://127.0.0.1:9', '--key', 'ewk_x', '--timeout', '2']);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^FAIL health .*no answer/m);
    const help = await smoke(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--webhook-url');
    const bad = await smoke(['edgewatch.example.com']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('give one http(s) URL of the deployment');
  });
});

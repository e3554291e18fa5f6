import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInstallScript } from '../../workers/src/services/agents/install-script.ts';
import { runInstallScript, sha256 } from './helpers/install-script.ts';

// A main file naming its chunks as the build writes them; `enroll` fails unless they are in place.
const fakeAgent = (chunks: Record<string, string>, claimed: Record<string, string> = {}) =>
  `// fake agent
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2);
const get = (flag) => args[args.indexOf(flag) + 1];
for (const name of ${JSON.stringify(Object.keys(chunks))}) {
  if (!fs.existsSync(path.join(__dirname, 'chunks', name))) { console.error('missing chunk ' + name); process.exit(1); }
}
if (args[0] === 'enroll') {
  const config = { url: get('--url'), deviceId: 'dev_fake', deviceToken: 't', spoolDir: get('--spool-dir') };
  fs.writeFileSync(get('--config'), JSON.stringify(config), { mode: 0o600 });
}
${Object.entries(chunks)
  .map(([name, text]) => `//# edgewatch-chunk ${claimed[name] ?? sha256(text)} chunks/${name}`)
  .join('\n')}
`;

let dir: string;
let server: Server;
let url: string;
let files: Record<string, string> = {};

const install = async (root: string, main: string) => {
  files = { ...files, '/agent/edgewatch-agent.js': main };
  const script = renderInstallScript({
    template: await readFile(new URL('../../agent/install/install.sh', import.meta.url), 'utf8'),
    unit: await readFile(new URL('../../agent/install/edgewatch-agent.service', import.meta.url), 'utf8'),
    url,
    sha256: sha256(main),
  });
  return runInstallScript(script, ['--token', 'ewe_test', '--no-systemd', '--prefix', root]);
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-install-chunks-'));
  server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    res.statusCode = body === undefined ? 404 : 200;
    res.end(body ?? 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('install.sh with a chunked agent', () => {
  it('downloads and verifies every chunk the main file names, and drops chunks an update no longer names', async () => {
    const root = join(dir, 'update');
    const v1 = { 'gateway-AAAA.mjs': 'export const gateway = 1;\n', 'mqtt-BBBB.mjs': 'export const mqtt = 1;\n' };
    files = {
      '/agent/chunks/gateway-AAAA.mjs': v1['gateway-AAAA.mjs'],
      '/agent/chunks/mqtt-BBBB.mjs': v1['mqtt-BBBB.mjs'],
    };
    const first = await install(root, fakeAgent(v1));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('agent: 2 chunks verified');
    const chunks = join(root, 'opt/edgewatch/chunks');
    expect((await readdir(chunks)).sort()).toEqual(['gateway-AAAA.mjs', 'mqtt-BBBB.mjs']);
    expect(await readFile(join(chunks, 'mqtt-BBBB.mjs'), 'utf8')).toBe(v1['mqtt-BBBB.mjs']);

    const v2 = { 'gateway-CCCC.mjs': 'export const gateway = 2;\n', 'mqtt-BBBB.mjs': v1['mqtt-BBBB.mjs'] };
    files['/agent/chunks/gateway-CCCC.mjs'] = v2['gateway-CCCC.mjs'];
    const second = await install(root, fakeAgent(v2));
    expect(second.code, second.stderr).toBe(0);
    expect((await readdir(chunks)).sort()).toEqual(['gateway-CCCC.mjs', 'mqtt-BBBB.mjs']);
  });

  it('refuses a chunk whose sha256 differs from the one the main file gives, and installs nothing', async () => {
    const root = join(dir, 'tampered');
    const chunks = { 'gateway-DDDD.mjs': 'export const gateway = 3;\n' };
    files = { '/agent/chunks/gateway-DDDD.mjs': 'export const gateway = "altered";\n' };
    const run = await install(root, fakeAgent(chunks));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      `sha256 mismatch for ${url}/agent/chunks/gateway-DDDD.mjs: expected ${sha256(chunks['gateway-DDDD.mjs'])}`,
    );
    expect(existsSync(join(root, 'opt/edgewatch'))).toBe(false);
  });
});

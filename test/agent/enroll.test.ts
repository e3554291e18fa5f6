import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { startServer, type RecordedRequest, type Reply } from './helpers/http-server.ts';
import { isolatedEnv, runCli } from './helpers/run-cli.ts';
import { cliSandbox } from './helpers/cli-sandbox.ts';

const sb = cliSandbox();

const enrollServer = (reply?: (req: RecordedRequest) => Reply) =>
  startServer(
    reply ??
      (() => ({
        status: 201,
        body: { deviceId: 'dev_42', deviceToken: 'ewd.secret', orgId: 'org_1', siteId: null, kind: 'host' },
      })),
  );

describe('edgewatch-agent enroll', () => {
  it('exchanges the token and writes the device credentials and the state folder with mode 0600', async () => {
    sb.server = await enrollServer();
    const config = join(sb.dir, 'conf', 'agent.json');
    const { code, stdout, stderr } = await runCli(
      ['enroll', '--url', `${sb.server.url}/`, '--token', 'enroll-token-123', '--name', 'web-1', '--config', config],
      isolatedEnv(sb.dir),
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('Enrolled as device dev_42');

    const [req] = sb.server.requests;
    expect(req?.path).toBe('/v1/agents/enroll');
    // No kind: the token's decides (a gateway enrollment token makes a gateway).
    expect(req?.json).toEqual({ token: 'enroll-token-123', name: 'web-1', agentVersion: pkg.version });
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(config, 'utf8'))).toEqual({
      url: sb.server.url,
      deviceId: 'dev_42',
      deviceToken: 'ewd.secret',
      name: 'web-1',
      // The default state folder, recorded so that run, status and check agree on it.
      spoolDir: join(sb.dir, 'state', 'edgewatch'),
    });
  });

  it('keeps an existing enrollment for the same URL unless --force, and keeps other settings', async () => {
    sb.server = await enrollServer();
    const config = join(sb.dir, 'agent.json');
    await writeFile(
      config,
      JSON.stringify({ url: sb.server.url, deviceId: 'dev_old', deviceToken: 'old', intervalSeconds: 30 }),
    );

    const again = await runCli(['enroll', '--url', sb.server.url, '--token', 'enroll-token-123', '--config', config]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Already enrolled as device dev_old');
    expect(sb.server.requests).toHaveLength(0);

    const forced = await runCli([
      'enroll',
      '--url',
      sb.server.url,
      '--token',
      'enroll-token-123',
      '--config',
      config,
      '--force',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(sb.server.requests).toHaveLength(1);
    expect(JSON.parse(await readFile(config, 'utf8'))).toMatchObject({
      deviceId: 'dev_42',
      deviceToken: 'ewd.secret',
      intervalSeconds: 30,
    });
  });

  it('reports the sb.server refusing the token and writes nothing', async () => {
    sb.server = await enrollServer(() => ({
      status: 401,
      body: { error: { code: 'invalid_token', message: 'enrollment token is unknown or expired' } },
    }));
    const config = join(sb.dir, 'agent.json');
    const { code, stderr } = await runCli([
      'enroll',
      '--url',
      sb.server.url,
      '--token',
      'enroll-token-123',
      '--config',
      config,
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain('401 invalid_token: enrollment token is unknown or expired');
    await expect(stat(config)).rejects.toThrow(/ENOENT/);
  });

  it('names a bad --url with an example', async () => {
    const { code, stderr } = await runCli(['enroll', '--url', 'edgewatch.example.com', '--token', 'enroll-token-123']);
    expect(code).toBe(2);
    expect(stderr).toContain('--url "edgewatch.example.com" is not an http(s) URL');
    expect(stderr).toContain('Example: edgewatch-agent enroll --url https://');
  });

  it('asks for the missing --token', async () => {
    const { code, stderr } = await runCli(['enroll', '--url', 'https://edgewatch.example.com']);
    expect(code).toBe(2);
    expect(stderr).toContain('enroll needs --url and --token');
  });
});

import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfigPath, loadConfig, writeConfigFile } from '../../agent/src/config.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewatch-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fileWith = async (data: unknown) => {
  const path = join(dir, 'agent.json');
  await writeFile(path, typeof data === 'string' ? data : JSON.stringify(data));
  return path;
};
const enrolled = { url: 'https://ew.example.com/', deviceId: 'dev_1', deviceToken: 'secret-1', name: 'web-1' };
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as Error).message;
};

describe('agent config', () => {
  it('reads the file, fills defaults and normalises the URL', async () => {
    const path = await fileWith(enrolled);
    const { config } = await loadConfig({ path, env: {} });
    expect(config).toEqual({
      ...enrolled,
      url: 'https://ew.example.com',
      intervalSeconds: 10,
      logLevel: 'info',
      spoolDir: join(homedir(), '.local', 'state', 'edgewatch'),
      spoolMaxBytes: 64 * 1024 * 1024,
      fsync: 'batch',
      transport: 'https',
      configPollSeconds: 60,
    });
  });

  it('reads spool and transport settings from the file, and lets the environment override them', async () => {
    const fromFile = {
      spoolDir: '/var/spool/ew',
      spoolMaxBytes: 8_388_608,
      fsync: 'always',
      transport: 'mqtt',
      mqttProtocol: 4,
      configPollSeconds: 30,
    };
    const path = await fileWith({ ...enrolled, ...fromFile });
    expect((await loadConfig({ path, env: {} })).config).toMatchObject(fromFile);
    const env = {
      EDGEWATCH_SPOOL_DIR: '/srv/ew',
      EDGEWATCH_SPOOL_MAX_BYTES: '2097152',
      EDGEWATCH_FSYNC: 'never',
      EDGEWATCH_TRANSPORT: 'https',
      EDGEWATCH_MQTT_PROTOCOL: '5',
      EDGEWATCH_CONFIG_POLL: '5',
    };
    expect((await loadConfig({ path, env })).config).toMatchObject({
      spoolDir: '/srv/ew',
      spoolMaxBytes: 2_097_152,
      fsync: 'never',
      transport: 'https',
      mqttProtocol: 5,
      configPollSeconds: 5,
    });
  });

  it('puts the spool in the systemd state directory, else the XDG state home, else next to a relative file path', async () => {
    const path = await fileWith(enrolled);
    const spoolDir = async (env: NodeJS.ProcessEnv, file = path) =>
      (await loadConfig({ path: file, env })).config.spoolDir;
    expect(await spoolDir({ STATE_DIRECTORY: '/var/lib/edgewatch:/var/lib/other', XDG_STATE_HOME: '/x' })).toBe(
      '/var/lib/edgewatch',
    );
    expect(await spoolDir({ XDG_STATE_HOME: '/home/u/.state' })).toBe('/home/u/.state/edgewatch');
    expect(await spoolDir({ STATE_DIRECTORY: '/var/lib/edgewatch', EDGEWATCH_SPOOL_DIR: '/opt/s' })).toBe('/opt/s');
    const relative = await fileWith({ ...enrolled, spoolDir: 'state' });
    expect(await spoolDir({}, relative)).toBe(join(dir, 'state'));
  });

  it('names bad spool and transport values with examples', async () => {
    const path = await fileWith({ ...enrolled, fsync: 'sometimes', mqttProtocol: 3 });
    const env = { EDGEWATCH_SPOOL_MAX_BYTES: '64MB', EDGEWATCH_TRANSPORT: 'amqp' };
    const message = await failure(loadConfig({ path, env }));
    expect(message).toContain('EDGEWATCH_SPOOL_MAX_BYTES="64MB"');
    expect(message).toContain('example: EDGEWATCH_SPOOL_MAX_BYTES=67108864');
    expect(message).toContain('EDGEWATCH_TRANSPORT="amqp": transport must be https or mqtt');
    expect(message).toContain(`${path}: "fsync": "sometimes": fsync must be one of always, batch, never`);
    expect(message).toContain(
      `${path}: "mqttProtocol": 3: mqttProtocol must be 4 (MQTT 3.1.1) or 5 (example: "mqttProtocol": 5`,
    );
  });

  it('lets the environment override the file', async () => {
    const path = await fileWith({ ...enrolled, intervalSeconds: 5, logLevel: 'warn' });
    const env = {
      EDGEWATCH_URL: 'http://localhost:8787',
      EDGEWATCH_TOKEN: 'env-token',
      EDGEWATCH_INTERVAL: '30',
      EDGEWATCH_LOG_LEVEL: 'debug',
    };
    const { config } = await loadConfig({ path, env });
    expect(config).toMatchObject({
      url: 'http://localhost:8787',
      deviceToken: 'env-token',
      intervalSeconds: 30,
      logLevel: 'debug',
      deviceId: 'dev_1',
    });
  });

  it('treats an empty environment variable as unset', async () => {
    const path = await fileWith(enrolled);
    const { config } = await loadConfig({ path, env: { EDGEWATCH_INTERVAL: '', EDGEWATCH_TOKEN: '' } });
    expect(config).toMatchObject({ intervalSeconds: 10, deviceToken: 'secret-1' });
  });

  it('runs from the environment alone when the default file does not exist', async () => {
    const env = { XDG_CONFIG_HOME: dir, EDGEWATCH_URL: 'http://127.0.0.1:9', EDGEWATCH_TOKEN: 't' };
    const { config, path } = await loadConfig({ env });
    expect(path).toBe(join(dir, 'edgewatch', 'agent.json'));
    expect(config).toMatchObject({ url: 'http://127.0.0.1:9', deviceToken: 't', intervalSeconds: 10 });
    expect(config.spoolDir).toBe(join(homedir(), '.local', 'state', 'edgewatch'));
  });

  it('uses $EDGEWATCH_CONFIG as the path, and --config before it', async () => {
    const path = await fileWith(enrolled);
    expect(defaultConfigPath({ EDGEWATCH_CONFIG: path })).toBe(path);
    expect((await loadConfig({ env: { EDGEWATCH_CONFIG: path } })).config.deviceId).toBe('dev_1');
    const other = join(dir, 'other.json');
    await writeFile(other, JSON.stringify({ ...enrolled, deviceId: 'dev_2' }));
    expect((await loadConfig({ path: other, env: { EDGEWATCH_CONFIG: path } })).config.deviceId).toBe('dev_2');
  });

  it('names a bad environment value and shows an example', async () => {
    const path = await fileWith(enrolled);
    const message = await failure(
      loadConfig({ path, env: { EDGEWATCH_INTERVAL: 'ten', EDGEWATCH_LOG_LEVEL: 'loud' } }),
    );
    expect(message).toContain('EDGEWATCH_INTERVAL="ten"');
    expect(message).toContain('example: EDGEWATCH_INTERVAL=10');
    expect(message).toContain('EDGEWATCH_LOG_LEVEL="loud"');
    expect(message).toContain('debug, info, warn, error');
  });

  it('names a bad file value with the file and an example', async () => {
    const path = await fileWith({ ...enrolled, intervalSeconds: 0, url: 'ftp://x' });
    const message = await failure(loadConfig({ path, env: {} }));
    expect(message).toContain(`${path}: "intervalSeconds": 0`);
    expect(message).toContain('"intervalSeconds": 10');
    expect(message).toContain(`${path}: "url": "ftp://x"`);
  });

  it('names an unknown field in the file', async () => {
    const path = await fileWith({ ...enrolled, intervalSecs: 5 });
    expect(await failure(loadConfig({ path, env: {} }))).toContain('unknown field "intervalSecs"');
  });

  it('says how to enroll when the device token is missing', async () => {
    const message = await failure(loadConfig({ env: { XDG_CONFIG_HOME: dir } }));
    expect(message).toContain('deviceToken is not set');
    expect(message).toContain('EDGEWATCH_TOKEN=');
    expect(message).toContain('edgewatch-agent enroll');
  });

  it('refuses a file that is not JSON, naming it', async () => {
    const path = await fileWith('{"url": ');
    expect(await failure(loadConfig({ path, env: {} }))).toContain(`config file ${path} is not valid JSON`);
  });

  it('refuses an explicit path that does not exist', async () => {
    const path = join(dir, 'missing.json');
    expect(await failure(loadConfig({ path, env: { EDGEWATCH_URL: 'http://x', EDGEWATCH_TOKEN: 't' } }))).toContain(
      `${path} does not exist`,
    );
  });

  it('writes the file with mode 0600 in a 0700 directory, whatever the umask', async () => {
    const previous = process.umask(0);
    try {
      const path = join(dir, 'nested', 'agent.json');
      await writeConfigFile(path, enrolled);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir, 'nested'))).mode & 0o777).toBe(0o700);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(enrolled);
    } finally {
      process.umask(previous);
    }
  });
});

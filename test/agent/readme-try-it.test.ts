import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliSandbox } from './helpers/cli-sandbox.ts';
import { startServer } from './helpers/http-server.ts';

const run = promisify(execFile);
const sb = cliSandbox();

/** The shell lines of the README's "Try it" block that talk to the platform npm start left running. */
async function tryItLines(): Promise<string[]> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /## Try it\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no "## Try it" sh block');
  return block.split('\n').filter((l) => l.trim() && !l.startsWith('#') && !/^(npm start|npx )/.test(l));
}

describe('README "Try it"', () => {
  it('reads the URL and the API key from .edgewatch/local.json, whatever port npm start chose', async () => {
    const lines = await tryItLines();
    expect(lines.join('\n')).not.toMatch(/localhost:\d+|127\.0\.0\.1:\d+/);

    sb.server = await startServer((req) =>
      req.headers.authorization === 'Bearer ewk_readme'
        ? { body: { devices: [{ id: 'dev_1' }] } }
        : { status: 401, body: { error: { code: 'unauthenticated', message: 'no key' } } },
    );
    await mkdir(join(sb.dir, '.edgewatch'));
    await writeFile(
      join(sb.dir, '.edgewatch', 'local.json'),
      JSON.stringify({ url: sb.server.url, apiKey: 'ewk_readme' }),
    );
    const { stdout } = await run('sh', ['-euc', lines.join('\n')], { cwd: sb.dir });
    expect(JSON.parse(stdout)).toEqual({ devices: [{ id: 'dev_1' }] });
    expect(sb.server.requests.map((r) => r.path)).toEqual(['/v1/devices']);
  });
});

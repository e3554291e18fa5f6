/**
 * Puts the agent where the Worker serves it: the bundle, its sha256 and the install script's
 * templates, under `agent/` in the dashboard's static assets. `GET /install.sh` reads the
 * templates and the sha256 from there; the bundle is downloaded as a plain asset.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Copies the built agent into `<assets>/agent/` and returns the bundle's sha256. */
export async function publishAgent(
  options: { bundle?: string; assetsDir?: string } = {},
): Promise<{ dir: string; sha256: string }> {
  const bundle = options.bundle ?? join(ROOT, 'agent/dist/edgewatch-agent.js');
  const dir = join(options.assetsDir ?? join(ROOT, 'workers/dashboard/dist'), 'agent');
  await mkdir(dir, { recursive: true });
  const bytes = await readFile(bundle);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  await writeFile(join(dir, 'edgewatch-agent.js'), bytes);
  // sha256sum's format, so `sha256sum -c edgewatch-agent.js.sha256` checks a manual download.
  await writeFile(join(dir, 'edgewatch-agent.js.sha256'), `${sha256}  edgewatch-agent.js\n`);
  // `.in`: the template is not runnable as is; only the /install.sh route fills it in.
  await copyFile(join(ROOT, 'agent/install/install.sh'), join(dir, 'install.sh.in'));
  await copyFile(join(ROOT, 'agent/install/edgewatch-agent.service'), join(dir, 'edgewatch-agent.service'));
  return { dir, sha256 };
}

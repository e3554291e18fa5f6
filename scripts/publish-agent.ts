/**
 * Puts the agent where the Worker serves it: the bundle (its main file and the chunks it names),
 * the main file's sha256 and the install script's templates, under `agent/` in the dashboard's
 * static assets. `GET /install.sh` reads the templates and the sha256 from there; the bundle's
 * files are downloaded as plain assets (install.sh verifies each chunk against the sha256 the
 * verified main file gives for it).
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_CHUNKS_DIR, agentChunks } from './build.ts';

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
  await rm(join(dir, AGENT_CHUNKS_DIR), { recursive: true, force: true });
  await mkdir(join(dir, AGENT_CHUNKS_DIR), { recursive: true });
  for (const chunk of agentChunks(bytes.toString('utf8'))) {
    await copyFile(join(dirname(bundle), chunk.path), join(dir, chunk.path));
  }
  // sha256sum's format, so `sha256sum -c edgewatch-agent.js.sha256` checks a manual download.
  await writeFile(join(dir, 'edgewatch-agent.js.sha256'), `${sha256}  edgewatch-agent.js\n`);
  // `.in`: the template is not runnable as is; only the /install.sh route fills it in.
  await copyFile(join(ROOT, 'agent/install/install.sh'), join(dir, 'install.sh.in'));
  await copyFile(join(ROOT, 'agent/install/edgewatch-agent.service'), join(dir, 'edgewatch-agent.service'));
  return { dir, sha256 };
}

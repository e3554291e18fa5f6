import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { experimental_readRawConfig } from 'wrangler';
import { ROOT } from './wrangler-cli.ts';

/** The committed config: the deploy reads it and never writes it. */
export const SOURCE_CONFIG = join(ROOT, 'wrangler.toml');

/** The files a deploy from one wrangler config uses, all beside it. */
export interface DeployPaths {
  /** The config as committed. */
  source: string;
  /**
   * The config handed to wrangler: the source with the real database ids. It sits beside the
   * source, because wrangler resolves `main`, `[assets] directory` and `migrations_dir` relative
   * to the config file; a copy elsewhere would need every path rewritten. Git ignores it. (Not
   * `.wrangler/deploy/config.json`: wrangler would redirect every command to that one.)
   */
  generated: string;
  /** New secrets wait here for the deploy that uploads them (0600, removed right after). */
  secretsFile: string;
}

export function deployPaths(source = SOURCE_CONFIG): DeployPaths {
  const dir = dirname(source);
  return {
    source,
    generated: join(dir, `.${basename(source, extname(source))}.deploy.toml`),
    secretsFile: join(dir, '.wrangler', 'edgewatch-deploy', 'secrets.json'),
  };
}

export interface Database {
  binding: string;
  name: string;
  /** Where its migrations are, if it has any. */
  migrationsDir: string | undefined;
}

/** What wrangler.toml asks Cloudflare for: the resources a deploy creates or reuses. */
export interface DeployPlan {
  worker: string;
  /** `account_id` in the config, if any (else wrangler's login or CLOUDFLARE_ACCOUNT_ID picks it). */
  accountId: string | undefined;
  databases: Database[];
  /** Every queue named by a producer, a consumer or as a dead-letter queue, once each. */
  queues: string[];
  /** `[secrets] required`: the deploy refuses to finish without them. */
  secrets: string[];
  vars: Record<string, unknown>;
}

interface RawConfig {
  name?: string;
  account_id?: string;
  d1_databases?: { binding: string; database_name?: string; database_id?: string; migrations_dir?: string }[];
  queues?: {
    producers?: { queue: string }[];
    consumers?: { queue: string; dead_letter_queue?: string }[];
  };
  secrets?: { required?: string[] };
  vars?: Record<string, unknown>;
}

const readRaw = (path: string) => experimental_readRawConfig({ config: path }).rawConfig as RawConfig;

/** Reads the plan from a wrangler config, failing on what a deploy cannot work with. */
export function readPlan(path: string): DeployPlan {
  const raw = readRaw(path);
  if (!raw.name) throw new Error(`${path} has no Worker name; add one, e.g. name = "edgewatch"`);
  const databases = (raw.d1_databases ?? []).map((db) => {
    if (!db.database_name) {
      throw new Error(
        `${path}: D1 binding ${db.binding} has no database_name; add one, e.g. database_name = "edgewatch"`,
      );
    }
    return { binding: db.binding, name: db.database_name, migrationsDir: db.migrations_dir };
  });
  const consumers = raw.queues?.consumers ?? [];
  const queues = [
    ...(raw.queues?.producers ?? []).map((p) => p.queue),
    ...consumers.map((c) => c.queue),
    ...consumers.flatMap((c) => (c.dead_letter_queue ? [c.dead_letter_queue] : [])),
  ];
  return {
    worker: raw.name,
    accountId: raw.account_id,
    databases,
    queues: [...new Set(queues)],
    secrets: raw.secrets?.required ?? [],
    vars: raw.vars ?? {},
  };
}

const TABLE_HEADER = /^\s*\[/;
const D1_HEADER = /^\s*\[\[\s*d1_databases\s*\]\]/;
const keyLine = (key: string) => new RegExp(`^(\\s*${key}\\s*=\\s*)(["'])(.*?)\\2`);

/**
 * wrangler.toml's text with each `[[d1_databases]]` table's `database_id` set from `ids` (by
 * database name). The text is edited rather than re-serialised, so comments and every other
 * setting carry over exactly as committed.
 */
export function withDatabaseIds(toml: string, ids: ReadonlyMap<string, string>): string {
  const lines = toml.split('\n');
  let table: { header: number; name?: string; idLine?: number } | undefined;
  const edits: { header: number; name?: string; idLine?: number }[] = [];
  lines.forEach((line, i) => {
    if (TABLE_HEADER.test(line)) {
      if (table) edits.push(table);
      table = D1_HEADER.test(line) ? { header: i } : undefined;
      return;
    }
    if (!table) return;
    const name = keyLine('database_name').exec(line);
    if (name) table.name = name[3];
    if (keyLine('database_id').test(line)) table.idLine = i;
  });
  if (table) edits.push(table);
  // From the bottom up, so an inserted line does not move the ones still to edit.
  for (const { header, name, idLine } of edits.reverse()) {
    const id = name === undefined ? undefined : ids.get(name);
    if (id === undefined) continue;
    if (idLine === undefined) lines.splice(header + 1, 0, `database_id = "${id}"`);
    else lines[idLine] = lines[idLine]!.replace(keyLine('database_id'), `$1"${id}"`);
  }
  return lines.join('\n');
}

const GENERATED_NOTE =
  '# Generated by `npm run deploy` from wrangler.toml, with the real D1 database ids. Do not edit or\n' +
  '# commit it: change wrangler.toml, and the next deploy writes this file again.\n';

/**
 * Writes the generated config: the source with the databases' real ids. Read back through
 * wrangler's own parser, so a config the edit could not reach fails here, by name, rather than
 * deploying against the placeholder id.
 */
export async function writeDeployConfig(paths: DeployPaths, ids: ReadonlyMap<string, string>) {
  const text = withDatabaseIds(await readFile(paths.source, 'utf8'), ids);
  await writeFile(paths.generated, GENERATED_NOTE + text);
  for (const db of readRaw(paths.generated).d1_databases ?? []) {
    const want = db.database_name === undefined ? undefined : ids.get(db.database_name);
    if (want !== undefined && db.database_id !== want) {
      throw new Error(
        `could not set database_id of ${db.database_name} in ${paths.generated}; declare it in ` +
          `${basename(paths.source)} as a [[d1_databases]] table with database_name = "${db.database_name}"`,
      );
    }
  }
}

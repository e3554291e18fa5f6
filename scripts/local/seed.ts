import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hashPassword, newId, randomToken, sha256Hex } from '../../workers/src/services/credentials/crypto.ts';
import { apiKeyPrefix, newApiKey, newEnrollmentToken } from '../../workers/src/services/credentials/tokens.ts';

/** Everything a local platform needs to start: one org, its admin, an API key, an enrollment token. */
export interface Seed {
  orgId: string;
  userId: string;
  email: string;
  password: string;
  apiKeyId: string;
  apiKey: string;
  enrollmentTokenId: string;
  enrollmentToken: string;
}

export function newSeed(email = 'admin@edgewatch.local'): Seed {
  return {
    orgId: newId('org'),
    userId: newId('usr'),
    email,
    password: randomToken(12),
    apiKeyId: newId('key'),
    apiKey: newApiKey(),
    enrollmentTokenId: newId('enr'),
    enrollmentToken: newEnrollmentToken(),
  };
}

const q = (s: string | number | null) =>
  s === null ? 'NULL' : typeof s === 'number' ? String(s) : `'${s.replace(/'/g, "''")}'`;

/** Idempotent SQL (INSERT OR IGNORE) that creates the seed's rows, storing only hashes of secrets. */
export async function seedSql(seed: Seed, now = Date.now()): Promise<string> {
  const tenYears = now + 10 * 365 * 24 * 3600 * 1000;
  return [
    `INSERT OR IGNORE INTO organisations (id, name, created_at) VALUES (${q(seed.orgId)}, 'Local', ${now});`,
    `INSERT OR IGNORE INTO users (id, email, name, password_hash, created_at) VALUES (${q(seed.userId)}, ${q(seed.email)}, 'Admin', ${q(await hashPassword(seed.password))}, ${now});`,
    `INSERT OR IGNORE INTO memberships (org_id, user_id, role, created_at) VALUES (${q(seed.orgId)}, ${q(seed.userId)}, 'owner', ${now});`,
    `INSERT OR IGNORE INTO api_keys (id, org_id, name, prefix, key_hash, scopes, created_by, created_at) VALUES (${q(seed.apiKeyId)}, ${q(seed.orgId)}, 'local admin', ${q(apiKeyPrefix(seed.apiKey))}, ${q(await sha256Hex(seed.apiKey))}, '["read","write","admin"]', ${q(seed.userId)}, ${now});`,
    `INSERT OR IGNORE INTO enrollment_tokens (id, org_id, token_hash, kind, max_uses, uses, expires_at, created_at) VALUES (${q(seed.enrollmentTokenId)}, ${q(seed.orgId)}, ${q(await sha256Hex(seed.enrollmentToken))}, 'host', NULL, 0, ${tenYears}, ${now});`,
  ].join('\n');
}

/** Reads a JSON file, or returns undefined when it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Writes a secret-bearing JSON file readable by its owner only (0600). */
export async function writeSecretJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}

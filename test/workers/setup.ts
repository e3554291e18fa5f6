import { applyD1Migrations, env } from 'cloudflare:test';

// Every test file gets its own storage; apply the real migrations to it first.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

import { defineConfig } from 'drizzle-kit';

// Migrations land in the folder wrangler applies (`migrations_dir` in wrangler.toml).
export default defineConfig({
  dialect: 'sqlite',
  schema: './schema/index.ts',
  out: './schema/migrations',
});

import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

const migrations = await readD1Migrations('schema/migrations');

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.toml' },
            // Stream tests count frames per publish; the coalescing interval has its own test (stream-batching).
            miniflare: { bindings: { TEST_MIGRATIONS: migrations, STREAM_FLUSH_MS: '0' } },
          }),
        ],
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          setupFiles: ['test/workers/setup.ts'],
          // mqtt-packet's CommonJS dependency tree fails to load in the Workers runtime unless pre-bundled.
          deps: { optimizer: { ssr: { enabled: true, include: ['mqtt-packet'] } } },
        },
      },
      {
        test: {
          name: 'agent',
          environment: 'node',
          include: ['test/agent/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'docs',
          environment: 'node',
          include: ['test/docs/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'clients',
          environment: 'node',
          include: ['test/clients/**/*.test.ts'],
          typecheck: { enabled: true, include: ['test/clients/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
        },
      },
      {
        test: {
          // The dashboard's logic that needs no browser (rates, the shared stream's fan-out).
          name: 'dashboard',
          environment: 'node',
          include: ['test/dashboard/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // The end-to-end files each start a Worker; running them one at a time keeps the two cores free.
          fileParallelism: false,
        },
      },
    ],
  },
});

import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { DNS_RESOLVER, outbound } from './test/workers/notify-outbound.ts';

const migrations = await readD1Migrations('schema/migrations');

// wrangler.toml requires this secret (webhook signing secrets are stored under it): tests get a fixed
// one, unless a developer's .dev.vars or environment has one already.
process.env.WEBHOOK_SECRETS_KEY ??= 'dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0cy1rZXktMzI=';

/** A project of Workers tests in workerd, with real D1 and Durable Objects, and these `[vars]` over wrangler.toml's. */
function workersProject(name: string, include: string[], bindings: Record<string, string>, exclude: string[] = []) {
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          // Stream tests count frames per publish; the coalescing interval has its own test (stream-batching).
          bindings: { TEST_MIGRATIONS: migrations, STREAM_FLUSH_MS: '0', ...bindings },
          outboundService: outbound,
        },
      }),
    ],
    test: {
      name,
      include,
      exclude,
      setupFiles: ['test/workers/setup.ts'],
      // mqtt-packet's CommonJS dependency tree fails to load in the Workers runtime unless pre-bundled.
      // standardwebhooks (CommonJS too) loads either way; pre-bundled, vite stops warning about its source maps.
      deps: { optimizer: { ssr: { enabled: true, include: ['mqtt-packet', 'standardwebhooks'] } } },
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      workersProject(
        'workers',
        ['test/workers/**/*.test.ts'],
        {
          // Webhooks: outbound fetches (the DNS-over-HTTPS resolver, receivers) are answered by a stub
          // world in this process, so no test depends on the network.
          WEBHOOK_DNS_RESOLVER: DNS_RESOLVER,
        },
        // Their layout is the project below's.
        ['test/workers/stream-sharded*.test.ts'],
      ),
      // The live stream with publishers and viewers sharded (docs/stream-protocol.md, "Sharded layout"):
      // three publish shards and two relays per org. stream-sharded*.test.ts run only here; stream-events
      // runs in both, through the routing as in production.
      workersProject(
        'workers-sharded',
        ['test/workers/stream-sharded*.test.ts', 'test/workers/stream-events.test.ts'],
        {
          STREAM_PUBLISH_SHARDS: '3',
          STREAM_RELAYS: '2',
        },
      ),
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

import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { doc } from '../openapi/doc.ts';
import { isPlainOrigin, parseSha256File, renderInstallScript } from '../services/agents/install-script.ts';

/**
 * Where scripts/build.ts publishes the agent among the static assets. The bundle itself is
 * served from there as is; the other files are read here to build the script.
 */
export const AGENT_ASSETS = {
  bundle: '/agent/edgewatch-agent.js',
  sha256: '/agent/edgewatch-agent.js.sha256',
  template: '/agent/install.sh.in',
  unit: '/agent/edgewatch-agent.service',
} as const;

const invalidHost = (origin: string) =>
  new ApiError(400, 'invalid_host', `cannot build an install script for the origin ${JSON.stringify(origin)}`);
const agentNotBuilt = (path: string) =>
  new ApiError(
    503,
    'agent_not_built',
    `this deployment has no ${path}: build the agent into the assets with node scripts/build.ts all, then deploy`,
  );

/**
 * `GET /install.sh`: the installer, with this server's origin as its default `--url` and the
 * sha256 of the bundle at `/agent/edgewatch-agent.js` built in. A route rather than an asset
 * because both values are only known here. Never cached: a cached script would carry the
 * checksum of a bundle that a newer deploy replaced.
 */
export const installRoutes = new Hono<AppEnv>().get(
  '/',
  doc({
    operationId: 'getInstallScript',
    summary: 'The agent installer script',
    description:
      "Run as `curl -fsSL <origin>/install.sh | sh -s -- --token <enrollment token>`. Defaults to this server and checks the bundle's sha256.",
    tag: 'Agents',
    auth: 'none',
    query: z.strictObject({}),
    example: {},
    responses: {
      200: {
        description: 'A POSIX shell script',
        contentType: 'text/x-shellscript',
        example: '#!/bin/sh\n# Edgewatch agent installer\nset -eu\n…',
      },
      400: {
        description: 'The request came to an origin a script cannot name (not a plain scheme, host and port)',
        example: invalidHost('http://a b').body(),
      },
      503: {
        description: 'This deployment was built without the agent',
        example: agentNotBuilt(AGENT_ASSETS.template).body(),
      },
    },
  }),
  async (c) => {
    const origin = new URL(c.req.url).origin;
    if (!isPlainOrigin(origin)) {
      throw invalidHost(origin);
    }
    const read = async (path: string) => {
      const res = await c.env.ASSETS.fetch(new URL(path, c.req.url));
      if (!res.ok) {
        throw agentNotBuilt(path);
      }
      return res.text();
    };
    const [template, unit, sums] = await Promise.all([
      read(AGENT_ASSETS.template),
      read(AGENT_ASSETS.unit),
      read(AGENT_ASSETS.sha256),
    ]);
    const sha256 = parseSha256File(sums);
    if (!sha256) throw new ApiError(503, 'agent_not_built', `${AGENT_ASSETS.sha256} holds no sha256`);
    const script = renderInstallScript({ template, unit, url: origin, sha256 });
    return c.body(script, 200, { 'content-type': 'text/x-shellscript; charset=utf-8', 'cache-control': 'no-store' });
  },
);

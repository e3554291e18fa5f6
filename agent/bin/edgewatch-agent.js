#!/usr/bin/env node
// Runs the agent. In a checkout on a Node that strips types (≥ 22.18), the TypeScript source
// runs directly, so it is never stale; elsewhere (Node 20, installed copies) the built bundle.
import { existsSync } from 'node:fs';
import { URL } from 'node:url';

const source = new URL('../src/cli.ts', import.meta.url);
const bundle = new URL('../dist/edgewatch-agent.js', import.meta.url);

if (process.features.typescript && existsSync(source)) {
  await import(source.href);
} else if (existsSync(bundle)) {
  await import(bundle.href);
} else {
  console.error('edgewatch-agent: no build found. Build it with: node scripts/build.ts agent (needs Node >= 22.18)');
  process.exitCode = 1;
}

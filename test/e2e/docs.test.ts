import { Validator } from '@seriousme/openapi-schema-validator';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../scripts/build.ts';
import { launchBrowser } from './browser.ts';
import { startLocalPlatform, type LocalPlatform } from './local-platform.ts';

interface Document extends Record<string, unknown> {
  paths: Record<string, Record<string, { operationId: string; summary: string }>>;
}

let platform: LocalPlatform;
let browser: Browser;

beforeAll(async () => {
  await buildDashboard();
  platform = await startLocalPlatform();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

async function openApiDocument(): Promise<Document> {
  const res = await fetch(`${platform.url}/v1/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

describe('GET /v1/openapi.json', () => {
  it('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(await openApiDocument());
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });
});

describe('/docs', () => {
  it('renders every operation of the document from local assets only, without console errors', async () => {
    const doc = await openApiDocument();
    const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('console', (msg) => msg.type() === 'error' && problems.push(msg.text()));
    page.on('pageerror', (err) => problems.push(err.message));

    const res = await page.goto(`${platform.url}/docs`);
    expect(res?.status()).toBe(200);
    await page.getByTestId('operation').first().waitFor();
    expect(await page.getByTestId('operation').count()).toBe(operations);

    const devices = page.locator('[data-testid="operation"][data-method="GET"][data-path="/v1/devices"]');
    await devices.scrollIntoViewIfNeeded();
    expect(await devices.isVisible()).toBe(true);
    expect(await devices.locator('.summary').textContent()).toBe(doc.paths['/v1/devices']!.get!.summary);
    expect(await devices.locator('.auth').textContent()).toContain('scope read');

    const createKey = page.locator('[data-testid="operation"][data-method="POST"][data-path="/v1/api-keys"]');
    expect(JSON.parse((await createKey.locator('.example pre').first().textContent())!)).toEqual({
      name: 'grafana',
      scopes: ['read'],
    });

    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith(`${platform.url}/`))).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});

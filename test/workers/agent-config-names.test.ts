import { beforeAll, describe, expect, it } from 'vitest';
import { api, seedOrg, type TestOrg } from './helpers.ts';

let org: TestOrg;

beforeAll(async () => {
  org = await seedOrg();
});

const put = (path: string, body: unknown) =>
  api(org.apiKey, path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

// A name is a label value: two entries of one name would send one series twice at one ts, and ingest refuses that.
describe('PUT /v1/agent-config names', () => {
  it.each([
    [
      'process watches',
      {
        processes: [
          { name: 'web', match: 'nginx' },
          { name: 'web', match: 'caddy' },
        ],
      },
      'processes.1.name',
    ],
    [
      'probes',
      {
        probes: [
          { type: 'http', name: 'site', url: 'https://example.com/' },
          { type: 'tcp', name: 'site', host: 'example.com', port: 443 },
        ],
      },
      'probes.1.name',
    ],
  ])('refuses two %s of one name, naming the second', async (_what, body, field) => {
    const res = await put('/v1/agent-config', body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field } });
  });

  it('accepts distinct names', async () => {
    const res = await put('/v1/agent-config', {
      processes: [
        { name: 'web', match: 'nginx' },
        { name: 'proxy', match: 'caddy' },
      ],
    });
    expect(res.status).toBe(200);
  });
});

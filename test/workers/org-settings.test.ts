import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, seedOrg, type TestOrg } from './helpers.ts';

let org: TestOrg;
let other: TestOrg;
let readOnly: TestOrg;

beforeAll(async () => {
  org = await seedOrg();
  other = await seedOrg();
  readOnly = await seedOrg(['read']);
});

const patch = (key: string, body: unknown) =>
  api(key, '/v1/org/settings', {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const settings = async (key: string) => (await api(key, '/v1/org/settings')).json();

describe('GET /v1/org/settings', () => {
  it('shows the default retention of a new organisation', async () => {
    const res = await api(readOnly.apiKey, '/v1/org/settings');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      retention: { rawDays: 30, rollup1mDays: 90, rollup1hDays: 730, rollup1dDays: null },
    });
  });

  it('refuses a request without credentials', async () => {
    const res = await SELF.fetch('http://test/v1/org/settings');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthenticated' } });
  });
});

describe('PATCH /v1/org/settings', () => {
  it("changes the given windows, keeps the others, and leaves other organisations' settings alone", async () => {
    const res = await patch(org.apiKey, { retention: { rawDays: 7, rollup1dDays: 3650 } });
    expect(res.status).toBe(200);
    const expected = { retention: { rawDays: 7, rollup1mDays: 90, rollup1hDays: 730, rollup1dDays: 3650 } };
    expect(await res.json()).toEqual(expected);
    expect(await settings(org.apiKey)).toEqual(expected);
    expect(await settings(other.apiKey)).toEqual({
      retention: { rawDays: 30, rollup1mDays: 90, rollup1hDays: 730, rollup1dDays: null },
    });
  });

  it('sets daily rollups back to forever with null', async () => {
    const res = await patch(org.apiKey, { retention: { rollup1dDays: null } });
    expect(res.status).toBe(200);
    expect(await settings(org.apiKey)).toMatchObject({ retention: { rollup1dDays: null } });
  });

  it.each([
    [{ retention: { rawDays: 0 } }, 'retention.rawDays'],
    [{ retention: { rawDays: 3651 } }, 'retention.rawDays'],
    [{ retention: { rawDays: 1.5 } }, 'retention.rawDays'],
    [{ retention: { rollup1mDays: '90' } }, 'retention.rollup1mDays'],
    [{ retention: { rollup1hDays: null } }, 'retention.rollup1hDays'],
    [{ retention: { keepForever: true } }, 'retention.keepForever'],
    [{}, 'retention'],
    // Ordering, against the stored values: raw 7, 1m 90, 1h 730, 1d forever.
    [{ retention: { rawDays: 91 } }, 'retention.rawDays'],
    [{ retention: { rollup1mDays: 6 } }, 'retention.rollup1mDays'],
    [{ retention: { rollup1hDays: 89 } }, 'retention.rollup1hDays'],
    [{ retention: { rollup1dDays: 729 } }, 'retention.rollup1dDays'],
    [{ retention: { rawDays: 100, rollup1mDays: 50 } }, 'retention.rollup1mDays'],
  ])('refuses %j with a 400 naming %s and changes nothing', async (body, field) => {
    const before = await settings(org.apiKey);
    const res = await patch(org.apiKey, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input', field } });
    expect(await settings(org.apiKey)).toEqual(before);
  });

  it('accepts windows that keep the ordering with equal values', async () => {
    const body = { retention: { rawDays: 90, rollup1mDays: 90, rollup1hDays: 90, rollup1dDays: 90 } };
    const res = await patch(org.apiKey, body);
    expect(res.status).toBe(200);
    expect(await settings(org.apiKey)).toEqual(body);
  });

  it('refuses a read-only key with 403', async () => {
    const res = await patch(readOnly.apiKey, { retention: { rawDays: 5 } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect(await settings(readOnly.apiKey)).toMatchObject({ retention: { rawDays: 30 } });
  });

  it('refuses a request without credentials', async () => {
    const res = await SELF.fetch('http://test/v1/org/settings', {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retention: { rawDays: 5 } }),
    });
    expect(res.status).toBe(401);
  });
});

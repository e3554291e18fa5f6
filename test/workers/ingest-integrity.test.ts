import { env, runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };
const now = Date.now();

const stats = () => deviceHubFor(env, device.deviceId).stats();

async function latest(metric: string): Promise<{ value: number; labels: Record<string, string> }[]> {
  const res = await api(org.apiKey, `/v1/devices/${device.deviceId}/latest`);
  const { values } = (await res.json()) as {
    values: { metric: string; value: number; labels: Record<string, string> }[];
  };
  return values.filter((v) => v.metric === metric);
}

async function expectError(res: Response, status: number, code: string, field: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect(body.error).toMatchObject({ code, field });
  return body.error.message;
}

beforeAll(async () => {
  org = await seedOrg();
  device = await enroll(org, 'integrity');
});

describe('POST /v1/ingest label names', () => {
  it('refuses a __proto__ label, names it, and leaves the unlabelled series alone', async () => {
    expect(
      (await ingest(device.deviceToken, batch('lbl-plain', [{ metric: 'temp', ts: now - 5000, value: 1 }]))).status,
    ).toBe(200);
    const before = await stats();
    const raw = `{"batchId":"lbl-proto","samples":[{"metric":"temp","ts":${now - 4000},"value":99,"labels":{"__proto__":"evil"}}]}`;
    await expectError(await ingest(device.deviceToken, raw), 400, 'invalid_input', 'samples.0.labels.__proto__');
    expect(await stats()).toEqual(before);
    expect(await latest('temp')).toEqual([expect.objectContaining({ value: 1, labels: {} })]);
  });

  it('refuses a __proto__ label whose value is not a string', async () => {
    const raw = `{"batchId":"lbl-proto-obj","samples":[{"metric":"temp","ts":${now - 3000},"value":2,"labels":{"a":"b","__proto__":{"x":1}}}]}`;
    await expectError(await ingest(device.deviceToken, raw), 400, 'invalid_input', 'samples.0.labels.__proto__');
  });

  it.each([
    ['a reserved __ prefix', '__name__'],
    ['a dash', 'mount-point'],
    ['a leading digit', '1st'],
  ])('refuses a label name with %s', async (_what, name) => {
    const body = batch(`lbl-${name}`, [{ metric: 'temp', ts: now - 2000, value: 3, labels: { [name]: 'x' } }]);
    await expectError(await ingest(device.deviceToken, body), 400, 'invalid_input', `samples.0.labels.${name}`);
  });

  it('still accepts ordinary label names, including constructor', async () => {
    const body = batch('lbl-ok', [
      { metric: 'temp', ts: now - 2000, value: 4, labels: { constructor: 'x', _probe: 'y' } },
    ]);
    expect((await ingest(device.deviceToken, body)).status).toBe(200);
    expect(await latest('temp')).toContainEqual(
      expect.objectContaining({ value: 4, labels: { constructor: 'x', _probe: 'y' } }),
    );
  });
});

describe('POST /v1/ingest batch ids', () => {
  it('acknowledges the same id with the same samples as a duplicate, whatever the label order', async () => {
    const first = batch('id-same', [{ metric: 'load', ts: now - 1000, value: 1, labels: { a: '1', b: '2' } }]);
    const again = batch('id-same', [{ metric: 'load', ts: now - 1000, value: 1, labels: { b: '2', a: '1' } }]);
    expect((await ingest(device.deviceToken, first)).status).toBe(200);
    const res = await ingest(device.deviceToken, again);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ batchId: 'id-same', accepted: 0, duplicate: true });
  });

  it('refuses the same id with other samples as batch_conflict and stores nothing of it', async () => {
    expect(
      (await ingest(device.deviceToken, batch('id-reused', [{ metric: 'load', ts: now - 900, value: 1 }]))).status,
    ).toBe(200);
    const before = await stats();
    const other = batch('id-reused', [{ metric: 'load', ts: now - 800, value: 2 }]);
    const message = await expectError(await ingest(device.deviceToken, other), 409, 'batch_conflict', 'batchId');
    expect(message).toContain('id-reused');
    expect(await stats()).toEqual(before);
    expect(await latest('load')).toContainEqual(expect.objectContaining({ value: 1, labels: {} }));
  });

  it('keeps answering an id stored before hashes were kept as a duplicate', async () => {
    await runInDurableObject(deviceHubFor(env, device.deviceId), (_hub, state) => {
      state.storage.sql.exec("INSERT INTO batches (id, received_at, samples) VALUES ('id-legacy', ?, 1)", Date.now());
    });
    const res = await ingest(device.deviceToken, batch('id-legacy', [{ metric: 'load', ts: now - 700, value: 5 }]));
    expect(await res.json()).toEqual({ batchId: 'id-legacy', accepted: 0, duplicate: true });
  });
});

describe('POST /v1/ingest repeated samples', () => {
  it('refuses two samples of one series at one ts, naming the second, and stores nothing', async () => {
    const before = await stats();
    const body = batch('dup-sample', [
      { metric: 'fan_rpm', ts: now - 600, value: 1, labels: { fan: '1' } },
      { metric: 'fan_rpm', ts: now - 600, value: 1, labels: { fan: '2' } },
      { metric: 'fan_rpm', ts: now - 500, value: 1, labels: { fan: '1' } },
      { metric: 'fan_rpm', ts: now - 600, value: 2, labels: { fan: '1' } },
    ]);
    await expectError(await ingest(device.deviceToken, body), 400, 'duplicate_sample', 'samples.3');
    expect(await stats()).toEqual(before);
    expect(await latest('fan_rpm')).toEqual([]);
  });
});

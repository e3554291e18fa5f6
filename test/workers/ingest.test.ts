import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { orgMinutes, orgRollups } from './rollup-helpers.ts';

let org: TestOrg;
let device: { deviceId: string; deviceToken: string };

const now = Date.now();
const stats = () => deviceHubFor(env, device.deviceId).stats();
const seriesRows = async () =>
  (await env.DB.prepare('SELECT COUNT(*) AS n FROM series WHERE device_id = ?')
    .bind(device.deviceId)
    .first<{ n: number }>())!.n;

beforeAll(async () => {
  org = await seedOrg();
  device = await enroll(org);
});

async function expectRejected(res: Response, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message).toBeTypeOf('string');
  if (field !== undefined) expect(body.error.field).toBe(field);
  expect(res.headers.get('x-request-id')).toMatch(/.{8,}/);
}

describe('POST /v1/ingest', () => {
  it('stores a batch and acknowledges it once durable', async () => {
    const res = await ingest(
      device.deviceToken,
      batch('b-ok-1', [
        { metric: 'cpu_usage_percent', ts: now - 2000, value: 12.5 },
        { metric: 'cpu_usage_percent', ts: now - 1000, value: 14 },
        { metric: 'disk_used_bytes', ts: now - 1000, value: 1e9, labels: { mount: '/' } },
      ]),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ batchId: 'b-ok-1', accepted: 3, duplicate: false });
    expect((await stats()).samples).toBe(3);
    expect(await seriesRows()).toBe(2);
  });

  it('acknowledges the same batch id twice but stores it once', async () => {
    const before = await stats();
    const body = batch('b-dup', [{ metric: 'load1', ts: now - 500, value: 0.5 }]);
    const first = await ingest(device.deviceToken, body);
    const second = await ingest(device.deviceToken, body);
    expect(await first.json()).toMatchObject({ accepted: 1, duplicate: false });
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ batchId: 'b-dup', accepted: 0, duplicate: true });
    expect((await stats()).samples).toBe(before.samples + 1);
    expect((await stats()).batches).toBe(before.batches + 1);
  });

  it('accepts a gzip-encoded body', async () => {
    const before = await stats();
    const res = await ingest(
      device.deviceToken,
      gzipSync(JSON.stringify(batch('b-gz', [{ metric: 'load5', ts: now - 400, value: 1 }]))),
      { 'content-encoding': 'gzip' },
    );
    expect(res.status).toBe(200);
    expect((await stats()).samples).toBe(before.samples + 1);
  });

  describe('refuses bad input and stores nothing', () => {
    const cases: [string, () => Promise<Response>, number, string, string?][] = [
      ['malformed JSON', () => ingest(device.deviceToken, '{"batchId": "x", "samples": ['), 400, 'invalid_json'],
      ['a body that is not an object', () => ingest(device.deviceToken, '[1,2]'), 400, 'invalid_input'],
      [
        'a missing batchId',
        () => ingest(device.deviceToken, { samples: [{ metric: 'm', ts: now, value: 1 }] }),
        400,
        'invalid_input',
        'batchId',
      ],
      ['missing samples', () => ingest(device.deviceToken, { batchId: 'b-miss' }), 400, 'invalid_input', 'samples'],
      ['an empty batch', () => ingest(device.deviceToken, batch('b-empty', [])), 400, 'invalid_input', 'samples'],
      [
        'a string value',
        () =>
          ingest(device.deviceToken, {
            batchId: 'b-str',
            samples: [
              { metric: 'm', ts: now, value: 1 },
              { metric: 'm', ts: now, value: '3' },
            ],
          }),
        400,
        'invalid_input',
        'samples.1.value',
      ],
      [
        'a NaN value (as JSON has no NaN)',
        () => ingest(device.deviceToken, `{"batchId":"b-nan","samples":[{"metric":"m","ts":${now},"value":NaN}]}`),
        400,
        'invalid_json',
      ],
      [
        'an overflowing value (Infinity)',
        () => ingest(device.deviceToken, `{"batchId":"b-inf","samples":[{"metric":"m","ts":${now},"value":1e999}]}`),
        400,
        'invalid_input',
        'samples.0.value',
      ],
      [
        'a null value',
        () => ingest(device.deviceToken, { batchId: 'b-null', samples: [{ metric: 'm', ts: now, value: null }] }),
        400,
        'invalid_input',
        'samples.0.value',
      ],
      [
        'a fractional ts',
        () => ingest(device.deviceToken, batch('b-ts', [{ metric: 'm', ts: now + 0.5, value: 1 }])),
        400,
        'invalid_input',
        'samples.0.ts',
      ],
      [
        'a ts in seconds',
        () => ingest(device.deviceToken, batch('b-sec', [{ metric: 'm', ts: Math.floor(now / 1000), value: 1 }])),
        400,
        'invalid_input',
        'samples.0.ts',
      ],
      [
        'a ts far in the future',
        () => ingest(device.deviceToken, batch('b-fut', [{ metric: 'm', ts: now + 3600_000, value: 1 }])),
        400,
        'invalid_input',
        'samples.0.ts',
      ],
      [
        'a bad metric name',
        () => ingest(device.deviceToken, batch('b-met', [{ metric: 'cpu usage', ts: now, value: 1 }])),
        400,
        'invalid_input',
        'samples.0.metric',
      ],
      [
        'an unknown field',
        () => ingest(device.deviceToken, { batchId: 'b-x', samples: [{ metric: 'm', ts: now, value: 1, unit: '%' }] }),
        400,
        'invalid_input',
        'samples.0.unit',
      ],
      [
        'a bad label value type',
        () =>
          ingest(
            device.deviceToken,
            batch('b-lab', [{ metric: 'm', ts: now, value: 1, labels: { core: 1 as unknown as string } }]),
          ),
        400,
        'invalid_input',
        'samples.0.labels.core',
      ],
      [
        'a bad batch id',
        () => ingest(device.deviceToken, batch('has space', [{ metric: 'm', ts: now, value: 1 }])),
        400,
        'invalid_input',
        'batchId',
      ],
      [
        'a batch over the maximum',
        () =>
          ingest(
            device.deviceToken,
            batch(
              'b-big',
              Array.from({ length: 5001 }, (_, i) => ({ metric: 'm', ts: now - i, value: i })),
            ),
          ),
        413,
        'batch_too_large',
        'samples',
      ],
      [
        'a body that is not gzip but says so',
        () => ingest(device.deviceToken, 'not gzip', { 'content-encoding': 'gzip' }),
        400,
        'invalid_encoding',
      ],
      [
        'an unsupported encoding',
        () => ingest(device.deviceToken, '{}', { 'content-encoding': 'br' }),
        415,
        'unsupported_encoding',
      ],
      [
        'a non-JSON content type',
        () => ingest(device.deviceToken, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'unsupported_media_type',
      ],
      ['no token', () => ingest('', batch('b-anon', [{ metric: 'm', ts: now, value: 1 }])), 401, 'unauthorized'],
      [
        'an unknown token',
        () =>
          ingest(
            'ewd.dev_doesnotexist0000.AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
            batch('b-unk', [{ metric: 'm', ts: now, value: 1 }]),
          ),
        401,
        'unauthorized',
      ],
      [
        'an API key instead of a device token',
        () => ingest(org.apiKey, batch('b-key', [{ metric: 'm', ts: now, value: 1 }])),
        401,
        'unauthorized',
      ],
    ];
    for (const [what, send, status, code, field] of cases) {
      it(`rejects ${what} with ${status} ${code}`, async () => {
        const before = await stats();
        const seriesBefore = await seriesRows();
        await expectRejected(await send(), status, code, field);
        expect(await stats()).toEqual(before);
        expect(await seriesRows()).toBe(seriesBefore);
      });
    }
  });

  it('rejects a half-valid batch whole: the valid samples are not stored either', async () => {
    const before = await stats();
    const res = await ingest(device.deviceToken, {
      batchId: 'b-half',
      samples: [
        { metric: 'new_metric_a', ts: now, value: 1 },
        { metric: 'new_metric_b', ts: now, value: 'x' },
      ],
    });
    await expectRejected(res, 400, 'invalid_input', 'samples.1.value');
    expect(await stats()).toEqual(before);
    const latest = (await (await api(org.apiKey, `/v1/devices/${device.deviceId}/latest`)).json()) as {
      values: { metric: string }[];
    };
    expect(latest.values.map((v) => v.metric)).not.toContain('new_metric_a');
  });

  it('refuses the token of a revoked device', async () => {
    const other = await enroll(org, 'to-revoke');
    expect((await ingest(other.deviceToken, batch('r-1', [{ metric: 'm', ts: now, value: 1 }]))).status).toBe(200);
    const revoke = await api(org.apiKey, `/v1/devices/${other.deviceId}/revoke`, { method: 'POST' });
    expect(revoke.status).toBe(200);
    const res = await ingest(other.deviceToken, batch('r-2', [{ metric: 'm', ts: now, value: 2 }]));
    await expectRejected(res, 401, 'unauthorized');
    expect((await deviceHubFor(env, other.deviceId).stats()).samples).toBe(1);
  });

  it("stores another org's device's batch only under that device", async () => {
    const orgB = await seedOrg();
    const deviceB = await enroll(orgB, 'b-host');
    const before = await stats();
    // A device token identifies exactly one device: it can't write into another org's device.
    const forged = `ewd.${device.deviceId}.${deviceB.deviceToken.split('.')[2]}`;
    await expectRejected(
      await ingest(forged, batch('x-org', [{ metric: 'm', ts: now, value: 1 }])),
      401,
      'unauthorized',
    );
    expect(await stats()).toEqual(before);
    expect((await ingest(deviceB.deviceToken, batch('x-org', [{ metric: 'm', ts: now, value: 1 }]))).status).toBe(200);
    expect((await deviceHubFor(env, deviceB.deviceId).stats()).samples).toBe(1);
    expect(await stats()).toEqual(before);
  });
});

describe('DeviceHub flush to D1', () => {
  it('writes 1-minute rollups locally and last_seen with live at the status change from its alarm, and re-running changes nothing', async () => {
    const org2 = await seedOrg();
    const dev = await enroll(org2, 'roll');
    const minute = Math.floor((now - 120_000) / 60_000) * 60_000;
    const hour = minute - (minute % 3_600_000);
    const day = minute - (minute % 86_400_000);
    const values = [3, 1, 4, 1, 5];
    await ingest(
      dev.deviceToken,
      batch(
        'roll-1',
        values.map((v, i) => ({ metric: 'temp_c', ts: minute + i * 10_000, value: v })),
      ),
    );
    const hub = deviceHubFor(env, dev.deviceId);
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    const level = async (l: '1m' | '1h' | '1d') =>
      (await orgRollups(org2.orgId, l)).map(({ count, sum, min, max, last, bucket }) => ({
        count,
        sum,
        min,
        max,
        last,
        bucket,
      }));
    const read = async () => ({ minutes: await level('1m'), hours: await level('1h'), days: await level('1d') });
    const first = { count: 5, sum: 14, min: 1, max: 5, last: 5 };
    // Every level is rolled up in the hub's own SQLite.
    expect(await read()).toEqual({
      minutes: [{ ...first, bucket: minute }],
      hours: [{ ...first, bucket: hour }],
      days: [{ ...first, bucket: day }],
    });
    expect((await hub.stats()).dirtyMinutes).toBe(0);
    // The device came online: its row gets live and the exact time of its batch at once.
    const deviceRow = () =>
      env.DB.prepare('SELECT live, last_seen_at, minute_rows, hour_rows, day_rows FROM devices WHERE id = ?')
        .bind(dev.deviceId)
        .first<{ live: number; last_seen_at: number; minute_rows: number; hour_rows: number; day_rows: number }>();
    const seen = await hub.seen();
    expect(seen.lastSeenAt).toBeGreaterThanOrEqual(now);
    expect(await deviceRow()).toEqual({
      live: 1,
      last_seen_at: seen.lastSeenAt,
      minute_rows: 1,
      hour_rows: 1,
      day_rows: 1,
    });
    // Re-running the alarm (alarms are at-least-once) changes nothing, in the hub or in D1.
    const rollups = await read();
    const row = await deviceRow();
    expect(await runDurableObjectAlarm(hub)).toBe(true);
    expect(await read()).toEqual(rollups);
    expect(await deviceRow()).toEqual(row);

    // A late sample for the same minute is merged by recomputation, not double counted.
    await ingest(dev.deviceToken, batch('roll-2', [{ metric: 'temp_c', ts: minute + 55_000, value: 9 }]));
    await runDurableObjectAlarm(hub);
    await runDurableObjectAlarm(hub);
    const second = { count: 6, sum: 23, min: 1, max: 9, last: 9 };
    expect(await read()).toEqual({
      minutes: [{ ...second, bucket: minute }],
      hours: [{ ...second, bucket: hour }],
      days: [{ ...second, bucket: day }],
    });
    // Still online: D1 keeps the time the device came online, and the API answers the exact last batch.
    expect((await deviceRow())!.last_seen_at).toBe(seen.lastSeenAt);
    const latest = (await hub.seen()).lastSeenAt!;
    expect(latest).toBeGreaterThanOrEqual(seen.lastSeenAt!);
    const res = await api(org2.apiKey, `/v1/devices/${dev.deviceId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'online', lastSeenAt: latest });
  });

  it('works off a backfill of more minutes than one flush takes in quick runs, not every 15 s', async () => {
    const org3 = await seedOrg();
    const dev = await enroll(org3, 'backfill');
    // 2,500 samples, each in its own minute, a week ago: more than the 2,000 minutes one run flushes.
    const start = Math.floor((Date.now() - 7 * 86_400_000) / 60_000) * 60_000;
    const samples = Array.from({ length: 2_500 }, (_, i) => ({ metric: 'm', ts: start + i * 60_000, value: i }));
    expect((await ingest(dev.deviceToken, batch('backfill-1', samples))).status).toBe(200);
    const hub = deviceHubFor(env, dev.deviceId);
    const t0 = Date.now();
    await runDurableObjectAlarm(hub);
    const t1 = Date.now();
    expect((await hub.stats()).dirtyMinutes).toBe(500);
    // The next run is due within a second of the last one (the regular cadence is 15 s).
    const at = await runInDurableObject(hub, (_o, state) => state.storage.getAlarm());
    expect(at).toBeGreaterThanOrEqual(t0 + 1_000);
    expect(at).toBeLessThanOrEqual(t1 + 1_000);
    await runDurableObjectAlarm(hub);
    expect((await hub.stats()).dirtyMinutes).toBe(0);
    const n = (await orgMinutes(org3.orgId)).length;
    expect(n).toBe(2_500);
    // The hours and days those runs rebuilt hold every sample once.
    for (const level of ['1h', '1d'] as const) {
      expect((await orgRollups(org3.orgId, level)).reduce((sum, r) => sum + r.count, 0)).toBe(2_500);
    }
  });
});

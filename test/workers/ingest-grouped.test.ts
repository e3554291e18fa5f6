import { env } from 'cloudflare:test';
import type { IPubackPacket } from 'mqtt-packet';
import { beforeAll, describe, expect, it } from 'vitest';
import { MQTT5_REASON } from '../../schema/wire/mqtt.ts';
import { deviceHubFor } from '../../workers/src/objects/device-hub/index.ts';
import { api, batch, enroll, flush, ingest, seedOrg, type TestOrg } from './helpers.ts';
import { connectDevice, publish } from './mqtt-client.ts';

type Sample = { metric: string; ts: number; value: number; labels?: Record<string, string> };
type Series = { metric: string; labels?: Record<string, string>; points: [number, number][] };

let org: TestOrg;
const now = Date.now();
const t0 = now - 600_000;

/** Host-like samples: three series, one bare, over `n` seconds. */
function samples(n: number, from = t0): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const ts = from + i * 1000;
    out.push({ metric: 'load1', ts, value: i / 10 });
    out.push({ metric: 'cpu_usage_percent', ts, value: 50 + i, labels: { cpu: '0', host: 'a' } });
    out.push({ metric: 'cpu_usage_percent', ts, value: -0.5 * i, labels: { host: 'a', cpu: '1' } });
  }
  return out;
}

/** The same samples in the series-grouped form; label keys in another order than the flat form. */
function grouped(list: Sample[]): Series[] {
  const by = new Map<string, Series>();
  for (const s of list) {
    const key = s.metric + JSON.stringify(Object.entries(s.labels ?? {}).sort());
    let e = by.get(key);
    if (!e) {
      const labels = s.labels && Object.fromEntries(Object.entries(s.labels).reverse());
      by.set(key, (e = { metric: s.metric, ...(labels ? { labels } : {}), points: [] }));
    }
    e.points.push([s.ts, s.value]);
  }
  return [...by.values()];
}

const stats = (deviceId: string) => deviceHubFor(env, deviceId).stats();

/** Every raw row of a device as the export gives it, without the ids that differ between devices. */
async function exported(deviceId: string, source = 'raw') {
  const res = await api(org.apiKey, `/v1/export?device=${deviceId}&from=${t0 - 60_000}&to=${now}&source=${source}`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { seriesId: _s, deviceId: _d, ...row } = JSON.parse(l) as Sample & { seriesId: string; deviceId: string };
      return row;
    })
    .sort((a, b) => (rowKey(a) < rowKey(b) ? -1 : 1));
}

const rowKey = (r: { metric: string; labels?: object; ts: number }) =>
  `${r.metric}${JSON.stringify(Object.entries(r.labels ?? {}).sort())}${r.ts}`;

async function latest(deviceId: string) {
  const res = await api(org.apiKey, `/v1/devices/${deviceId}/latest`);
  const { values } = (await res.json()) as { values: { metric: string; labels: object; ts: number; value: number }[] };
  return values.map(({ metric, labels, ts, value }) => ({ metric, labels, ts, value }));
}

async function expectError(res: Response, status: number, code: string, field: string | undefined) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
  expect(body.error).toMatchObject({ code, field });
  return body.error.message;
}

beforeAll(async () => {
  org = await seedOrg();
});

describe('POST /v1/ingest with the series-grouped body', () => {
  it('stores a grouped batch exactly as the same samples sent flat', async () => {
    const flatDevice = await enroll(org, 'flat');
    const groupedDevice = await enroll(org, 'grouped');
    const list = samples(40);
    const a = await ingest(flatDevice.deviceToken, batch('b-1', list));
    const b = await ingest(groupedDevice.deviceToken, { batchId: 'b-1', series: grouped(list) });
    expect(await a.json()).toEqual({ batchId: 'b-1', accepted: 120, duplicate: false });
    expect(await b.json()).toEqual({ batchId: 'b-1', accepted: 120, duplicate: false });
    expect(await exported(groupedDevice.deviceId)).toEqual(await exported(flatDevice.deviceId));
    expect(await exported(groupedDevice.deviceId)).toHaveLength(120);
    expect(await latest(groupedDevice.deviceId)).toEqual(await latest(flatDevice.deviceId));
    await flush(flatDevice.deviceId);
    await flush(groupedDevice.deviceId);
    const minutes = await exported(groupedDevice.deviceId, '1m');
    expect(minutes.length).toBeGreaterThan(0);
    expect(minutes).toEqual(await exported(flatDevice.deviceId, '1m'));
  });

  it('acknowledges the same samples in the other form under the same id as a duplicate, and refuses other samples', async () => {
    const device = await enroll(org, 'forms');
    const list = samples(10, t0 + 100_000);
    expect((await (await ingest(device.deviceToken, batch('f-1', list))).json()) as object).toMatchObject({
      accepted: 30,
      duplicate: false,
    });
    const before = await stats(device.deviceId);
    const again = await ingest(device.deviceToken, { batchId: 'f-1', series: grouped(list).reverse() });
    expect(await again.json()).toEqual({ batchId: 'f-1', accepted: 0, duplicate: true });

    expect((await ingest(device.deviceToken, { batchId: 'f-2', series: grouped(list) })).status).toBe(200);
    const flatAgain = await ingest(device.deviceToken, batch('f-2', [...list].reverse()));
    expect(await flatAgain.json()).toEqual({ batchId: 'f-2', accepted: 0, duplicate: true });

    const changed = grouped(list);
    changed[1]!.points[3]![1] += 1;
    await expectError(
      await ingest(device.deviceToken, { batchId: 'f-2', series: changed }),
      409,
      'batch_conflict',
      'batchId',
    );
    expect(await stats(device.deviceId)).toMatchObject({ samples: before.samples, batches: before.batches + 1 });
  });

  it('merges two entries of one series and refuses a point repeated across them, naming it', async () => {
    const device = await enroll(org, 'merge');
    const ok = await ingest(device.deviceToken, {
      batchId: 'm-1',
      series: [
        { metric: 'temp', labels: { probe: 'a' }, points: [[t0, 1]] },
        { metric: 'temp', labels: { probe: 'a' }, points: [[t0 + 1000, 2]] },
      ],
    });
    expect(await ok.json()).toMatchObject({ accepted: 2 });
    expect(await stats(device.deviceId)).toMatchObject({ samples: 2, series: 1 });
    const message = await expectError(
      await ingest(device.deviceToken, {
        batchId: 'm-2',
        series: [
          { metric: 'temp', labels: { probe: 'b' }, points: [[t0, 1]] },
          { metric: 'temp', points: [[t0, 1]] },
          {
            metric: 'temp',
            labels: { probe: 'b' },
            points: [
              [t0 + 1000, 2],
              [t0, 3],
            ],
          },
        ],
      }),
      400,
      'duplicate_sample',
      'series.2.points.1',
    );
    expect(message).toContain('series.0.points.0');
    expect(await stats(device.deviceId)).toMatchObject({ samples: 2, series: 1 });
  });

  it.each<[string, unknown, string | undefined]>([
    [
      'a value that is not a number',
      [
        {
          metric: 'm',
          points: [
            [0, 1],
            [0, 'x'],
          ],
        },
      ],
      'series.0.points.1.1',
    ],
    ['a ts before 2000', [{ metric: 'm', points: [[1000, 1]] }], 'series.0.points.0.0'],
    [
      'a ts that is not an integer',
      [
        { metric: 'm', points: [[0, 1]] },
        { metric: 'n', points: [[0.5, 1]] },
      ],
      'series.1.points.0.0',
    ],
    ['a point of three items', [{ metric: 'm', points: [[0, 1, 2]] }], 'series.0.points.0'],
    ['a point that is an object', [{ metric: 'm', points: [{ ts: 0, value: 1 }] }], 'series.0.points.0'],
    ['no points', [{ metric: 'm', points: [] }], 'series.0.points'],
    [
      'a bad metric name',
      [
        { metric: 'm', points: [[0, 1]] },
        { metric: '9lives', points: [[0, 1]] },
      ],
      'series.1.metric',
    ],
    [
      'a reserved label name',
      [{ metric: 'm', labels: { __name__: 'x' }, points: [[0, 1]] }],
      'series.0.labels.__name__',
    ],
    ['an unknown key', [{ metric: 'm', points: [[0, 1]], unit: 'C' }], 'series.0.unit'],
    ['an empty list', [], 'series'],
  ])('refuses a grouped batch with %s, naming the field, and stores nothing', async (_what, series, field) => {
    const device = await enroll(org, `bad-${field}`);
    // 0 stands for a valid ts: the table is built before `now` is known to each case.
    const withTs = JSON.parse(JSON.stringify(series).replace(/\[0,/g, `[${t0},`)) as unknown;
    await expectError(
      await ingest(device.deviceToken, { batchId: 'bad', series: withTs }),
      400,
      'invalid_input',
      field,
    );
    expect(await stats(device.deviceId)).toMatchObject({ samples: 0, batches: 0 });
  });

  it('refuses a point more than 10 minutes ahead, naming its ts', async () => {
    const device = await enroll(org, 'future');
    const series = [
      {
        metric: 'm',
        points: [
          [t0, 1],
          [now + 3600_000, 2],
        ],
      },
    ];
    const message = await expectError(
      await ingest(device.deviceToken, { batchId: 'fut', series }),
      400,
      'invalid_input',
      'series.0.points.1.0',
    );
    expect(message).toContain('in the future');
  });

  it('refuses a body with both samples and series', async () => {
    const device = await enroll(org, 'both');
    const body = { batchId: 'both', samples: [{ metric: 'm', ts: t0, value: 1 }], series: grouped(samples(1)) };
    await expectError(await ingest(device.deviceToken, body), 400, 'invalid_input', 'series');
    expect(await stats(device.deviceId)).toMatchObject({ samples: 0 });
  });

  it('counts the sample cap in points over all series', async () => {
    const device = await enroll(org, 'cap');
    const points = (n: number, from: number) => Array.from({ length: n }, (_, i) => [from + i, i]);
    const over = [
      { metric: 'a', points: points(2500, t0) },
      { metric: 'b', points: points(2501, t0) },
    ];
    const message = await expectError(
      await ingest(device.deviceToken, { batchId: 'cap-1', series: over }),
      413,
      'batch_too_large',
      'series',
    );
    expect(message).toBe('series holds 5001 points; the maximum is 5000');
    const full = [over[0]!, { metric: 'b', points: points(2500, t0) }];
    expect(await (await ingest(device.deviceToken, { batchId: 'cap-2', series: full })).json()).toMatchObject({
      accepted: 5000,
    });
  });
});

describe('series_limit with the grouped body', () => {
  it('names the first series over the limit and stores nothing of the batch', async () => {
    const device = await enroll(org, 'many');
    const distinct = (from: number, count: number, ts: number) =>
      Array.from({ length: count }, (_, i) => ({
        metric: 'req_total',
        labels: { path: `/p${from + i}` },
        points: [[ts, i]],
      }));
    // The default SERIES_PER_DEVICE (wrangler.toml), reached in two batches of the largest size.
    for (const [i, from] of [0, 5000].entries()) {
      const res = await ingest(device.deviceToken, { batchId: `many-${i}`, series: distinct(from, 5000, t0) });
      expect(res.status).toBe(200);
    }
    const before = await stats(device.deviceId);
    const body = { batchId: 'over', series: [...distinct(0, 2, t0 + 1000), ...distinct(10_000, 1, t0 + 1000)] };
    const message = await expectError(await ingest(device.deviceToken, body), 422, 'series_limit', 'series.2');
    expect(message).toContain('limit of 10000 series');
    expect(await stats(device.deviceId)).toEqual(before);
  }, 60_000);
});

describe('the grouped body over MQTT', () => {
  it('stores it like HTTPS, knows the flat form of the same batch, and names a bad point in the PUBACK', async () => {
    const device = await enroll(org, 'mqtt-grouped');
    const client = await connectDevice(5, device);
    const list = samples(5, t0 + 200_000);
    publish(client, device.deviceId, { batchId: 'mq-1', series: grouped(list) });
    const ack = (await client.next('puback')) as IPubackPacket;
    expect(ack.reasonCode).toBe(0);
    expect(ack.properties?.userProperties).toEqual({ accepted: '15', duplicate: 'false' });
    expect(await stats(device.deviceId)).toMatchObject({ samples: 15, series: 3 });

    publish(client, device.deviceId, batch('mq-1', list));
    const again = (await client.next('puback')) as IPubackPacket;
    expect(again.properties?.userProperties).toEqual({ accepted: '0', duplicate: 'true' });

    publish(client, device.deviceId, { batchId: 'mq-2', series: [{ metric: 'm', points: [[t0, null]] }] });
    const bad = (await client.next('puback')) as IPubackPacket;
    expect(bad.reasonCode).toBe(MQTT5_REASON.payloadFormatInvalid);
    expect(bad.properties?.userProperties).toMatchObject({ code: 'invalid_input', field: 'series.0.points.0.1' });
    expect(await stats(device.deviceId)).toMatchObject({ samples: 15, batches: 1 });
    client.ws.close();
  });
});
